"""What `make demo` runs: the JS README example, in Python, against the embedded manager.

It starts `backend_ai_client.testing.LocalManager` on 127.0.0.1, points the
standard environment variables at it, then: creates a session, runs code in
it, prints the output, destroys it, and makes one call that fails, showing
`err.type == ai.backend.Client.ERR_SERVER`.
"""

from __future__ import annotations

import os
import sys

import backend_ai_client as ai
from backend_ai_client.testing import LocalManager


def main() -> int:
    with LocalManager() as manager:
        os.environ["BACKEND_ENDPOINT"] = manager.endpoint
        os.environ["BACKEND_ACCESS_KEY"] = manager.access_key
        os.environ["BACKEND_SECRET_KEY"] = manager.secret_key
        print(f"embedded manager listening at {manager.endpoint}")

        # --- the JS README example, ported ---------------------------------
        config = ai.backend.ClientConfig.createFromEnv()
        client = ai.backend.Client(config)
        try:
            response = client.createIfNotExists("python:latest", "my-session-id")
            print(f"my session is created: {response.kernelId}")
        except ai.backend.BackendAIError as err:
            if err.type == ai.backend.Client.ERR_SERVER:
                print(f"session creation failed: {err.message}")
            else:
                print(f"request/response failed: {err.message}")
            return 1

        # --- run code, print its output, destroy the session ---------------
        code = 'import sys; print("Hello from Backend.AI!", 6 * 7, sys.version_info[:2])'
        result = client.execute("my-session-id", "demo-run-0001", "query", code)
        print(f"executed: {code}")
        for stream, text in result.result.console:
            print(f"  [{stream}] {text.rstrip()}")
        client.destroy("my-session-id")
        print("session destroyed")

        # --- one failing call: the session is gone --------------------------
        try:
            client.get_info("my-session-id")
        except ai.backend.BackendAIError as err:
            print(f"err.type == ai.backend.Client.ERR_SERVER: {err.type == ai.backend.Client.ERR_SERVER}")
            print(f"session lookup failed: {err.message}")
        else:
            print("expected the lookup of a destroyed session to fail", file=sys.stderr)
            return 1
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
