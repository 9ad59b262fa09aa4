"""Throughput of `classwide screen` against RDKit's own parse time, in one run.

Prints figures; asserts nothing. By default it screens the structures of the shared example
and third-party lists (fentanyl-rich: the worst case, since nearly every record reaches the
full class test), repeated to a few thousand records. Give a SMILES file to measure a
catalogue instead:

    python bench/bench_screen.py [FILE.smi] [--repeat N] [--workers N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

from rdkit import Chem, rdBase

from classwide._rules import default_rules
from classwide.batch import screen
from classwide.io import InputRecord

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLASSWIDE_SHARED", ROOT.parent / "shared"))


def shared_smiles() -> list[str]:
    smiles = []
    for name in ("examples.csv", "external/fentanyl_hunter_library.csv",
                 "external/kim2025_fentanyl_analogs.csv", "external/faves_v3_benchmark.csv"):
        with open(SHARED / "data" / name, encoding="utf-8") as handle:
            smiles += [row["smiles"] for row in csv.DictReader(handle) if row["smiles"].strip()]
    return smiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.file:
        with open(args.file, encoding="utf-8") as handle:
            smiles = [line.split()[0] for line in handle if line.strip()]
        label = args.file
    else:
        smiles = shared_smiles() * args.repeat
        label = f"shared example and third-party lists x{args.repeat}"
    n = len(smiles)
    rules = default_rules()

    start = time.perf_counter()
    with rdBase.BlockLogs():
        parsed = sum(Chem.MolFromSmiles(s) is not None for s in smiles)
    parse_s = time.perf_counter() - start

    records = [InputRecord(str(i), s) for i, s in enumerate(smiles, 1)]
    start = time.perf_counter()
    out = sum(1 for _ in screen(records, ("CN", "US"), dt.date(2026, 11, 29), rules=rules,
                                workers=args.workers))
    screen_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"input: {label}: {n} records ({parsed} parse)")
    print(f"RDKit parse only (1 process): {n / parse_s:10.0f} records/s  ({parse_s:.2f} s)")
    print(f"classwide screen ({args.workers} worker(s)): {n / screen_s:10.0f} records/s  "
          f"({screen_s:.2f} s, {out} records out)")
    print(f"time ratio parse/screen: {parse_s / screen_s:.3f} (>= 1.0 means screening is faster)")
    print(f"per record: parse {1e6 * parse_s / n:.0f} us, screen {1e6 * screen_s / n:.0f} us")
    print(f"peak RSS of this process: {peak_mb:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
