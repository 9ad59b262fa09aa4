"""Named substances and lists: verified structures, sources, dates, precedence, look-up."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import read_csv
from rdkit import Chem
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from classwide import ParseError, classify
from classwide._lists import cas_is_valid
from classwide._rules import default_rules

RULES = default_rules()
ENTRIES = [(lst, entry) for lst in RULES.lists for entry in lst.entries]
OLD_STATUS = {
    "listed-I": "listed",
    "listed-II": "listed",
    "immediate-precursor": "listed",
    "listed": "listed",
    "frs": "class",
    "class": "class",
    "list-I-chemical": "precursor",
    "precursor": "precursor",
    "not-controlled": "not_controlled",
}
# Labels of tests/data/examples.csv that the legal instruments contradict (see the README).
# A005 (China: isobutyrfentanyl, supplementary list 2015-10-01) and A045 (US: beta'-phenyl
# fentanyl, Schedule I by 86 FR 22113) were corrected this way and are now right in the data.
LABEL_CORRECTIONS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("substance", RULES.substances.values(), ids=lambda s: s.id)
def test_structure_agrees_with_its_recorded_formula(substance):
    """A structure parses, matches the formula a source gave, and says how it was checked."""
    assert substance.structure in ("verified", "name-only", "unverified")
    if substance.smiles is None:
        assert substance.structure_kind != "single" and substance.key is None
        return
    mol = Chem.MolFromSmiles(substance.smiles)
    assert mol is not None
    if substance.formula:
        assert CalcMolFormula(mol) == substance.formula
    if substance.structure == "verified":
        # Two independent ways: a formula page, or a second check (OPSIN, InChIKey).
        assert substance.formula_source.startswith("http") or substance.second_check
    if substance.cas:
        assert cas_is_valid(substance.cas)


@pytest.mark.parametrize(
    ("lst", "entry"), ENTRIES, ids=[f"{lst.id}::{e.substance.id}" for lst, e in ENTRIES]
)
def test_every_entry_is_found_by_its_own_structure(lst, entry):
    """Each entry has a source, and its structure (as a salt too) finds the listing."""
    assert entry.url.startswith("http") and entry.instrument and entry.verified in "VPU"
    day = max(entry.since, dt.date(2010, 1, 1)) + dt.timedelta(days=1)
    if entry.until is not None and day >= entry.until:
        day = entry.since
    name = entry.substance.cas or entry.substance.name
    if entry.substance.smiles is None:
        record = classify(entry.substance.name, lst.jurisdiction, day)
        assert record.standardized is None
    else:
        # As a hydrochloride, except an inorganic chemical (hydrochloric acid itself).
        organic = any(
            a.GetAtomicNum() == 6 for a in Chem.MolFromSmiles(entry.substance.smiles).GetAtoms()
        )
        salt = entry.substance.smiles + (".Cl" if organic else "")
        record = classify(salt, lst.jurisdiction, day)
        assert classify(name, lst.jurisdiction, day).standardized == record.standardized
    rules = {m.rule for m in record.verdict(lst.jurisdiction).listings()}
    assert lst.id in rules


EXAMPLES = read_csv("examples.csv")


@pytest.mark.parametrize("row", EXAMPLES, ids=[f"{r['id']}-{r['name'][:30]}" for r in EXAMPLES])
def test_status_agrees_with_label(row):
    """us_status and cn_status of examples.csv, wherever the label is not `unknown`."""
    record = classify(row["smiles"], "US,CN", "2026-11-29")
    for code, column in (("US", "us_status"), ("CN", "cn_status")):
        if row[column] == "unknown":
            continue
        expected = LABEL_CORRECTIONS.get((row["id"], code), OLD_STATUS[row[column]])
        assert record.verdict(code).status.value == expected, record.verdict(code).to_dict()


def test_label_corrections_still_disagree_with_the_labels():
    """A correction that the data no longer needs must be removed."""
    by_id = {r["id"]: r for r in EXAMPLES}
    for (row_id, code), status in LABEL_CORRECTIONS.items():
        assert OLD_STATUS[by_id[row_id][f"{code.lower()}_status"]] != status


def test_class_match_of_a_listed_substance_does_not_apply():
    us = classify("CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCc2ccccc2)CC1", "US").verdict("US")
    assert us.status.value == "listed"
    (frs,) = us.class_matches()
    assert frs.applies is False and frs.reason == "listed in another schedule"
    cn = classify("O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "CN").verdict("CN")
    (cn_frs,) = cn.class_matches()
    assert cn_frs.applies is False and "original listing" in cn_frs.reason


def test_norfentanyl_is_a_schedule_ii_precursor_not_a_list_i_amide():
    us = classify("CCC(=O)N(c1ccccc1)C1CCNCC1", "US").verdict("US")
    assert us.status.value == "listed"
    assert [m.rule for m in us.listings()] == ["US-CSA-II"]
    (family,) = us.class_matches("precursor")
    assert family.rule == "US-LIST-I-4-AP" and family.clauses == ("amides",)
    assert family.applies is False


def test_1_boc_4_ap_is_list_i_twice_from_different_dates():
    us = classify("CC(C)(C)OC(=O)N1CCC(Nc2ccccc2)CC1", "US", "2026-01-01").verdict("US")
    assert us.status.value == "precursor"
    assert {m.rule: m.since for m in us.matches} == {
        "US-LIST-I": "2022-11-09",  # named listing
        "US-LIST-I-4-AP": "2020-05-15",  # a carbamate of 4-AP
    }


def test_halide_member_is_covered_only_from_the_halide_amendment():
    us = classify("Fc1ccc(NC2CCNCC2)cc1", "US", "2026-01-01").verdict("US")
    (family,) = us.class_matches("precursor")
    assert family.since == "2023-11-30" and family.clauses == ("halides",)


@pytest.mark.parametrize(
    ("text", "substance", "input_type"),
    [
        ("carfentanil", "carfentanil", "name"),
        ("Carfentanil", "carfentanil", "name"),
        ("59708-52-0", "carfentanil", "cas"),
        ("4-ANPP", "anpp", "name"),
        ("1-boc-4-AP", "1-boc-4-ap", "name"),
        ("tert-butyl 4-oxopiperidine-1-carboxylate", "1-boc-4-piperidone", "name"),
    ],
)
def test_names_and_cas_numbers_resolve_through_the_substance_data(text, substance, input_type):
    record = classify(text)
    assert record.input_type == input_type
    assert record.standardized == Chem.MolToSmiles(
        Chem.MolFromSmiles(RULES.substances[substance].smiles)
    )


def test_unknown_cas_number_is_a_clear_error():
    with pytest.raises(ParseError, match="not in classwide's substance data"):
        classify("50-00-0")


def test_ambiguous_trivial_names_are_not_guessed():
    """'3-fluorofentanyl' names two structures in public lists: it is no key of ours."""
    assert RULES.lookup_name("3-fluorofentanyl") is None
    assert RULES.lookup_name("2-fluorofentanyl") is None
