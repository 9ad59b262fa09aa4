"""Screening at scale: every format, every runner, faults and resumption, same bytes."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import read_csv
from rdkit import Chem
from typer.testing import CliRunner

import classwide._api as api
import classwide.batch as batch
from classwide._limits import Limits
from classwide.batch import screen, screen_chunks
from classwide.cli import app
from classwide.io import read_records, serialize

DAY = dt.date(2026, 11, 29)
CODES = ("CN", "UN", "US")
runner = CliRunner()


def _catalogue(n: int = 400) -> list[str]:
    """Fentanyls, precursors, decoys, and broken records, mixed."""
    base = [r["smiles"] for r in read_csv("examples.csv")]
    base += ["C1CC(N", "", "CCO", "c1cccc1", "[Na+].[Cl-]", "CN(C)(C)(C)C"]
    base += [r["smiles"] for r in read_csv("faves_v3_benchmark.csv")][:60]
    return [base[i % len(base)] for i in range(n)]


def _lines(n: int = 400) -> list[str]:
    return [f"{s} rec{i}" if s else "" for i, s in enumerate(_catalogue(n), start=1)]


def _cli_screen(*args: str) -> str:
    result = runner.invoke(app, ["screen", *args, "--as-of", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_input_format_gives_one_record_per_input_record(tmp_path):
    smiles = _catalogue(60)
    (tmp_path / "in.smi").write_text("".join(f"{s}\n" for s in smiles))
    with gzip.open(tmp_path / "in.smi.gz", "wt") as handle:
        handle.write("".join(f"{s}\n" for s in smiles))
    (tmp_path / "in.csv").write_text("smiles\n" + "".join(f'"{s}"\n' for s in smiles))
    (tmp_path / "in.tsv").write_text("smiles\n" + "".join(f"{s}\n" for s in smiles))
    inchis = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if s else None
        inchis.append(
            Chem.MolToInchi(mol) if mol is not None and mol.GetNumAtoms() else "InChI=1S/bad"
        )
    (tmp_path / "in.inchi").write_text("".join(f"{i}\n" for i in inchis))
    blocks = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if s else None
        blocks.append(Chem.MolToMolBlock(mol) if mol is not None else "broken\n\n\nM  END\n")
    (tmp_path / "in.sdf").write_text("".join(b + "$$$$\n" for b in blocks))
    for name in ("in.smi", "in.smi.gz", "in.csv", "in.tsv", "in.inchi", "in.sdf"):
        for workers in ("1", "2"):
            out = _cli_screen(str(tmp_path / name), "--workers", workers)
            records = [json.loads(line) for line in out.splitlines()]
            assert len(records) == len(smiles), (name, workers)
            assert [r["id"] for r in records] == [
                str(i) for i in range(1, len(smiles) + 1)
            ] or name == "in.sdf"


def test_standard_input_is_read_as_smiles_lines():
    result = runner.invoke(
        app, ["screen", "-"], input="CCO\nC1CC(N\n\nCCC(=O)N(c1ccccc1)C1CCNCC1\n"
    )
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "sdf"])
def test_workers_1_and_2_and_the_record_path_give_the_same_bytes(tmp_path, fmt):
    source = tmp_path / "in.smi"
    source.write_text("\n".join(_lines()) + "\n")
    outputs = [
        _cli_screen(str(source), "--workers", workers, "--format", fmt) for workers in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    # Records serialised here and the raw SMILES path (text blocks serialised in the
    # workers, through templates) write the same bytes.
    with read_records(str(source)) as records:
        by_record = "".join(serialize(r, fmt, CODES) for r in screen(records, CODES, DAY))
    with read_records(str(source)) as stream:
        by_chunk = "".join(r.text for r in screen_chunks([stream], CODES, DAY, fmt=fmt))
    assert by_record == by_chunk
    body = outputs[0].split("\n", 1)[1] if fmt == "csv" else outputs[0]
    assert body == by_record


CRASHER = "CCCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1CC"  # reaches the full path


def test_a_record_that_kills_its_worker_is_reported_and_nothing_is_lost(monkeypatch):
    """A crash in native code (simulated by os._exit) costs one error record, not the run."""
    original = api.parse_structure

    def crashing(text, **kwargs):
        if text == CRASHER:
            os._exit(3)
        return original(text, **kwargs)

    monkeypatch.setattr(api, "parse_structure", crashing)  # inherited by forked workers
    smiles = _catalogue(300)
    smiles[137] = CRASHER
    records = [batch.InputRecord(str(i), s) for i, s in enumerate(smiles, start=1)]
    out = list(screen(records, CODES, DAY, workers=2))
    assert [r.id for r in out] == [str(i) for i in range(1, 301)]
    assert out[137].error == "the worker process died on this record"
    assert sum(r.error == "the worker process died on this record" for r in out) == 1


def test_a_record_over_its_time_limit_becomes_an_error_record(monkeypatch):
    original = api.parse_structure

    def slow(text, **kwargs):
        if text == "CCCCCCCCCCCCCCCCCCCCO":
            time.sleep(5)
        return original(text, **kwargs)

    monkeypatch.setattr(api, "parse_structure", slow)
    smiles = ["CCO", "CCCCCCCCCCCCCCCCCCCCO", "CCC(=O)N(c1ccccc1)C1CCNCC1"]
    records = [batch.InputRecord(str(i), s) for i, s in enumerate(smiles, start=1)]
    limits = Limits(seconds_per_record=0.5)
    for workers in (1, 2):
        out = list(screen(records, CODES, DAY, workers=workers, prefilter=False, limits=limits))
        assert [r.error for r in out] == [None, "timeout: over 0.5 s on this record", None]


def test_a_record_s_time_limit_holds_over_all_its_stages(monkeypatch):
    """Records go through each stage (reading, standardising, judging) chunk-wide before
    the next stage; the limit is the record's whole time: reading and judging of 0.3 s
    each exceed 0.5 s, although neither does alone."""
    slow_text = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C"
    slow_parent = Chem.MolToSmiles(Chem.MolFromSmiles(slow_text))
    read, judge = api.parse_structure, api.judge_components

    def slow_read(text, **kwargs):
        if text == slow_text:
            time.sleep(0.3)
        return read(text, **kwargs)

    def slow_judge(components, *args):
        if components[0].smiles == slow_parent:
            time.sleep(0.3)
        return judge(components, *args)

    monkeypatch.setattr(api, "parse_structure", slow_read)
    monkeypatch.setattr(api, "judge_components", slow_judge)
    smiles = ["CCC(=O)N(c1ccccc1)C1CCNCC1", slow_text, "CCC(=O)N(c1ccccc1)C1CCN(C)CC1"]
    records = [batch.InputRecord(str(i), s) for i, s in enumerate(smiles, start=1)]
    out = list(screen(records, CODES, DAY, prefilter=False, limits=Limits(seconds_per_record=0.5)))
    assert [r.error for r in out] == [None, "timeout: over 0.5 s on this record", None]
    assert out[0].standardized and out[2].standardized


def test_a_record_over_its_time_limit_keeps_how_its_input_was_given(monkeypatch):
    """A MOL block that times out is reported like any other MOL block record: shown as
    "(MOL block)", of input type molblock (not as SMILES text)."""
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"))
    read = api.parse_structure

    def slow(text, **kwargs):
        if text == block:
            time.sleep(2)
        return read(text, **kwargs)

    monkeypatch.setattr(api, "parse_structure", slow)
    records = [batch.InputRecord("1", block), batch.InputRecord("2", "CCO")]
    out = list(screen(records, CODES, DAY, prefilter=False, limits=Limits(seconds_per_record=0.3)))
    assert [r.error for r in out] == ["timeout: over 0.3 s on this record", None]
    assert (out[0].input, out[0].input_type) == ("(MOL block)", "molblock")


def test_resume_continues_an_interrupted_output(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("\n".join(_lines(300)) + "\n")
    full = tmp_path / "full.jsonl"
    _cli_screen(str(source), "-o", str(full))
    partial = tmp_path / "partial.jsonl"
    data = full.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 40  # whole lines, then half a line
    partial.write_bytes(data[:cut])
    _cli_screen(str(source), "-o", str(partial), "--resume")
    assert partial.read_bytes() == data


def test_resume_of_csv_keeps_one_header(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("\n".join(_lines(120)) + "\n")
    full = tmp_path / "full.csv"
    _cli_screen(str(source), "-o", str(full), "--format", "csv")
    data = full.read_bytes()
    partial = tmp_path / "partial.csv"
    partial.write_bytes(data[: data.index(b"\n", len(data) // 3) + 1])
    _cli_screen(str(source), "-o", str(partial), "--format", "csv", "--resume")
    assert partial.read_bytes() == data


def test_interrupting_a_run_leaves_whole_lines_and_resume_finishes_it(tmp_path):
    source = tmp_path / "in.smi"
    decoys = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CN1CCC[C@H]1c1cccnc1", "OC(=O)c1ccccc1"]
    lines = [f"{decoys[i % 5]} rec{i + 1}" for i in range(300_000)]  # long enough to interrupt
    lines[10] = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 rec11"
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "classwide.cli",
        "screen",
        str(source),
        "-o",
        str(out),
        "--workers",
        "2",
        "--as-of",
        DAY.isoformat(),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 200_000):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    data = out.read_bytes()
    assert process.returncode == 130 and data.endswith(b"\n")
    assert 0 < data.count(b"\n") < len(lines)
    for line in data.splitlines():
        json.loads(line)
    subprocess.run([*command, "--resume"], check=True)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(lines)
    assert [r["id"] for r in records[:3]] == ["rec1", "rec2", "rec3"]


def test_dask_local_cluster_gives_the_same_bytes(tmp_path):
    pytest.importorskip("dask.distributed")
    source = tmp_path / "in.smi"
    source.write_text("\n".join(_lines(300)) + "\n")
    local = _cli_screen(str(source), "--workers", "1")
    on_dask = _cli_screen(str(source), "--dask", "local", "--workers", "2")
    assert on_dask == local
    csv_source = tmp_path / "in.csv"
    csv_source.write_text("smiles\n" + "".join(f'"{s}"\n' for s in _catalogue(150)))
    assert _cli_screen(str(csv_source), "--dask", "local", "--workers", "2") == _cli_screen(
        str(csv_source), "--workers", "1"
    )


def test_every_record_serialises_the_same_in_the_worker_and_here():
    records = [batch.InputRecord(str(i), s) for i, s in enumerate(_catalogue(120), start=1)]
    objects = list(screen(records, CODES, DAY))
    in_worker = batch.run_chunk(batch.Job(tuple(CODES), DAY, fmt="jsonl"), records)
    assert "".join(serialize(r, "jsonl", CODES) for r in objects) == in_worker.text
    assert in_worker.records == len(records) and not in_worker.objects


def test_progress_bar_counts_records_and_bytes():
    """The bar reports records, records/s and position; it writes to standard error only."""
    import io as _io

    from rich.console import Console

    import classwide.cli as cli_module

    class FakeStream:
        total_bytes = 1000

        def __init__(self):
            self.position = 0

        def bytes_read(self):
            return self.position

    stream = FakeStream()
    original = cli_module.err
    sink = _io.StringIO()
    cli_module.err = Console(file=sink, force_terminal=True, width=120)
    try:
        progress = cli_module._Progress([stream], done=0)
        for _ in range(5):
            stream.position += 200
            progress.advance(10)
            time.sleep(0.21)
        progress.stop()
    finally:
        cli_module.err = original
    text = sink.getvalue()
    assert "50 records" in text and "records/s" in text
    assert progress.bar.tasks[0].completed == 1000


def test_a_huge_csv_field_is_one_record_with_an_error(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\n" + "C" * 200_000 + "\nCCN\n")
    records = [json.loads(line) for line in _cli_screen(str(source)).splitlines()]
    assert [r["id"] for r in records] == ["1", "2", "3"]
    assert "too large" in records[1]["error"] and records[2]["error"] is None


@pytest.mark.parametrize("name", ["in.smi.gz", "in.csv.gz"])
def test_a_truncated_gzip_stops_with_a_clear_error_after_whole_records(tmp_path, name):
    header = "smiles\n" if name.endswith(".csv.gz") else ""
    data = gzip.compress((header + "CCO\n" * 50_000).encode())
    source = tmp_path / name
    source.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["screen", str(source), "-o", str(out), "--workers", "2"])
    assert result.exit_code == 2 and "truncated or corrupt" in result.output
    text = out.read_text()
    assert text.endswith("\n") and text.count("\n") > 0
    ids = [json.loads(line)["id"] for line in text.splitlines()]
    assert ids == [str(i) for i in range(1, len(ids) + 1)]


def test_a_chunk_that_raises_costs_one_record(monkeypatch):
    """A bug on one record (simulated) becomes that record's error; the run goes on."""
    original = api.parse_structure

    def failing(text, **kwargs):
        if text == CRASHER:
            raise RuntimeError("simulated bug")
        return original(text, **kwargs)

    monkeypatch.setattr(api, "parse_structure", failing)
    smiles = _catalogue(200)
    smiles[77] = CRASHER
    records = [batch.InputRecord(str(i), s) for i, s in enumerate(smiles, start=1)]
    for workers in (1, 2):
        out = list(screen(records, CODES, DAY, workers=workers))
        assert [r.id for r in out] == [str(i) for i in range(1, 201)]
        assert out[77].error == "internal error on this record: RuntimeError: simulated bug"
        assert sum(r.error is not None and "internal" in r.error for r in out) == 1


