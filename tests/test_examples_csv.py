"""The hand-labelled structures of tests/data/examples.csv, row by row.

``us_frs``/``cn_frs`` say whether the class definition is satisfied (whatever the listing);
that is exactly the project's class match, or its absence.
"""

from __future__ import annotations

import pytest
from conftest import read_csv

from classwide import classify

ROWS = read_csv("examples.csv")


def _class_match(record, code):
    return list(record.verdict(code).class_matches())


def _expected_clauses(text: str) -> list[set[str]]:
    """'A|B;E' -> [{'A','B'}, {'E'}]: each slot is satisfied by any of its labels."""
    slots = []
    for part in text.split(";"):
        part = part.strip()
        if not part or part.startswith(("X:", "n/a", "none")):
            continue
        slots.append({p.strip() for p in part.split("|")})
    return slots


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['id']}-{r['name'][:30]}" for r in ROWS])
def test_class_membership_matches_label(row):
    record = classify(row["smiles"], jurisdictions="US,CN")
    for code, column, mods in (("US", "us_frs", "us_mods"), ("CN", "cn_frs", "cn_mods")):
        matches = _class_match(record, code)
        assert bool(matches) == (row[column] == "yes"), (code, record.verdict(code).to_dict())
        if matches:
            got = set(matches[0].clauses)
            for slot in _expected_clauses(row[mods]):
                assert slot & got, (code, row[mods], sorted(got))


BY_ID = {r["id"]: r for r in ROWS}


@pytest.mark.parametrize(
    ("row_id", "code", "reading", "would_be"),
    [
        ("N013", "US", "acyl-iupac-broad", True),  # ethanesulfonyl
        ("N013", "CN", "acyl-iupac-broad", True),
        ("N015", "US", "acyl-iupac-broad", True),  # propanethioyl
        ("N022", "US", "us-a-phenyl-substituents-limited", False),  # 4'-cyano
        ("N041", "US", "methylenedioxy-as-substituent", True),  # benzodioxolyl
        ("N019", "CN", "cn-piperidine-list-open", True),  # 4-phenyl on the piperidine
    ],
)
def test_reading_dependent_rows_say_so_in_review(row_id, code, reading, would_be):
    record = classify(BY_ID[row_id]["smiles"], jurisdictions=code)
    notes = {n.reading: n for n in record.verdict(code).review}
    assert reading in notes, record.verdict(code).to_dict()
    assert notes[reading].class_match_would_be is would_be
    assert notes[reading].status_would_be.value == ("class" if would_be else "not_controlled")


@pytest.mark.parametrize("row_id", ["A011", "A019", "P002", "D001", "A064"])
def test_firm_verdicts_have_no_review(row_id):
    record = classify(BY_ID[row_id]["smiles"])
    assert all(not v.review for v in record.jurisdictions)
