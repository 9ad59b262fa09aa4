"""Check substance structures against their names with OPSIN, two independent ways.

Reads a CSV with columns ``name``, ``chemical_name``, ``synonyms`` (``;``-separated) and
``smiles``, parses every name with OPSIN (one JVM for the whole file), and prints, per
row, whether the InChIKey of the SMILES equals the InChIKey of a parsed name: in full
(``full``), or only in its first block, the skeleton without stereo (``skeleton``).
Rows whose names OPSIN cannot parse say ``no-parse``. Prints; changes nothing:

    python tools/verify_structures.py FILE.csv [--column-out FILE_OUT.csv]
"""

from __future__ import annotations

import argparse
import csv
import sys

from rdkit import Chem, rdBase

from classwide._names import opsin_smiles


def inchikey(smiles: str | None) -> str | None:
    """The standard InChIKey of a SMILES, or None."""
    if not smiles:
        return None
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
        return Chem.MolToInchiKey(mol) if mol is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--column-out", help="write the rows with an opsin_check column added")
    args = parser.parse_args()
    with open(args.csv, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names: list[str] = []
    owners: list[int] = []
    for i, row in enumerate(rows):
        candidates = [row.get("chemical_name", ""), row.get("name", "")]
        candidates += (row.get("synonyms") or "").split(";")
        for name in candidates:
            name = " ".join(name.split())
            if name and "\n" not in name:
                names.append(name)
                owners.append(i)
    parsed = opsin_smiles(names) if names else []
    keys: dict[int, set[str]] = {}
    for owner, smiles in zip(owners, parsed, strict=True):
        key = inchikey(smiles)
        if key:
            keys.setdefault(owner, set()).add(key)
    counts = {"full": 0, "skeleton": 0, "differs": 0, "no-parse": 0, "no-smiles": 0}
    for i, row in enumerate(rows):
        own = inchikey(row.get("smiles"))
        found = keys.get(i, set())
        if own is None:
            verdict = "no-smiles"
        elif not found:
            verdict = "no-parse"
        elif own in found:
            verdict = "full"
        elif own.split("-")[0] in {k.split("-")[0] for k in found}:
            verdict = "skeleton"
        else:
            verdict = "differs"
        counts[verdict] += 1
        row["opsin_check"] = verdict
        if verdict in ("differs",):
            print(
                f"DIFFERS row {i + 2}: {row.get('name')}: smiles {own}, names give {sorted(found)}"
            )
    print(" ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    if args.column_out:
        with open(args.column_out, "w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["opsin_check"])
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
