"""The command line under misuse and faults: exit 2 with one line, never a traceback or lost data."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classwide.cli import app
from classwide.io import read_sdf

runner = CliRunner()
DAY = "2026-11-29"
FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _screen(*args: str):
    return runner.invoke(app, ["screen", *args, "--as-of", DAY, "-j", "US"])


def _one_line_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for word in words:
        assert word in lines[0], result.output


# --- D5: the output never overwrites an input ---------------------------------------------------


@pytest.mark.parametrize("how", ["same", "dotted", "symlink", "hardlink"])
def test_an_output_that_is_an_input_is_refused_before_it_is_opened(tmp_path, how):
    source = tmp_path / "in.smi"
    source.write_text(f"{FENTANYL} a\nCCO b\n")
    before = source.read_bytes()
    output = {
        "same": source,
        "dotted": tmp_path / "sub" / ".." / "in.smi",
        "symlink": tmp_path / "link.smi",
        "hardlink": tmp_path / "hard.smi",
    }[how]
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        output.symlink_to(source)
    if how == "hardlink":
        os.link(source, output)
    result = _screen(str(source), "-o", str(output))
    _one_line_error(result, "input")
    assert source.read_bytes() == before
    result = _screen(str(source), "-o", str(output), "--resume")
    _one_line_error(result, "input")
    assert source.read_bytes() == before


# --- D8: user and rule-file text is printed as written ------------------------------------------


@pytest.mark.parametrize("structure", ["C[/x]", "C1CC[nH]", "[bold]C[/bold]"])
def test_check_shows_brackets_in_the_structure_as_written(structure):
    result = runner.invoke(app, ["check", structure])
    _one_line_error(result, structure)


def test_table_shows_markup_like_ids_as_written(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO [/x]\nCCN [red]b[/red]\n")
    result = _screen(str(source), "--format", "table")
    assert result.exit_code == 0, result.output
    assert "[/x]" in result.stdout and "[red]b[/red]" in result.stdout


# --- D12 and A33: usage and environment errors ---------------------------------------------------


def test_an_existing_file_with_an_unknown_suffix_exits_2(tmp_path):
    source = tmp_path / "in.xyz"
    source.write_text("CCO\n")
    _one_line_error(_screen(str(source)), "unknown input format")


def test_a_full_disk_exits_2_with_a_message(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    source = tmp_path / "in.smi"
    source.write_text("CCO a\n" * 50)
    _one_line_error(_screen(str(source), "-o", "/dev/full"), "/dev/full")


def test_an_output_folder_that_does_not_exist_exits_2(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO a\n")
    _one_line_error(_screen(str(source), "-o", str(tmp_path / "nope" / "out.jsonl")), "nope")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_output_without_write_permission_exits_2(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO a\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    _one_line_error(_screen(str(source), "-o", str(locked / "out.jsonl")), "ermission")


def test_an_unreadable_input_exits_2(tmp_path, monkeypatch):
    """Permission denied on an input (simulated: the tests may run as root)."""
    import builtins

    source = tmp_path / "in.smi"
    source.write_text("CCO a\n")
    real_open = builtins.open

    def refusing(file, *args, **kwargs):
        if str(file) == str(source):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing)
    _one_line_error(_screen(str(source)), "Permission denied")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "classwide.cli", *args]


def test_a_closed_pipe_ends_the_run_quietly(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("CCO a\n" * 20_000)
    shell = f"{' '.join(_cli('screen', str(source), '--as-of', DAY))} | head -2"
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {shell}"], capture_output=True, text=True, timeout=300
    )
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""
    assert done.returncode == 141


# --- A26: a truncated input under --format table ---------------------------------------------


def test_table_of_a_truncated_gzip_shows_the_rows_read_before_the_damage(tmp_path):
    data = gzip.compress("".join(f"CCO r{i}\n" for i in range(1, 40_001)).encode())
    source = tmp_path / "in.smi.gz"
    source.write_bytes(data[: len(data) // 2])
    result = _screen(str(source), "--format", "table", "--workers", "1")
    assert result.exit_code == 2
    assert "r1 " in result.stdout
    assert "truncated or corrupt" in result.output
    assert "records were read" in result.output


# --- D16: ids that would break the output format ----------------------------------------------


def test_an_sdf_id_of_dollars_stays_inside_its_record(tmp_path):
    source = tmp_path / "d.smi"
    source.write_text("CCO $$$$\nCCN b\n")
    result = _screen(str(source), "--format", "sdf")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert lines.count("$$$$") == 2
    records = list(read_sdf(io.StringIO(result.stdout)))
    assert len(records) == 2 and records[1].id == "b"


@pytest.mark.parametrize("fmt", ["sdf", "csv", "jsonl"])
def test_resume_after_a_cut_in_any_record_gives_the_same_bytes(tmp_path, fmt):
    """Ids with `$$$$`, newlines and quotes; the output is cut at every few bytes and resumed."""
    source = tmp_path / "in.csv"
    ids = ["$$$$", "a\nb", 'q"u\nx', "$$$$\n$$$$", "plain", "> <id>", "\r", "e"]
    rows = "".join(
        '"{}","{}"\n'.format(smiles, record_id.replace('"', '""'))
        for smiles, record_id in zip(["CCO", "CCN", "CCC", FENTANYL] * 2, ids, strict=True)
    )
    source.write_text("smiles,id\n" + rows, newline="")
    full = tmp_path / f"full.{fmt}"
    result = _screen(str(source), "--id-col", "id", "--format", fmt, "-o", str(full))
    assert result.exit_code == 0, result.output
    data = full.read_bytes()
    partial = tmp_path / f"partial.{fmt}"
    for cut in range(0, len(data), max(1, len(data) // 40)):
        partial.write_bytes(data[:cut])
        result = _screen(
            str(source), "--id-col", "id", "--format", fmt, "-o", str(partial), "--resume"
        )
        assert result.exit_code == 0, result.output
        assert partial.read_bytes() == data, cut


# --- D15: SIGTERM stops the workers ---------------------------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sigterm_stops_the_workers_and_leaves_whole_records(tmp_path):
    source = tmp_path / "in.smi"
    decoys = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", FENTANYL, "OC(=O)c1ccccc1"]
    source.write_text("".join(f"{decoys[i % 5]} rec{i + 1}\n" for i in range(300_000)))
    out = tmp_path / "out.jsonl"
    command = _cli("screen", str(source), "-o", str(out), "--workers", "2", "--as-of", DAY)
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 100_000):
        workers |= _children(process.pid)
        time.sleep(0.05)
    workers |= _children(process.pid)
    assert workers, "no worker processes seen"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert b"Traceback" not in stderr and b"--resume" in stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]
    data = out.read_bytes()
    assert data.endswith(b"\n")
    for line in data.splitlines():
        json.loads(line)


# --- serve: the service's settings from the command line ----------------------------------------


def test_serve_passes_rule_files_hosts_and_retention_to_the_service(monkeypatch, tmp_path):
    import uvicorn

    import classwide.service as service

    seen = {}
    monkeypatch.setattr(service, "create_app", lambda settings: seen.setdefault("s", settings))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    rule = Path(__file__).parent / "fixtures" / "gb-fentanyl-generic.yaml"
    result = runner.invoke(
        app,
        [
            "serve",
            "--rules",
            str(rule),
            "--allowed-host",
            "classwide.example.org",
            "--job-retention-hours",
            "2",
            "--audit-url",
            f"sqlite:///{tmp_path / 'a.sqlite'}",
        ],
    )
    assert result.exit_code == 0, result.output
    settings = seen["s"]
    assert tuple(settings.extra_rules) == (rule,)  # job workers load the same files
    assert "classwide.example.org" in settings.allowed_hosts
    assert settings.job_retention_seconds == 7200