def test_a_timeout_is_reported_as_a_timeout_wherever_it_strikes():
    """A record over its time limit is a timeout, even when the alarm rings inside code that
    catches ``Exception`` (standardising, classifying): never "cannot standardise: " or
    "internal error ... RecordTimeout"."""
    smiles = [s for s in _catalogue(200) if s]
    records = [batch.InputRecord(str(i), s) for i, s in enumerate(smiles, start=1)]
    limits = Limits(seconds_per_record=0.002)
    out = list(screen(records, CODES, DAY, limits=limits, prefilter=False))
    assert len(out) == len(records)
    errors = [r.error for r in out if r.error]
    assert "timeout: over 0.002 s on this record" in errors
    assert not [e for e in errors if "RecordTimeout" in e or e.endswith("standardise: ")]
    assert not [e for e in errors if e.startswith(("internal error", "cannot standardise"))]
    assert issubclass(batch.RecordTimeout, BaseException)
    assert not issubclass(batch.RecordTimeout, Exception)


def test_a_timeout_swallowed_where_python_drops_exceptions_rings_again(monkeypatch):
    """The alarm can ring inside a callback whose exceptions Python prints and drops (a
    weak reference's, the garbage collector's); it rings again until the record ends, so
    the record is still stopped and reported as a timeout."""
    original = api.parse_structure

    def swallowing(text, **kwargs):
        if text != "CCO":
            return original(text, **kwargs)
        try:
            time.sleep(2)  # the first ring, dropped as a callback would drop it
        except batch.RecordTimeout:
            pass
        end = time.monotonic() + 2
        while time.monotonic() < end:
            pass  # a slow record that only a second ring stops
        return original(text, **kwargs)

    monkeypatch.setattr(api, "parse_structure", swallowing)
    records = [batch.InputRecord("1", "CCO"), batch.InputRecord("2", "CCN")]
    out = list(screen(records, CODES, DAY, limits=Limits(seconds_per_record=0.5), prefilter=False))
    assert [r.error for r in out] == ["timeout: over 0.5 s on this record", None]
