"""A listing's own scope: one named stereoisomer, a racemate, a plant without a structure."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from classwide import RuleFileError, classify, load_rules

STEREO = [FIXTURES / "stereo" / "substances.yaml", FIXTURES / "stereo" / "list.yaml"]
LEVO = "COc1ccc2c(c1)[C@@]13CCCC[C@@H]1[C@@H](C2)N(C)CC3"
DEXTRO = "COc1ccc2c(c1)[C@]13CCCC[C@H]1[C@H](C2)N(C)CC3"
FLAT = "COc1ccc2c(c1)C13CCCCC1C(C2)N(C)CC3"


@pytest.fixture(scope="module")
def rules():
    return load_rules(STEREO)


def _listings(rules, structure):
    return classify(structure, "XX", "2026-11-30", rules=rules).verdict("XX").listings()


def test_the_named_stereoisomer_is_listed_and_its_enantiomer_is_not(rules):
    (levo,) = _listings(rules, LEVO)
    assert levo.substance == "test-levomethorphan" and levo.stereo == "as-drawn"
    assert "this stereoisomer only" in levo.explanation
    assert _listings(rules, DEXTRO) == ()


def test_a_structure_without_stereo_is_the_racemate(rules):
    (race,) = _listings(rules, FLAT)
    assert race.substance == "test-racemethorphan" and race.stereo == "unspecified"


def test_salts_keep_the_stereo_decision(rules):
    assert [m.substance for m in _listings(rules, LEVO + ".Br")] == ["test-levomethorphan"]
    assert _listings(rules, DEXTRO + ".Br") == ()


def test_the_listing_says_its_category_code_and_narcotic_flag(rules):
    (levo,) = _listings(rules, LEVO)
    record = levo.to_dict()
    assert record["category"] == "Schedule 2, opiates" and record["code"] == "9210"
    assert record["narcotic"] is True and record["item"] == "2(c)(10)"
    assert "Schedule 2, opiates, narcotic, code 9210" in levo.explanation


def test_a_plant_is_found_by_name_and_never_by_a_structure(rules):
    record = classify("test raw opium", "XX", "2026-11-30", rules=rules)
    assert record.standardized is None and record.input_type == "name"
    (opium,) = record.verdict("XX").listings()
    assert opium.substance == "test-opium" and opium.category == "Schedule 2, plants"
    assert record.verdict("XX").status.value == "listed"


def test_stereo_as_drawn_needs_a_structure_with_stereo(tmp_path):
    text = (FIXTURES / "stereo" / "list.yaml").read_text()
    broken = tmp_path / "list.yaml"
    broken.write_text(
        text.replace(
            "{substance: test-racemethorphan, stereo: unspecified",
            "{substance: test-racemethorphan, stereo: as-drawn",
        )
    )
    with pytest.raises(RuleFileError, match="has no stereo"):
        load_rules([STEREO[0], broken])
