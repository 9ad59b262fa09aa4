"""`classwide rules`: a user's rule file checked, examples run, the format and words published."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from typer.testing import CliRunner

from classwide._rules import _packaged_files
from classwide.cli import app

runner = CliRunner()
GB = FIXTURES / "gb-fentanyl-generic.yaml"
PACKAGED = dict(_packaged_files())


def _rules(*args):
    return runner.invoke(app, ["rules", *args])


def _copy(tmp_path, name, old=None, new=None):
    text = PACKAGED[name].decode()
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name.rsplit("/", 1)[-1]
    path.write_text(text)
    return path


# One misspelling at each level a reader can trip on: (file, as written, misspelled, dotted path).
MISSPELLED = [
    ("rules/US/us-frs.yaml", "\ncitation:", "\ncitaton:", "citaton"),
    (
        "rules/US/us-frs.yaml",
        "      not_covered: not a monocycle",
        "      not_coverd: not a monocycle",
        "definition.clauses[0].not_coverd",
    ),
    (
        "rules/US/us-frs.yaml",
        "      alternative: acyl also",
        "      alternativ: acyl also",
        "definition.readings[0].alternativ",
    ),
    (
        "rules/US/us-frs.yaml",
        'clauses: [E], why: "acetylfentanyl"}',
        'clauses: [E], wy: "acetylfentanyl"}',
        "examples.match[1].wy",
    ),
    (
        "rules/US/us-frs.yaml",
        "  - from: 2018-02-06\n    until:",
        "  - from: 2018-02-06\n    untill:",
        "effective[0].untill",
    ),
    (
        "rules/US/us-csa-schedule-ii.yaml",
        "  since_exact: false",
        "  since_exct: false",
        "since_exct",
    ),
    ("rules/US/us-list-i-4-ap-family.yaml", "interpretation:", "interpretaton:", "interpretaton"),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "field"), MISSPELLED, ids=[m[3] for m in MISSPELLED]
)
def test_rules_check_refuses_a_misspelled_key_naming_it(tmp_path, name, old, new, field):
    path = _copy(tmp_path, name, old, new)
    result = _rules("--check", "--rules", str(path))
    assert result.exit_code == 2, result.output
    assert field in result.output and "unknown key" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["rules/US/us-frs.yaml", "rules/US/us-csa-schedule-ii.yaml"])
def test_rules_check_accepts_an_unmodified_copy(tmp_path, name):
    result = _rules("--check", "--rules", str(_copy(tmp_path, name)))
    assert result.exit_code == 0, result.output
    assert "0 example(s) failed" in result.output


def test_rules_check_runs_only_the_given_files_examples(tmp_path):
    result = _rules("--check", "--rules", str(GB))
    assert result.exit_code == 0, result.output
    assert "GB-FENTANYL-GENERIC-TEST" in result.output and "US-FRS" not in result.output


def test_rules_check_reports_a_failing_example_with_exit_1(tmp_path):
    wrong = GB.read_text().replace(
        '{smiles: "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C(=O)OC", why: "an ester at C3, not the 4-position"}',
        '{smiles: "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C(=O)OC", why: "wrongly said to be outside"}',
    )
    wrong = wrong.replace(
        "  no_match:\n",
        '  no_match:\n    - {smiles: "CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", why: "acetyl is in (E)"}\n',
        1,
    )
    path = tmp_path / "wrong.yaml"
    path.write_text(wrong)
    result = _rules("--check", "--rules", str(path))
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1" in result.output


@pytest.mark.parametrize("command", ["check", "screen"])
def test_a_broken_rules_file_is_refused_before_any_input_is_read(tmp_path, command):
    broken = tmp_path / "att.yaml"
    broken.write_text(GB.read_text().replace("      at: [4]", "      att: [4]"))
    target = "CCO" if command == "check" else str(tmp_path / "never-read.smi")
    result = runner.invoke(app, [command, target, "--rules", str(broken)])
    assert result.exit_code == 2, result.output
    assert "att" in result.output and "unknown key" in result.output


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_a_missing_rules_file_or_a_folder_exits_2_with_a_message(tmp_path, what):
    path = tmp_path / "nope.yaml" if what == "missing" else tmp_path
    result = _rules("--rules", str(path))
    assert result.exit_code == 2
    assert ("no such file" if what == "missing" else "a folder") in result.output
    assert "Traceback" not in result.output


def test_brackets_in_a_rule_file_error_are_shown_as_written(tmp_path):
    scaffold = PACKAGED["rules/scaffolds/fentanyl.yaml"].decode()
    bad = tmp_path / "scaffold.yaml"
    bad.write_text(scaffold.replace('smarts: "[#7;X3', 'smarts: "[#7;X3;', 1))
    result = _rules("--rules", str(bad))
    assert result.exit_code == 2
    assert "[#7;X3;" in result.output


def test_rules_vocabulary_prints_every_word_with_its_meaning():
    result = _rules("--vocabulary", "--json")
    assert result.exit_code == 0, result.output
    kinds = {k["kind"]: k for k in json.loads(result.stdout)["kinds"]}
    assert {"acyl", "monocycle", "alkyl", "any"} <= set(kinds)
    assert all(k["means"] for k in kinds.values())
    table = _rules("--vocabulary")
    assert "monocycle" in table.stdout and "fused" in table.stdout


def test_rules_schema_prints_the_published_json_schema():
    from classwide._schema import json_schema

    result = _rules("--schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schema()


def test_rules_json_shows_each_clauses_words_and_the_interpretation():
    items = {r["id"]: r for r in json.loads(_rules("--json").stdout)["rules"]}
    us = items["US-FRS"]
    (clause_e,) = [c for c in us["clauses"] if c["label"] == "E"]
    assert clause_e["words"] == [{"kind": "acyl", "means": clause_e["words"][0]["means"]}]
    assert "R-C(=O)-" in clause_e["words"][0]["means"]
    assert any("structurally related to fentanyl" in line for line in us["interpretation"])
