"""Peak memory of a 1 GiB upload through ``client.upload``: streamed vs in memory.

Run from the checkout:  .venv/bin/python bench/upload_memory.py   (see bench/README.md)

The parent process writes a temporary file in /tmp, starts a sink server in a
separate process (loopback only; it verifies each request's signature with the
manager's algorithm, reads and discards the body and answers how many bytes it
got), then runs every scenario in a fresh client process so that the peaks do
not mix. Each client process connects and warms up with a 1 KiB upload,
resets its peak-RSS mark (``/proc/self/clear_refs``), runs one upload and
reports ``VmHWM`` (peak resident set) against its RSS just before the upload.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACCESS_KEY = "AKIABENCHUPLOAD00000"
SECRET_KEY = "bench-upload-secret"
MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIOS = {
    "path": "client.upload(sid, name, pathlib.Path)   -- streamed from disk",
    "fileobj": "client.upload(sid, name, open(p, 'rb'))  -- streamed from disk",
    "bytes": "client.upload(sid, name, p.read_bytes()) -- whole file read into bytes first",
    "legacy": "OLD transport: requests files= of the bytes -- body built in memory, as _fetch did before",
}


# -- the sink (its own process) -----------------------------------------------
def run_sink() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from backend_ai_client.testing import verify_request

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            headers = dict(self.headers.items())
            chunked = bool(self.headers.get("Transfer-Encoding"))
            verdict = verify_request(self.command, self.path, headers, b"", {ACCESS_KEY: SECRET_KEY})
            length = int(self.headers.get("Content-Length") or 0)
            buf = memoryview(bytearray(MiB))
            got = 0
            while got < length:
                n = self.rfile.readinto(buf[: min(MiB, length - got)])
                if not n:
                    break
                got += n
            ok = verdict.ok and not chunked and got == length
            payload = json.dumps({"received": got, "signature": verdict.reason or "ok", "chunked": chunked}).encode()
            status = "200 OK" if ok else "400 Bad Request"
            # One write: a separate small write of the payload would wait for the client's delayed ACK (Nagle).
            self.wfile.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    httpd.daemon_threads = True
    print(f"PORT {httpd.server_address[1]}", flush=True)
    httpd.serve_forever()


# -- one scenario (its own process) -------------------------------------------
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def run_child(scenario: str, endpoint: str, path: str) -> None:
    import requests

    import backend_ai_client as ai

    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, endpoint))
    source = Path(path)
    size = source.stat().st_size

    def legacy_upload(name: str, data: bytes) -> dict:
        rqst = client.newSignedRequest("POST", "/kernel/bench-session/upload", ai.FormData())
        resp = session.post(rqst["uri"], headers=rqst["headers"], files=[("src", (name, data))], timeout=(60, 60))
        assert resp.status_code == 200, resp.text
        return resp.json()

    session = requests.Session()
    session.trust_env = False
    # Warm up: imports on the code path, the pooled connection.
    if scenario == "legacy":
        legacy_upload("warmup.bin", b"w" * 1024)
    else:
        client.upload("bench-session", "warmup.bin", b"w" * 1024)
    gc.collect()
    peak_before = _status_kib("VmHWM")
    reset = _reset_peak()
    rss_before = _status_kib("VmRSS")
    started = time.perf_counter()
    if scenario == "path":
        answer = client.upload("bench-session", source.name, source)
    elif scenario == "fileobj":
        with open(source, "rb") as f:
            answer = client.upload("bench-session", source.name, f)
    elif scenario == "bytes":
        answer = client.upload("bench-session", source.name, source.read_bytes())
    elif scenario == "legacy":
        answer = legacy_upload(source.name, source.read_bytes())
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    if answer.get("received", 0) < size or answer.get("signature") != "ok":
        raise SystemExit(f"the sink did not get the file: {answer}")
    print(json.dumps({
        "scenario": scenario, "size": size, "received": answer["received"], "seconds": seconds,
        "rss_before_kib": rss_before, "peak_before_kib": peak_before, "peak_kib": peak, "peak_reset": reset,
    }), flush=True)


# -- the parent ----------------------------------------------------------------
def _make_file(path: Path, size: int, sparse: bool) -> None:
    with open(path, "wb") as f:
        if sparse:
            f.truncate(size)
            return
        block = os.urandom(MiB)
        left = size
        while left > 0:
            left -= f.write(block[: min(MiB, left)])


def _start_sink() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("PORT "):
        proc.kill()
        proc.wait(10)
        raise SystemExit(f"the sink did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def _run(scenario: str, endpoint: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", scenario, "--endpoint", endpoint, "--file", str(path)],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"scenario {scenario} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the big upload (default 1024 = 1 GiB)")
    parser.add_argument("--baseline-mib", type=int, default=1, help="size of the baseline upload (default 1)")
    parser.add_argument("--sparse", action="store_true", help="a sparse file instead of written data")
    parser.add_argument("--no-compare", action="store_true", help="skip the in-memory comparison runs")
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return run_sink()
    if args.child:
        return run_child(args.child, args.endpoint, args.file)

    tmp = Path(tempfile.mkdtemp(prefix="bai-upload-bench-", dir="/tmp"))
    sink = None
    try:
        small, big = tmp / "baseline.bin", tmp / "big.bin"
        t0 = time.perf_counter()
        _make_file(small, args.baseline_mib * MiB, args.sparse)
        _make_file(big, args.size_mib * MiB, args.sparse)
        print(f"files: {small.name} {args.baseline_mib} MiB, {big.name} {args.size_mib} MiB "
              f"({'sparse' if args.sparse else 'written'} in {time.perf_counter() - t0:.1f} s) under {tmp}")
        sink, endpoint = _start_sink()
        print(f"sink: pid {sink.pid} at {endpoint} (separate process; verifies signatures, discards bodies)\n")

        runs = [("path", small), ("path", big), ("fileobj", big)]
        if not args.no_compare:
            runs += [("bytes", big), ("legacy", big)]
        results = []
        for scenario, path in runs:
            r = _run(scenario, endpoint, path)
            r["growth_mib"] = (r["peak_kib"] - r["rss_before_kib"]) / 1024
            results.append(r)
        base = results[0]
        base_growth = max(base["growth_mib"], 1 / 1024)
        print(f"{'scenario':<9} {'size':>9} {'RSS before':>11} {'peak RSS':>9} {'growth':>9} "
              f"{'peak/before':>11} {'growth/baseline':>15} {'MiB/s':>8}")
        for r in results:
            mib = r["size"] / MiB
            print(f"{r['scenario']:<9} {mib:>5.0f} MiB {r['rss_before_kib'] / 1024:>7.1f} MiB "
                  f"{r['peak_kib'] / 1024:>5.1f} MiB {r['growth_mib']:>5.1f} MiB "
                  f"{r['peak_kib'] / r['rss_before_kib']:>10.2f}x {r['growth_mib'] / base_growth:>14.2f}x "
                  f"{mib / r['seconds']:>8.0f}")
        print()
        for name, text in SCENARIOS.items():
            print(f"  {name:<8} {text}")
        print(f"\n  growth = peak RSS during the upload - RSS just before it (VmHWM reset: "
              f"{'yes' if all(r['peak_reset'] for r in results) else 'NO, peak includes setup'});"
              f"\n  baseline = the {args.baseline_mib} MiB Path upload in the first row "
              f"(growth {base['growth_mib']:.2f} MiB).")
    finally:
        if sink is not None:
            sink.terminate()
            try:
                sink.wait(10)
            except subprocess.TimeoutExpired:
                sink.kill()
                sink.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
