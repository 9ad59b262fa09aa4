"""Batch screening never loses, merges or reorders a record, whatever the input holds."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from rdkit import Chem

from classwide.batch import screen
from classwide.errors import UnsupportedFormatError
from classwide.io import Writer, detect_format, read_records

CODES = ("CN", "US")
DAY = dt.date(2026, 1, 1)
FURANYL = "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
HUGE = "C" * 1999 + "O"  # a 2,000-atom chain


def _screen(path, **kw):
    with read_records(str(path), **kw) as records:
        return list(screen(records, CODES, DAY))


def test_bad_smiles_lines_each_get_one_record_in_order(tmp_path):
    lines = [
        f"{FURANYL} good-1",
        "C1CC(N broken",
        "",
        "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H4 bad-inchi",
        "[Na+].[Cl-] salt-only",
        "[Fe+2].[Cl-].[Cl-] metal",
        f"{HUGE} huge",
        "CN(C)(C)(C)C valence",
        f"{FURANYL}.Cl good-2",
    ]
    path = tmp_path / "in.smi"
    path.write_text("\n".join(lines) + "\n")
    out = _screen(path)
    assert [r.id for r in out] == [
        "good-1",
        "broken",
        "3",
        "bad-inchi",
        "salt-only",
        "metal",
        "huge",
        "valence",
        "good-2",
    ]
    errors = {r.id: r.error for r in out}
    assert errors["good-1"] is None and errors["good-2"] is None
    assert "syntax" in errors["broken"]
    assert "empty" in errors["3"]
    assert "InChI" in errors["bad-inchi"]
    assert "too large" in errors["huge"]
    assert "valence" in errors["valence"].lower()
    assert errors["salt-only"] is None and errors["metal"] is None
    for record in out:
        if record.error:
            assert "\n" not in record.error and record.jurisdictions == ()


def test_sdf_with_a_broken_record_in_the_middle(tmp_path):
    good = Chem.MolToMolBlock(Chem.MolFromSmiles(FURANYL))
    broken = "broken\n  junk\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\nnot an atom line\nM  END\n"
    text = (
        "first\n"
        + good.split("\n", 1)[1]
        + "$$$$\n"
        + broken
        + "$$$$\n"
        + "third\n"
        + good.split("\n", 1)[1]
        + "$$$$\n"
    )
    path = tmp_path / "in.sdf"
    path.write_text(text)
    out = _screen(path)
    assert [r.id for r in out] == ["first", "broken", "third"]
    assert out[0].error is None and out[2].error is None
    assert out[1].error and "MOL block" in out[1].error
    assert out[0].verdict("US").status.value == "listed"  # furanylfentanyl


def test_csv_gz_with_id_column_and_a_missing_field(tmp_path):
    path = tmp_path / "in.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(f"name,SMILES\nfuranyl,{FURANYL}\nshort\nempty,\n")
    out = _screen(path, id_col="name")
    assert [r.id for r in out] == ["furanyl", "short", "empty"]
    assert out[0].error is None and out[1].error and out[2].error


def test_csv_without_the_smiles_column_is_a_usage_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(Exception, match="no column 'smiles'"):
        _screen(path)


def test_unknown_format_is_refused():
    with pytest.raises(UnsupportedFormatError):
        detect_format("catalogue.xlsx")


def test_workers_give_byte_identical_output(tmp_path):
    lines = [FURANYL, "C1CC(N", "", "CCO", "CCC(=O)N(c1ccccc1)C1CCN(Cc2ccccc2)CC1"] * 40
    path = tmp_path / "in.smi"
    path.write_text("\n".join(lines) + "\n")
    outputs = []
    for workers in (1, 2):
        with read_records(str(path)) as records:
            outputs.append(
                [json.dumps(r.to_dict()) for r in screen(records, CODES, DAY, workers=workers)]
            )
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == len(lines)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "sdf"])
def test_writers_write_one_entry_per_record(tmp_path, fmt):
    path = tmp_path / "in.smi"
    path.write_text(f"{FURANYL} a\nC1CC(N b\nCCO c\n")
    out_path = tmp_path / f"out.{fmt}"
    with open(out_path, "w") as stream:
        writer = Writer(stream, fmt, CODES)
        for record in _screen(path):
            writer.write(record)
        writer.close()
    text = out_path.read_text()
    if fmt == "jsonl":
        assert [json.loads(line)["id"] for line in text.splitlines()] == ["a", "b", "c"]
    elif fmt == "csv":
        lines = text.splitlines()
        assert lines[0].startswith("id,input,error,standardized,CN_status")
        assert len(lines) == 4
    else:
        assert text.count("$$$$") == 3
        supplier = Chem.SDMolSupplier(str(out_path))
        titles = [m.GetProp("_Name") for m in supplier if m is not None]
        assert titles == ["a", "b", "c"]


@pytest.mark.parametrize("ident", ['a"b\\c', "ü\u2028\n\t\x01", "😀", 7])
def test_a_prefiltered_record_is_written_as_the_full_serialiser_writes_it(ident):
    # A chunk's settled records are written from a template (most records of a
    # catalogue): the same bytes as serialising their records, for any id (also a number
    # given through the API) and any input text, in input order beside full-path records.
    from classwide.batch import Job, run_chunk
    from classwide.io import InputRecord, serialize

    job = Job(("CN", "US"), dt.date(2026, 1, 1), fmt="jsonl")
    records = [
        InputRecord(ident, "CC(=O)Nc1ccc(O)cc1"),  # settled by the prefilter
        InputRecord("fentanyl", "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"),
        InputRecord(ident, 'C"CO\\'),  # unreadable: the full path reports it
        InputRecord(ident, "OCC\u00e9"),
    ]
    written = run_chunk(job, records)
    objects = run_chunk(Job(job.codes, job.day), records).objects
    assert [o.decided_by for o in objects][:2] == ["prefilter", "full"]
    assert written.text == "".join(serialize(o, "jsonl", job.codes) for o in objects)
    assert written.records == 4 and written.errors == sum(o.error is not None for o in objects)


@pytest.mark.parametrize("dedicated", [False, True])
def test_only_a_dedicated_process_freezes_its_rule_set(monkeypatch, dedicated):
    """A worker or the CLI keeps its rule set out of the garbage collector's walks; a
    program that calls the API keeps its collector as it was."""
    import gc

    import classwide.batch as batch
    from classwide.batch import Job, run_chunk
    from classwide.io import InputRecord

    monkeypatch.setattr(batch, "_dedicated", dedicated)
    monkeypatch.setattr(batch, "_process_cache", {})
    gc.unfreeze()
    try:
        run_chunk(Job(("US",), dt.date(2026, 1, 1)), [InputRecord("1", "CCO")])
        assert (gc.get_freeze_count() > 0) == dedicated
    finally:
        gc.unfreeze()
