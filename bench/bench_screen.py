"""Throughput of `classwide screen` against RDKit's own parse time, in one run.

Prints figures; asserts nothing. On the same SMILES file and the same number of processes:

1. RDKit parse-only: every line read and parsed with ``Chem.MolFromSmiles`` (sanitised),
   over a process pool, the records counted.
2. ``classwide screen FILE -o /dev/null --workers N``: the command as a user runs it,
   start-up, reading, deciding and serialising included, the output thrown away.
3. The same with ``-o OUT.jsonl``: writing about 550 bytes a record to disk as well, which
   on a slow or busy disk can cost as much as the screening.

The ratio of the two times is the figure the project tracks (>= 1.0: screening is at
least as fast as parsing). A shared machine's speed drifts by a quarter within minutes,
so steps 1 and 2 alternate ``--repeat`` times (default 3) and the ratio of each pair is
printed beside their median: only times taken side by side are compared. Peak memory
is the largest resident set of the screen command and its workers. By default the file
is the MOSES training set, which the ``molsets`` package ships (``make bench`` installs
it without its dependencies):

    python bench/bench_screen.py [FILE.smi|FILE.csv.gz] [--limit N] [--workers N] [--full]
                                 [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdkit import Chem, rdBase


def moses_path() -> Path:
    """The MOSES training file inside the molsets package (no import of molsets itself)."""
    try:
        dist = importlib.metadata.distribution("molsets")
    except importlib.metadata.PackageNotFoundError:
        sys.exit("the MOSES data come with molsets: pip install --no-deps molsets==0.3.1")
    return Path(dist.locate_file("moses/dataset/data/train.csv.gz"))


def prepare(source: Path, limit: int | None, folder: Path) -> Path:
    """A plain .smi file of the first ``limit`` records (a CSV's first column, no header)."""
    out = folder / "input.smi"
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt") as handle, open(out, "w") as sink:
        first = handle.readline()
        if not first.lower().startswith("smiles"):
            sink.write(first.split(",")[0].split()[0] + "\n")
        for n, line in enumerate(handle, start=1):
            if limit is not None and n >= limit:
                break
            sink.write(line.split(",")[0].strip() + "\n")
    return out


def _parse_chunk(lines: list[str]) -> int:
    rdBase.DisableLog("rdApp.*")
    return sum(Chem.MolFromSmiles(line.split()[0]) is not None for line in lines if line.strip())


def rdkit_parse_only(path: Path, workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    parsed = 0
    with open(path) as handle, mp.get_context("fork").Pool(workers) as pool:

        def chunks():
            while lines := handle.readlines(1 << 16):
                yield lines

        for count in pool.imap(_parse_chunk, chunks()):
            parsed += count
    return time.perf_counter() - start, parsed


def classwide_screen(path: Path, workers: int, full: bool, out: Path) -> tuple[float, float]:
    command = [
        sys.executable,
        "-m",
        "classwide.cli",
        "screen",
        str(path),
        "-o",
        str(out),
        "--workers",
        str(workers),
    ]
    if full:
        command.append("--full")
    start = time.perf_counter()
    subprocess.run(command, check=True)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="default: the MOSES training set")
    parser.add_argument("--limit", type=int, default=None, help="first N records only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--full", action="store_true", help="screen without the prefilter")
    parser.add_argument("--repeat", type=int, default=3, help="parse/screen pairs (default 3)")
    args = parser.parse_args()
    source = Path(args.file) if args.file else moses_path()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = prepare(source, args.limit, folder)
        n = sum(1 for _ in open(path))
        pairs = []
        for _ in range(max(1, args.repeat)):
            parse_s, parsed = rdkit_parse_only(path, args.workers)
            null_s, _ = classwide_screen(path, args.workers, args.full, Path(os.devnull))
            pairs.append((parse_s, null_s))
        out = folder / "out.jsonl"
        screen_s, peak_mb = classwide_screen(path, args.workers, args.full, out)
        written = sum(1 for _ in open(out))
        decided_full = sum('"decided_by": "full"' in line for line in open(out))
        size_mb = out.stat().st_size / 1e6
    mode = "full path only" if args.full else "prefilter + full path"
    print(f"input: {source} ({n} records), {args.workers} process(es), {mode}")
    for parse_s, null_s in pairs:
        print(f"RDKit parse-only:            {n / parse_s:8.0f} records/s  ({parse_s:.1f} s)")
        print(
            f"classwide screen, no output: {n / null_s:8.0f} records/s  ({null_s:.1f} s)"
            f"  ratio parse/screen {parse_s / null_s:.2f}"
        )
    ratios = sorted(p / s for p, s in pairs)
    print(
        f"ratio parse/screen, median of {len(pairs)} side-by-side pairs: "
        f"{statistics.median(ratios):.2f} (from {ratios[0]:.2f} to {ratios[-1]:.2f})"
    )
    parse_s = statistics.median(p for p, _ in pairs)
    print(
        f"classwide screen to a file:  {n / screen_s:8.0f} records/s  ({screen_s:.1f} s, "
        f"{written} records, {size_mb:.0f} MB)  ratio to the median parse-only "
        f"{parse_s / screen_s:.2f}"
    )
    print(
        f"{decided_full} records decided by the full path; peak memory of one screen process "
        f"{peak_mb:.0f} MB (a ratio >= 1.0: screening is faster than parsing)"
    )


if __name__ == "__main__":
    main()
