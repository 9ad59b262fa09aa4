"""Cost of looking a structure up in the lists against the cost of its class test.

Prints figures; asserts nothing. Both are timed on the same standardised parents (the
fentanyl-rich lists of ``tests/data``, where the class test does its full work):

    python bench/bench_lookup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
from pathlib import Path

from classwide._decompose import MolCache
from classwide._engine import judge_rule
from classwide._rules import default_rules
from classwide._standardize import parent_key, parse_structure, standardize

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
LISTS = ("examples.csv", "fentanyl_hunter_library.csv", "kim2025_fentanyl_analogs.csv")


def fentanyl_rich_smiles() -> list[str]:
    """The SMILES of the bundled fentanyl lists and labelled examples."""
    found = []
    for name in LISTS:
        with open(DATA / name, encoding="utf-8", newline="") as handle:
            found += [row["smiles"] for row in csv.DictReader(handle) if row["smiles"].strip()]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rules = default_rules()
    parents = []
    for smiles in fentanyl_rich_smiles():
        try:
            parents.append(standardize(parse_structure(smiles)).mol)
        except Exception:  # noqa: BLE001 - the lists hold a few bad records on purpose
            continue
    parents *= args.repeat
    day = dt.date(2026, 11, 29)
    class_rules = [r for r in rules.rules if r.match_kind == "class"]

    start = time.perf_counter()
    found = sum(bool(rules.listings(parent_key(mol))) for mol in parents)
    lookup_s = time.perf_counter() - start

    start = time.perf_counter()
    members = 0
    for mol in parents:
        cache = MolCache(mol)
        for rule in class_rules:
            members += judge_rule(mol, rule, day, cache=cache)[0] is not None
    class_s = time.perf_counter() - start

    n = len(parents)
    print(f"{n} standardised parents ({found} listed somewhere, {members} class matches)")
    print(f"list look-up (key + index): {1e6 * lookup_s / n:8.1f} us per structure")
    print(f"class tests ({len(class_rules)} rules):     {1e6 * class_s / n:8.1f} us per structure")
    print(f"look-up / class test: {lookup_s / class_s:.4f} (the aim is under 0.1)")


if __name__ == "__main__":
    main()
