"""One definition of a line and of a record, whatever path reads it.

A line ends at "\\n" (a "\\r\\n" ending counts as "\\n"; a lone "\\r" does not end a line).
A UTF-8 byte-order mark at the start of a file is not data. A record over the size limit is
one error record whose ``input`` is cut short.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from typer.testing import CliRunner

from classwide.batch import screen
from classwide.cli import app
from classwide.io import completed_records, raw_smiles_chunks, read_records, records_of

runner = CliRunner()
DAY = dt.date(2026, 11, 29)
CODES = ("US",)
LIMIT = 100_000


def _garbage() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(5000))


LINE_CASES = {
    "cr": (b"CCO a\rCCN b\rCCC c\r", 1),
    "crcrlf": (b"CCO a\r\r\nCCN b\r\r\n", 2),
    "crlf": (b"CCO a\r\nCCN b\r\n\r\nCCC", 4),
    "lf-and-lone-cr": (b"CCO a\nCC\rN b\n\rCCC c\n", 3),
    "garbage": (_garbage(), _garbage().count(b"\n") + (not _garbage().endswith(b"\n"))),
}


def _cli(*args: str, stdin: bytes | None = None) -> list[dict]:
    result = runner.invoke(
        app, ["screen", *args, "--as-of", DAY.isoformat(), "-j", "US"], input=stdin
    )
    assert result.exit_code == 0, result.output
    # Not splitlines(): an id may hold U+2028 or U+0085, which JSON leaves as they are.
    return [json.loads(line) for line in result.stdout.split("\n") if line]


def _record_path(path) -> list[tuple[str, str, str | None]]:
    with read_records(str(path)) as records:
        return [(r.id, r.input, r.error) for r in screen(records, CODES, DAY)]


@pytest.mark.parametrize("case", sorted(LINE_CASES))
@pytest.mark.parametrize("suffix", [".smi", ".inchi"])
def test_every_path_counts_the_same_lines(tmp_path, case, suffix):
    data, expected = LINE_CASES[case]
    source = tmp_path / f"in{suffix}"
    source.write_bytes(data)
    fast = [(r["id"], r["input"], r["error"]) for r in _cli(str(source))]
    assert len(fast) == expected
    assert [(r["id"], r["input"], r["error"]) for r in _cli(str(source), "--workers", "2")] == fast
    assert _record_path(source) == fast
    if suffix == ".smi":
        stdin = [(r["id"], r["input"], r["error"]) for r in _cli("-", stdin=data)]
        assert stdin == fast
    result = runner.invoke(app, ["screen", str(source), "--format", "sdf", "--as-of", "2026-11-29"])
    assert result.stdout.split("\n").count("$$$$") == expected
    result = runner.invoke(app, ["screen", str(source), "--format", "csv", "--as-of", "2026-11-29"])
    assert result.exit_code == 0
    out = tmp_path / "out.jsonl"
    out.write_text("")
    runner.invoke(app, ["screen", str(source), "-o", str(out), "--as-of", "2026-11-29"])
    whole = out.read_bytes()
    out.write_bytes(whole[: whole.index(b"\n") + 1] if whole.count(b"\n") > 1 else b"")
    result = runner.invoke(
        app, ["screen", str(source), "-o", str(out), "--resume", "--as-of", "2026-11-29"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == whole


def test_a_lone_cr_stays_inside_a_csv_row(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b'smiles,id\r\nCCO,a\r\nCCN,b\rc\r\n"CCC","d\re"\n')
    with read_records(str(source), id_col="id") as records:
        got = [(r.id, r.text, r.error) for r in records]
    assert got == [("a", "CCO", None), ("b\rc", "CCN", None), ("d\re", "CCC", None)]


def test_a_cr_only_csv_is_one_header_line(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"smiles\rCCO\rCCN\r")
    with pytest.raises(Exception, match="no column 'smiles'"):
        with read_records(str(source)) as records:
            list(records)


@pytest.mark.parametrize(
    ("name", "data", "first"),
    [
        ("in.csv", "\ufeffsmiles,id\nCCO,one\n", "one"),
        ("in.smi", "\ufeffCCO one\n", "one"),
        ("in.inchi", "\ufeffInChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3 one\n", "one"),
    ],
)
def test_a_byte_order_mark_is_not_data(tmp_path, name, data, first):
    source = tmp_path / name
    source.write_text(data, encoding="utf-8")
    args = ["--id-col", "id"] if name.endswith(".csv") else []
    records = _cli(str(source), *args)
    assert [(r["id"], r["error"]) for r in records] == [(first, None)]
    assert _record_path(source)[0][2] is None


def test_a_byte_order_mark_on_standard_input_is_not_data():
    records = _cli("-", stdin="\ufeffCCO one\n".encode())
    assert [(r["id"], r["input"], r["error"]) for r in records] == [("one", "CCO", None)]


def _too_large(length: int) -> str:
    return f"too large: {length} characters (limit {LIMIT})"


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_a_line_over_the_limit_is_one_error_record_with_a_short_echo(tmp_path, ending):
    long = "C" * 150_000
    source = tmp_path / "in.smi"
    source.write_text(f"CCO a\n{long} big{ending}" + ("CCN c\n" if ending else ""), newline="")
    want = ("2", "C" * 200 + "\u2026", _too_large(150_004))
    for records in (_cli(str(source)), _cli(str(source), "--workers", "2")):
        assert [(r["id"], r["input"], r["error"]) for r in records][1] == want
        assert len(records) == (3 if ending else 2)
    assert _record_path(source)[1] == want


def test_the_line_limit_boundary_is_the_same_on_every_path(tmp_path):
    lines = ["C" * n for n in (LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 2)]
    source = tmp_path / "in.smi"
    source.write_text("\r\n".join(lines) + "\r\n", newline="")
    fast = [(r["id"], r["input"][:5], r["error"]) for r in _cli(str(source))]
    assert [error for _, _, error in fast][2:] == [_too_large(LIMIT + 1), _too_large(LIMIT + 2)]
    assert [(i, text[:5], error) for i, text, error in _record_path(source)] == fast


def test_raw_chunks_never_hold_a_line_over_the_limit(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO\n" + "C" * 5000 + " x\nCCN\n" + "N" * 3000)
    with read_records(str(source), max_chars=1000) as stream:
        chunks = list(raw_smiles_chunks(stream.handle, max_chars=1000, block=700))
    assert all(len(chunk.text) <= 2000 for chunk in chunks)
    records = [r for chunk in chunks for r in records_of(chunk)]
    assert [(r.id, r.error) for r in records] == [
        ("1", None),
        ("2", "too large: 5002 characters (limit 1000)"),
        ("3", None),
        ("4", "too large: 3000 characters (limit 1000)"),
    ]
    with read_records(str(source), max_chars=1000) as stream:
        assert [(r.id, r.error) for r in stream] == [(r.id, r.error) for r in records]


def test_a_csv_field_or_row_over_the_limit_is_one_error_record(tmp_path):
    source = tmp_path / "in.csv"
    field = "C" * 150_000
    source.write_text(
        f'smiles,id\nCCO,a\n{field},b\n"{field[:60_000]}\n{field[:60_000]}",c\nCCN,d\n'
    )
    with read_records(str(source), id_col="id") as records:
        got = [(r.id, (r.text or "")[:3], len(r.text or ""), r.error) for r in records]
    assert [row[0] for row in got] == ["a", "2", "3", "d"]
    assert got[1][2] == got[2][2] == 201 and got[1][3].startswith("too large: ")
    assert got[3][3] is None


def test_an_sdf_entry_over_the_limit_is_one_error_record(tmp_path):
    source = tmp_path / "in.sdf"
    small = "ethanol\n  RDKit\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n"
    big = "big\n" + "x" * 80 + "\n" + ("junk line of padding\n" * 6000) + "M  END\n$$$$\n"
    source.write_text(small + big + small)
    with read_records(str(source)) as records:
        got = list(records)
    assert len(got) == 3 and got[1].error.startswith("too large: ")
    assert len(got[1].text) == 201 and got[0].error is None and got[2].error is None


def test_an_unterminated_csv_quote_is_reported_not_silently_merged(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('smiles,id\nCCO,1\n"CCN,2\nCCC,3\nCCCC,4\n')
    with read_records(str(source), id_col="id") as records:
        got = list(records)
    assert [r.id for r in got] == ["1", "2"]
    assert "unterminated quote" in got[1].error and "line 3" in got[1].error


def test_completed_records_of_a_csv_with_a_newline_in_a_quoted_id(tmp_path):
    out = tmp_path / "out.csv"
    head = "id,input,error,standardized\n"
    rows = ['"a\nb",CCO,,CCO\n', '"c\n', 'd",CCN,,CCN\n', "e,CCC,,CCC\n"]
    out.write_text(head + rows[0] + rows[1])
    assert completed_records(str(out), "csv") == 1
    assert out.read_text() == head + rows[0]
