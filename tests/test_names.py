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
