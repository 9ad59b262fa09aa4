"""Load test of the service: N clients at once against ``POST /api/v1/check``.

Starts ``classwide serve`` itself on a free port (with its own audit log in a temporary
folder), runs ``--clients`` concurrent clients for ``--seconds`` with a mix of structures
(listed drugs, class members, decoys, names, invalid input), then prints the latency
percentiles, the throughput and the errors. Not part of the test suite:

    .venv/bin/python bench/bench_load.py --clients 50 --seconds 60

An error is a transport failure or a 5xx; a 4xx for an input that is invalid on purpose
is the expected answer and counted apart.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

# (structure, expected class of status): 2xx for a decision, 4xx for an input refused.
STRUCTURES = [
    ("O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", 200),  # furanylfentanyl: listed
    ("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", 200),  # fentanyl
    ("O=C(C1CCC1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", 200),  # a class member (US clause E)
    ("COC(=O)C1(N(C(=O)CC)c2ccccc2)CCN(CCc2ccccc2)CC1", 200),  # carfentanil
    ("CCO", 200),  # ethanol: not controlled
    ("CC(=O)Oc1ccccc1C(=O)O", 200),  # aspirin
    ("CN1CCC[C@H]1c1cccnc1", 200),  # nicotine
    ("CCN(CC)C(=O)C1CN(C)C2CC3=CNC4=CC=CC(=C34)C2=C1", 200),  # LSD
    ("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", 200),  # ethanol as InChI
    ("carfentanil", 200),  # a name in the substance data
    ("59708-52-0", 200),  # a CAS number
    ("C1CC(N", 422),  # broken SMILES
    ("", 422),  # empty
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "classwide.cli",
        "serve",
        "--port",
        str(port),
        "--audit-url",
        f"sqlite:///{folder / 'audit.sqlite'}",
    ]
    env = {**os.environ, "CLASSWIDE_JOBS_DIR": str(folder / "jobs")}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - the server's lifetime
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: see {folder / 'server.log'}")


def main() -> None:
    """Run the load test and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=60.0, help="per request")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="classwide-load-"))
    port = _free_port()
    server = _start_server(port, folder)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=args.timeout)
        i = number
        while time.monotonic() < stop:
            structure, expected = STRUCTURES[i % len(STRUCTURES)]
            i += 1
            body = json.dumps({"structure": structure, "jurisdictions": ["US", "CN", "UN"]})
            started = time.monotonic()
            try:
                connection.request(
                    "POST", "/api/v1/check", body, {"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                text = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[f"transport: {type(exc).__name__}"] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=args.timeout)
                continue
            took = time.monotonic() - started
            with lock:
                latencies.append(took)
                statuses[str(status)] += 1
                if status >= 500 or (status // 100) != (expected // 100):
                    errors[f"{status}: {text[:120].decode('utf-8', 'replace')}"] += 1
        connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()

    count = len(latencies)
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(count - 1, int(p * count))] * 1000 if count else float("nan")

    print(f"clients {args.clients}, {elapsed:.1f} s, {count} answers")
    print(
        f"latency p50 {percentile(0.50):.0f} ms, p95 {percentile(0.95):.0f} ms, "
        f"p99 {percentile(0.99):.0f} ms, max {percentile(1.0):.0f} ms"
        + (f", mean {statistics.mean(ordered) * 1000:.0f} ms" if count else "")
    )
    print(f"throughput {count / elapsed:.1f} req/s")
    print(f"statuses {dict(sorted(statuses.items()))}")
    print(f"errors {sum(errors.values())}")
    for error, n in errors.most_common(10):
        print(f"  {n} x {error}")
    print(f"server log: {folder / 'server.log'}")


if __name__ == "__main__":
    main()
