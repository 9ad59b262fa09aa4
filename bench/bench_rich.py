"""Throughput on fentanyl-rich input, where nearly every record takes the full path.

Prints figures; asserts nothing. The input is generated reproducibly (no randomness): every
combination of acyl groups, N-aryl rings, piperidine substituents and N1 groups, allowed
and disallowed by the clauses of the US and Chinese definitions, written from fentanyl's
parts and kept once per canonical SMILES, followed by every fentanyl the substance data
names. On that file, with the same number of processes for each, in one run:

1. RDKit parse-only: ``Chem.MolFromSmiles`` on every line.
2. A plain substructure search: parse, then one ``HasSubstructMatch`` for the fentanyl
   core (the piperidin-4-yl anilide), no explanation: the floor of any structural check.
3. ``classwide screen FILE -o /dev/null``, with one worker and with all of them.

    python bench/bench_rich.py [--workers N] [--limit N] [--baseline OLD/src ...]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rdkit import Chem, rdBase

# Each part is written with its own ring-closure digits, so that parts combine freely.
ACYL = (
    "CCC(=O)",  # propionyl (fentanyl)
    "CC(=O)",
    "CCCC(=O)",
    "CC(C)C(=O)",
    "C=CC(=O)",
    "COCC(=O)",
    "O=C(C3CC3)",
    "O=C(c3ccco3)",
    "O=C(C3CCCO3)",
    "O=C(c3ccccc3)",
    "O=C(OC)",  # a carbamate: an acyl in the broad reading only
    "CCS(=O)(=O)",  # a sulfonyl: not an acyl by default
    "CCC(=S)",  # a thioacyl
    "CCC",  # propyl: not an acyl at all
)
ARYL = (
    "c4ccccc4",  # phenyl (fentanyl)
    "c4ccccc4F",
    "c4cccc(F)c4",
    "c4ccc(F)cc4",
    "c4ccccc4C",
    "c4ccc(OC)cc4",
    "c4ccc(Cl)cc4",
    "c4ccccn4",
    "c4cccs4",
    "c4ccc5ccccc5c4",  # naphthyl: not a monocycle
    "Cc4ccccc4",  # benzyl: the ring is not on the nitrogen
    "C4CCCCC4",  # cyclohexyl: not aromatic
)
# Piperidine variants around C4 (which carries the anilide nitrogen), "{n1}" for N1.
PIPERIDINE = (
    "C1CCN{n1}CC1",
    "C1CCN{n1}CC1C",  # 3-methyl
    "C1CCN{n1}CC1F",
    "C1CCN{n1}CC1O",
    "C1CCN{n1}CC1CC",
    "C1CCN{n1}C(C)C1",  # 2-methyl
    "C1(C(=O)OC)CCN{n1}CC1",  # 4-carbomethoxy (carfentanil)
    "C1(COC)CCN{n1}CC1",  # 4-methoxymethyl (sufentanil)
    "C1(c2ccccc2)CCN{n1}CC1",  # 4-phenyl: not in the closed list
    "C1CCN{n1}CC1C#N",  # 3-cyano: not in any list
)
N1_GROUP = (
    "(CCc5ccccc5)",  # phenethyl (fentanyl)
    "(CCc5cccs5)",
    "(CC(O)c5ccccc5)",
    "(C(C)Cc5ccccc5)",
    "(CCc5ccc(F)cc5)",
    "(CCCc5ccccc5)",
    "(Cc5ccccc5)",
    "(CCc5ccccn5)",
    "(C)",
    "(C(=O)OC(C)(C)C)",  # Boc
    "(CCC(=O)OC)",
    "",  # hydrogen: the one N1 group condition 4 of China's text excludes
)
FENTANYL_CORE = "[#7;X3,X4+]1-[#6;!a]-[#6;!a]-[#6;!a](-[#7X3])-[#6;!a]-[#6;!a]-1"


def generated() -> list[str]:
    """Every combination, canonical and distinct, in a fixed order."""
    seen: dict[str, None] = {}
    with rdBase.BlockLogs():
        for acyl, aryl, piperidine, n1 in itertools.product(ACYL, ARYL, PIPERIDINE, N1_GROUP):
            smiles = f"{acyl}N({aryl}){piperidine.format(n1=n1)}"
            mol = Chem.MolFromSmiles(smiles)
            if mol is None:
                raise SystemExit(f"bench_rich: a generated SMILES does not parse: {smiles}")
            seen.setdefault(Chem.MolToSmiles(mol), None)
    return list(seen)


def listed_fentanyls() -> list[str]:
    data = Path(__file__).resolve().parents[1] / "src/classwide/rules/substances/fentanyls.yaml"
    entries = yaml.safe_load(data.read_text(encoding="utf-8"))["substances"]
    return [entry["smiles"] for entry in entries if entry.get("smiles")]


def _parse(lines: list[str]) -> int:
    rdBase.DisableLog("rdApp.*")
    return sum(Chem.MolFromSmiles(line) is not None for line in lines)


def _search(lines: list[str]) -> int:
    rdBase.DisableLog("rdApp.*")
    core = Chem.MolFromSmarts(FENTANYL_CORE)
    found = 0
    for line in lines:
        mol = Chem.MolFromSmiles(line)
        found += mol is not None and mol.HasSubstructMatch(core)
    return found


def pooled(function, lines: list[str], workers: int) -> tuple[float, int]:
    chunks = [lines[i : i + 256] for i in range(0, len(lines), 256)]
    start = time.perf_counter()
    with mp.get_context("fork").Pool(workers) as pool:
        total = sum(pool.imap(function, chunks))
    return time.perf_counter() - start, total


def screen(path: Path, workers: int, source: Path | None = None) -> float:
    """Seconds for ``classwide screen``; ``source``: another checkout's ``src`` to run instead."""
    command = [sys.executable, "-m", "classwide.cli", "screen", str(path), "-o", os.devnull]
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    subprocess.run([*command, "--workers", str(workers)], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=None, help="first N records only")
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="the src folder of another checkout (git worktree add ... OLD), screened the "
        "same way in the same run (repeatable)",
    )
    args = parser.parse_args()
    lines = (generated() + listed_fentanyls())[: args.limit]
    n, workers = len(lines), args.workers
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rich.smi"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        parse_s, _ = pooled(_parse, lines, workers)
        search_s, hits = pooled(_search, lines, workers)
        one_s = screen(path, 1)
        all_s = screen(path, workers) if workers > 1 else one_s
        baselines = [
            (source, screen(path, 1, source), screen(path, workers, source) if workers > 1 else 0)
            for source in args.baseline
        ]

    def row(label: str, seconds: float, processes: int) -> str:
        per_core = seconds * processes / n * 1000
        return f"{label:<38} {n / seconds:9.0f} records/s  {per_core:7.3f} ms/record/core"

    print(f"input: {n} fentanyl-rich records ({hits} hold the fentanyl core), {workers} cores")
    print(row(f"RDKit parse-only ({workers} processes)", parse_s, workers))
    print(row(f"parse + core substructure ({workers})", search_s, workers))
    print(row("classwide screen --workers 1", one_s, 1))
    if workers > 1:
        print(row(f"classwide screen --workers {workers}", all_s, workers))
        print(f"speed-up from 1 to {workers} workers: {one_s / all_s:.2f}")
    print(f"classwide screen / plain search time: {all_s / search_s:.1f}")
    for source, base_one, base_all in baselines:
        print(f"baseline {source}:")
        print(row("  classwide screen --workers 1", base_one, 1))
        if workers > 1:
            print(row(f"  classwide screen --workers {workers}", base_all, workers))
        print(f"  this code is {base_one / one_s:.2f} times as fast with 1 worker", end="")
        print(f", {base_all / all_s:.2f} with {workers}" if workers > 1 else "")


if __name__ == "__main__":
    main()
