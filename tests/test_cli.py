"""The command line, run in-process, held to ../shared/CONTRACT.md."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from classwide.cli import app

runner = CliRunner()
FURANYL = "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
BENZYLFENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(Cc2ccccc2)CC1"


def _check(*args):
    result = runner.invoke(app, ["check", *args])
    return result


def test_check_json_follows_the_contract():
    result = _check(FURANYL, "--json", "--as-of", "2026-01-01")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record)[:5] == ["id", "input", "error", "standardized", "jurisdictions"]
    assert record["error"] is None and record["rules_version"]
    us = record["jurisdictions"]["US"]
    assert us["controlled"] is True and us["status"] == "class" and us["review"] == []
    match = us["matches"][0]
    assert match["kind"] == "class" and match["rule"] == "US-FRS" and match["clauses"] == ["E"]
    assert match["explanation"] == "N-propionyl group replaced by furan-2-carbonyl (E)"
    assert match["since"] == "2018-02-06"
    assert set(match["regions"]) >= {"acyl", "n_aryl", "n1_group", "piperidine"}


def test_check_plain_text_names_clause_and_reason():
    result = _check(BENZYLFENTANYL, "--as-of", "2026-01-01")
    assert result.exit_code == 0
    assert "CN: class" in result.stdout and "US: not_controlled" in result.stdout
    assert "linker" in result.stdout


@pytest.mark.parametrize(
    ("as_of", "us", "cn"),
    [
        ("2017-12-31", "not_controlled", "not_controlled"),  # before both class laws
        ("2018-02-06", "class", "not_controlled"),  # the DEA temporary order's first day
        ("2019-04-30", "class", "not_controlled"),
        ("2019-05-01", "class", "class"),  # China's class in force
        ("2025-07-16", "class", "class"),  # HALT Act
    ],
)
def test_as_of_applies_the_law_of_that_day(as_of, us, cn):
    record = json.loads(_check(FURANYL, "--json", "--as-of", as_of).stdout)
    assert record["as_of"] == as_of
    assert record["jurisdictions"]["US"]["status"] == us
    assert record["jurisdictions"]["CN"]["status"] == cn


def test_instrument_changes_with_the_date():
    before = json.loads(_check(FURANYL, "--json", "-j", "US", "--as-of", "2020-01-01").stdout)
    after = json.loads(_check(FURANYL, "--json", "-j", "US", "--as-of", "2026-01-01").stdout)
    assert "temporary" in before["jurisdictions"]["US"]["matches"][0]["instrument"]
    assert "HALT" in after["jurisdictions"]["US"]["matches"][0]["instrument"]
    assert after["jurisdictions"]["US"]["matches"][0]["since"] == "2018-02-06"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C1CC(N"], "unparsable SMILES"),
        ([""], "empty"),
        (["InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H4"], "InChI"),
        ([FURANYL, "--jurisdiction", "XX"], "unknown jurisdiction"),
        ([FURANYL, "--as-of", "yesterday"], "not a date"),
    ],
)
def test_check_with_bad_input_exits_2_with_a_clear_message(args, message):
    result = _check(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_option_is_a_usage_error():
    assert runner.invoke(app, ["check", FURANYL, "--frobnicate"]).exit_code == 2


def test_screen_writes_one_record_per_input_record_and_exits_0(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text(f"{FURANYL} f\nnot-a-smiles x\n\n{BENZYLFENTANYL} b\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["screen", str(source), "-o", str(out), "--as-of", "2026-01-01"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["f", "x", "3", "b"]
    assert [bool(r["error"]) for r in records] == [False, True, True, False]
    assert records[1]["jurisdictions"] == {}


def test_screen_strict_exits_1_on_record_errors(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text(f"{FURANYL}\nC1CC(N\n")
    assert runner.invoke(app, ["screen", str(source), "--strict"]).exit_code == 1


def test_screen_unreadable_file_exits_2(tmp_path):
    result = runner.invoke(app, ["screen", str(tmp_path / "missing.smi")])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_screen_is_deterministic_byte_for_byte(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text("\n".join([FURANYL, BENZYLFENTANYL, "CCO", "bad(", "CCC(=O)N(c1ccccc1)C1CCNCC1"]))
    outputs = []
    for name in ("a.jsonl", "b.jsonl"):
        runner.invoke(app, ["screen", str(source), "-o", str(tmp_path / name), "--as-of", "2026-01-01"])
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 5


def test_screen_csv_has_the_contract_columns(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(f"code,structure\nF1,{FURANYL}\n")
    result = runner.invoke(
        app, ["screen", str(source), "--smiles-col", "structure", "--id-col", "code", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    for column in ("id", "input", "error", "standardized", "US_status", "US_rules", "US_clauses",
                   "CN_status", "CN_rules", "CN_clauses"):
        assert column in header.split(",")
    assert row.startswith("F1,")


def test_rules_lists_every_rule_with_dates():
    result = runner.invoke(app, ["rules", "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    ids = {r["id"]: r for r in listing["rules"]}
    assert set(ids) >= {"US-FRS", "CN-FRS"}
    assert ids["US-FRS"]["effective"][0]["from"] == "2018-02-06"
    assert ids["US-FRS"]["effective"][1]["from"] == "2025-07-16"
    assert ids["CN-FRS"]["effective"][0]["from"] == "2019-05-01"
    assert [c["label"] for c in ids["US-FRS"]["clauses"]] == ["A", "B", "C", "D", "E"]


def test_rules_check_runs_the_examples():
    result = runner.invoke(app, ["rules", "--check"])
    assert result.exit_code == 0 and "0 example(s) failed" in result.output
