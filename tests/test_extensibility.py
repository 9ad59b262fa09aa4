"""A new jurisdiction of the same shape is a new file: no engine code changes."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from classwide import RuleFileError, classify, load_rules
from classwide.checks import run_rule_examples

GB = FIXTURES / "gb-fentanyl-generic.yaml"


def test_an_extra_definition_file_adds_a_jurisdiction():
    rules = load_rules([GB])
    assert "GB" in rules.jurisdictions()
    assert run_rule_examples(rules) == []
    record = classify("CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1", "GB,US", rules=rules)
    assert record.verdict("GB").class_matches()[0].clauses == ("i",)
    assert record.verdict("US").class_matches()[0].clauses == ("A",)
    assert rules.version != load_rules().version


NITAZENE = [FIXTURES / "nitazene-scaffold.yaml", FIXTURES / "nitazene-class-test.yaml"]


def test_a_second_compound_class_is_two_files():
    """A new scaffold (nitazenes) with variable regions and a ring region: files only."""
    rules = load_rules(NITAZENE)
    assert "XX" in rules.jurisdictions()
    assert run_rule_examples(rules) == []
    record = classify("CCOc1ccc(Cc2nc3cc([N+](=O)[O-])ccc3n2CCN2CCCC2)cc1", "XX,US", rules=rules)
    match = record.verdict("XX").class_matches()[0]
    assert match.clauses == ("a", "b", "d") and match.applies
    # Etonitazepyne is named in US Schedule I: the list speaks, not the fixture's class.
    assert record.verdict("US").status.value == "listed"


def test_position_specific_clause_reads_the_core_atom_map():
    rules = load_rules([GB])
    at_c3 = classify("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C(=O)OC", "GB", rules=rules)
    assert not at_c3.verdict("GB").class_matches()
    assert "C3" in at_c3.verdict("GB").near_misses[0].reason


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("kind: monocycle, hetero: true", "kind: polycycle", "replace[0].kind"),
        ("substitute: [alkyl, alkenyl]", "substitute: [alkly, alkenyl]", "substitute"),
        ("region: acyl", "region: acyl_group", "region"),
        ("from: 1986-12-01", "from: 1986-13-01", "effective[0].from"),
    ],
)
def test_a_broken_rule_file_names_the_file_and_field(tmp_path, old, new, field):
    text = GB.read_text()
    assert old in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(old, new, 1))
    with pytest.raises(RuleFileError) as info:
        load_rules([broken])
    assert "broken.yaml" in str(info.value) and field in str(info.value)


def test_invalid_smarts_in_a_scaffold_is_an_error(tmp_path):
    from classwide._rules import _packaged_files

    scaffold = dict(_packaged_files())["rules/scaffolds/fentanyl.yaml"].decode()
    bad = tmp_path / "scaffold.yaml"
    bad.write_text(scaffold.replace('smarts: "[#7;X3', 'smarts: "[#7;X3;', 1))
    with pytest.raises(RuleFileError, match="core.smarts: invalid SMARTS"):
        load_rules([bad])
