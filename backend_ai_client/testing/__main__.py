"""Run a LocalManager until Ctrl-C, SIGTERM or ``--lifetime`` seconds.

    python -m backend_ai_client.testing [--port N] [--lifetime SECONDS] [--print-secret]

It prints ``BACKEND_ENDPOINT=...`` and ``BACKEND_ACCESS_KEY=...`` lines (the
names ``ClientConfig.createFromEnv()`` reads) and ``BACKEND_SECRET_KEY=...``
only with ``--print-secret``. The manager runs posted Python code for signed
requests: see the ``backend_ai_client.testing._manager`` docstring.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from ._manager import LocalManager


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backend_ai_client.testing",
        description="A local Backend.AI-compatible manager on a loopback port (for demos and tests). "
        "Signed requests can run Python code as the current user.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port, printed)")
    parser.add_argument("--lifetime", type=_positive, default=None, help="exit by itself after this many seconds")
    parser.add_argument("--print-secret", action="store_true", help="print the secret key (hidden by default)")
    parser.add_argument("--api-version", default="v4.20190615", help="API version reported by GET / (default %(default)s)")
    parser.add_argument("--manager-version", default="20.09.0", help="manager version reported by GET / (default %(default)s)")
    parser.add_argument("--exec-timeout", type=_positive, default=10.0, help="time limit of one execution (default 10 s)")
    args = parser.parse_args(argv)

    try:
        manager = LocalManager(
            host=args.host, port=args.port, api_version=args.api_version,
            manager_version=args.manager_version, exec_timeout=args.exec_timeout,
        )
        manager.start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    done = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        done.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"BACKEND_ENDPOINT={manager.endpoint}")
        print(f"BACKEND_ACCESS_KEY={manager.access_key}")
        if args.print_secret:
            print(f"BACKEND_SECRET_KEY={manager.secret_key}")
        else:
            print("BACKEND_SECRET_KEY=<hidden; pass --print-secret>")
        sys.stdout.flush()
        print(
            "LocalManager is running"
            + (f" for {args.lifetime:g} s" if args.lifetime else "")
            + "; stop it with Ctrl-C or SIGTERM.",
            file=sys.stderr, flush=True,
        )
        done.wait(args.lifetime)
    finally:
        manager.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
