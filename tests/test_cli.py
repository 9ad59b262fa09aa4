"""The command line, run in-process, held to docs/output-format.md."""

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


CYCLOBUTYL = "O=C(C1CCC1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"  # in both classes, listed nowhere
ACETYL = "CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def test_check_json_follows_the_contract():
    """The contract's own example: acetylfentanyl, listed, with the class match overridden."""
    result = _check(ACETYL, "--json", "--as-of", "2026-01-01")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record)[:5] == ["id", "input", "error", "standardized", "jurisdictions"]
    assert record["error"] is None and record["rules_version"]
    us = record["jurisdictions"]["US"]
    assert us["controlled"] is True and us["status"] == "listed" and us["review"] == []
    listed, frs = us["matches"][0], us["matches"][-1]
    assert listed["kind"] == "listed" and listed["rule"] == "US-CSA-I"
    assert listed["schedule"] == "I" and listed["since"] == "2015-07-17"
    assert listed["source"] == "21 CFR 1308.11(b)" and listed["applies"] is True
    assert listed["item"].startswith("1308.11(b)") and listed["code"] == "9821"
    assert frs["kind"] == "class" and frs["rule"] == "US-FRS" and frs["clauses"] == ["E"]
    assert frs["applies"] is False and frs["reason"] == "listed in another schedule"
    assert frs["explanation"] == "N-propionyl group replaced by acetyl (E)"
    assert set(frs["regions"]) >= {"acyl", "n_aryl", "n1_group", "piperidine"}


def test_class_only_member_has_status_class():
    us = json.loads(_check(CYCLOBUTYL, "--json", "-j", "US").stdout)["jurisdictions"]["US"]
    assert us["status"] == "class" and us["matches"][0]["applies"] is True
    assert (
        us["matches"][0]["explanation"] == "N-propionyl group replaced by cyclobutanecarbonyl (E)"
    )


def test_check_plain_text_names_clause_and_reason():
    result = _check(BENZYLFENTANYL, "--as-of", "2026-01-01")
    assert result.exit_code == 0
    assert "CN: class" in result.stdout and "US: precursor" in result.stdout
    assert "linker" in result.stdout


def _status(structure, as_of, code):
    record = json.loads(_check(structure, "--json", "--as-of", as_of).stdout)
    assert record["as_of"] == as_of
    return record["jurisdictions"][code]["status"]


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
def test_as_of_applies_the_class_law_of_that_day(as_of, us, cn):
    assert _status(CYCLOBUTYL, as_of, "US") == us
    assert _status(CYCLOBUTYL, as_of, "CN") == cn


@pytest.mark.parametrize(
    ("structure", "code", "timeline"),
    [
        # benzylfentanyl: a List I chemical in the US from 2020-05-15, nothing before
        (BENZYLFENTANYL, "US", [("2020-05-14", "not_controlled"), ("2020-05-15", "precursor")]),
        # para-fluoro-4-AP: a List I chemical only as a halide of 4-AP, from 2023-11-30
        (
            "Fc1ccc(NC2CCNCC2)cc1",
            "US",
            [("2023-11-29", "not_controlled"), ("2023-11-30", "precursor")],
        ),
        # furanylfentanyl: US temporary order 2016-11-29; China's list 2017-03-01
        (FURANYL, "US", [("2016-11-28", "not_controlled"), ("2016-11-29", "listed")]),
        (FURANYL, "CN", [("2017-02-28", "not_controlled"), ("2017-03-01", "listed")]),
        # norfentanyl: Schedule II immediate precursor from 2020-05-18, List I (4-AP amide) before
        (
            "CCC(=O)N(c1ccccc1)C1CCNCC1",
            "US",
            [
                ("2020-05-14", "not_controlled"),
                ("2020-05-15", "precursor"),
                ("2020-05-18", "listed"),
            ],
        ),
        # 4-AP in China: category II precursor from 2024-09-01
        (
            "c1ccc(NC2CCNCC2)cc1",
            "CN",
            [("2024-08-31", "not_controlled"), ("2024-09-01", "precursor")],
        ),
        # 4-piperidone: List I from 2023-05-12; UN Table I from 2024-12-03
        ("O=C1CCNCC1", "US", [("2023-05-11", "not_controlled"), ("2023-05-12", "precursor")]),
        ("O=C1CCNCC1", "UN", [("2024-12-02", "not_controlled"), ("2024-12-03", "precursor")]),
    ],
)
def test_as_of_applies_listings_and_families_of_that_day(structure, code, timeline):
    for day, status in timeline:
        assert _status(structure, day, code) == status, day


def test_instrument_changes_with_the_date():
    before = json.loads(_check(CYCLOBUTYL, "--json", "-j", "US", "--as-of", "2020-01-01").stdout)
    after = json.loads(_check(CYCLOBUTYL, "--json", "-j", "US", "--as-of", "2026-01-01").stdout)
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
    source.write_text(
        "\n".join([FURANYL, BENZYLFENTANYL, "CCO", "bad(", "CCC(=O)N(c1ccccc1)C1CCNCC1"])
    )
    outputs = []
    for name in ("a.jsonl", "b.jsonl"):
        runner.invoke(
            app, ["screen", str(source), "-o", str(tmp_path / name), "--as-of", "2026-01-01"]
        )
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 5


def test_screen_csv_has_the_contract_columns(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(f"code,structure\nF1,{FURANYL}\n")
    result = runner.invoke(
        app,
        ["screen", str(source), "--smiles-col", "structure", "--id-col", "code", "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    for column in (
        "id",
        "input",
        "error",
        "standardized",
        "US_status",
        "US_rules",
        "US_clauses",
        "CN_status",
        "CN_rules",
        "CN_clauses",
    ):
        assert column in header.split(",")
    assert row.startswith("F1,")


def test_rules_lists_every_rule_with_dates():
    result = runner.invoke(app, ["rules", "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    ids = {r["id"]: r for r in listing["rules"]}
    assert set(ids) >= {
        "US-FRS",
        "CN-FRS",
        "US-CSA-I",
        "US-CSA-II",
        "US-LIST-I",
        "US-LIST-I-4-AP",
        "US-LIST-I-4-PIPERIDONE",
        "CN-NON-MEDICAL",
        "CN-MEDICAL-NARCOTIC",
        "CN-MEDICAL-PSYCHOTROPIC",
        "CN-PRECURSORS",
        "UN-1961-I",
        "UN-1971-I",
        "UN-1988-I",
        "US-CSA-V",
    }
    # China's lists before the 2025 reorganisation keep resolving, as aliases.
    assert "CN-NON-MEDICAL-LIST" in ids["CN-NON-MEDICAL"]["aliases"]
    counts = ids["US-CSA-II"]["counts"]
    assert counts["entries"] > 50 and counts["without_structure"] >= 5
    assert all(entry["source"] for r in listing["rules"] for entry in r.get("entries", []))
    assert ids["US-FRS"]["effective"][0]["from"] == "2018-02-06"
    assert ids["US-FRS"]["effective"][1]["from"] == "2025-07-16"
    assert ids["CN-FRS"]["effective"][0]["from"] == "2019-05-01"
    assert [c["label"] for c in ids["US-FRS"]["clauses"]] == ["A", "B", "C", "D", "E"]


def test_rules_check_runs_the_examples():
    result = runner.invoke(app, ["rules", "--check"])
    assert result.exit_code == 0 and "0 example(s) failed" in result.output
