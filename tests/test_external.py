"""Third-party lists: every structure processed (a verdict or a one-line error), none lost.

These files are not legal ground truth (see tests/data/README.md), except
kim2025_labels.csv, which carries our own labels for the Kim et al. structures.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import read_csv

from classwide._rules import default_rules
from classwide.batch import screen
from classwide.io import InputRecord

DAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    "name",
    ["fentanyl_hunter_library.csv", "kim2025_fentanyl_analogs.csv", "faves_v3_benchmark.csv"],
)
def test_every_row_gives_exactly_one_record(name):
    rows = read_csv(name)
    records = [InputRecord(str(i), row["smiles"]) for i, row in enumerate(rows, start=1)]
    out = list(screen(records, ("CN", "US"), DAY))
    assert [r.id for r in out] == [r.id for r in records]
    for record, row in zip(out, rows, strict=True):
        if not row["smiles"].strip():
            assert record.error and "empty" in record.error
        elif record.error is None:
            assert {v.jurisdiction for v in record.jurisdictions} == {"CN", "US"}
        else:
            assert "\n" not in record.error


LABELS = read_csv("kim2025_labels.csv")


@pytest.mark.parametrize("row", LABELS, ids=[r["name"][:40] for r in LABELS])
def test_kim2025_labels(row):
    rules = default_rules()
    out = list(screen([InputRecord("1", row["smiles"])], ("US", "CN"), DAY, rules=rules))[0]
    for code, column, clauses in (("US", "us_frs", "us_clauses"), ("CN", "cn_frs", "cn_clauses")):
        matches = out.verdict(code).class_matches()
        assert bool(matches) == (row[column] == "yes"), (code, out.verdict(code).to_dict())
        if matches:
            # Our labels list every clause used; the engine may add an equivalent one (A or B).
            assert set(row[clauses].split(";")) <= set(matches[0].clauses)


def test_suspected_wrong_structures_are_processed_not_trusted():
    rows = [
        r
        for r in read_csv("fentanyl_hunter_library.csv")
        if "suspected_wrong_structure" in r["qa_note"]
    ]
    assert rows, "the QA flag is expected in the test data"
    records = [InputRecord(r["name"], r["smiles"]) for r in rows]
    assert len(list(screen(records, ("US",), DAY))) == len(rows)
