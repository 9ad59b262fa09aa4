"""Chemical names through OPSIN (needs a Java runtime, which `make` installs)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from classwide import ParseError, classify
from classwide._names import java_available
from classwide.cli import app

FURANYL_NAME = "N-phenyl-N-[1-(2-phenylethyl)piperidin-4-yl]furan-2-carboxamide"


def test_java_is_there():
    """OPSIN needs Java; the Makefile installs it, so its absence is a set-up failure."""
    assert java_available()


def test_systematic_name_is_parsed_by_opsin():
    record = classify(FURANYL_NAME, "US,CN")
    assert record.input_type == "opsin"
    assert record.standardized == "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
    assert record.verdict("US").status.value == "listed"


def test_a_name_nobody_can_parse_is_a_clear_error():
    with pytest.raises(ParseError, match="OPSIN"):
        classify("frobnicated unobtainium amide")


def test_cli_check_takes_names_and_cas_numbers():
    runner = CliRunner()
    for text in ("carfentanil", "59708-52-0", FURANYL_NAME):
        result = runner.invoke(app, ["check", text, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["jurisdictions"]["US"]["status"] == "listed"


def test_screen_with_a_name_column(tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text(
        "order,compound\n"
        f"1,carfentanil\n2,59708-52-0\n3,{FURANYL_NAME}\n4,ethanol\n5,frobnicated unobtainium\n6,\n"
    )
    result = CliRunner().invoke(
        app, ["screen", str(source), "--name-col", "compound", "--id-col", "order"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["1", "2", "3", "4", "5", "6"]
    assert [r["input_type"] for r in records[:4]] == ["name", "cas", "opsin", "opsin"]
    assert records[3]["jurisdictions"]["US"]["status"] == "not_controlled"
    assert records[4]["error"] and records[5]["error"]


def test_a_name_with_a_line_break_is_refused_not_split():
    """OPSIN reads one name per line: 'ethanol' + newline + 'methanol' must not become two."""
    from classwide import ParseError, classify

    with pytest.raises(ParseError, match="one line"):
        classify("ethanol\nmethanol")
    with pytest.raises(ParseError, match="one line"):
        classify("A\raaa")


def test_a_name_with_a_line_break_costs_only_its_own_record(tmp_path):
    """A quoted CSV field holding a line break must not shift the other names' answers."""
    import json

    from typer.testing import CliRunner

    from classwide.cli import app

    source = tmp_path / "names.csv"
    source.write_text('name,id\nfentanyl,a\n"ethanol\nmethanol",b\ncarfentanil,c\n')
    result = CliRunner().invoke(
        app, ["screen", str(source), "--name-col", "name", "--id-col", "id"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert records[0]["jurisdictions"]["US"]["status"] == "listed"
    assert "one line" in records[1]["error"]
    assert records[2]["jurisdictions"]["US"]["status"] == "listed"


def test_a_very_long_name_is_refused_before_any_jvm_starts():
    """D4/A16: a 12 kB name kept OPSIN busy for over 90 s; now it is refused at once."""
    import time

    started = time.monotonic()
    with pytest.raises(ParseError, match="max_name_chars"):
        classify("2-methyl" + "propyl" * 2000 + "amine")
    assert time.monotonic() - started < 5


def test_opsin_runs_under_a_time_limit(monkeypatch):
    """D4/C28: OPSIN's JVM is killed past its time, with a clear error."""
    import classwide._names as names

    monkeypatch.setattr(names, "opsin_timeout", lambda count: 0.05)
    with pytest.raises(ParseError, match="timeout"):
        names.opsin_smiles(["2-methylpropan-1-amine"])


def test_jvms_at_once_are_bounded(monkeypatch):
    """D4/C27: one JVM per request and no cap gave 0.7 names a second at 10 at a time."""
    import subprocess
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import classwide._names as names

    running, most = [0], [0]
    lock = threading.Lock()

    def fake_run(args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return subprocess.CompletedProcess(args, 0, stdout=b"CCO\n", stderr=b"")

    monkeypatch.setattr(names.subprocess, "run", fake_run)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: names.opsin_smiles(["ethanol"]), range(8)))
    assert answers == [["CCO"]] * 8
    assert most[0] <= names.MAX_JVMS


def test_a_very_long_name_in_a_name_column_says_why(tmp_path):
    """In a batch too, a name over the limit gets the limit as its reason, not OPSIN's."""
    import json

    from typer.testing import CliRunner

    from classwide.cli import app

    source = tmp_path / "names.csv"
    source.write_text("name,id\nfentanyl,a\n2-methyl" + "propyl" * 200 + "amine,b\n")
    result = CliRunner().invoke(
        app, ["screen", str(source), "--name-col", "name", "--id-col", "id"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["jurisdictions"]["US"]["status"] == "listed"
    assert "max_name_chars" in records[1]["error"]
