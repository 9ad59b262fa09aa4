"""China's nitazene class (CN-NITAZENE): the words it added, precedence, dates, readings.

The rule file's own examples run in test_rule_examples.py; these are the interactions and
the words of the vocabulary one at a time.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, group_on
from rdkit import Chem

from classwide import RuleFileError, classify, load_rules
from classwide._prefilter import Prefilter
from classwide._rules import default_rules
from classwide._vocabulary import (
    Group,
    is_amine,
    is_aromatic_group,
    is_hydrocarbyl,
    linker_smiles,
)

RULES = default_rules()
ISOTONITAZENE = "CCN(CC)CCn1c(Cc2ccc(OC(C)C)cc2)nc2cc([N+](=O)[O-])ccc21"
ETONITAZEPIPNE = "CCOc1ccc(Cc2nc3cc([N+](=O)[O-])ccc3n2CCN2CCCCC2)cc1"
SCAFFOLD = ROOT / "src" / "classwide" / "rules" / "scaffolds" / "nitazene.yaml"
DEFINITION = ROOT / "src" / "classwide" / "rules" / "CN" / "cn-nitazene.yaml"


def _nitazene(smiles: str, day: str = "2026-11-30"):
    record = classify(smiles, ["CN"], day, rules=RULES)
    verdict = record.verdict("CN")
    return verdict, [m for m in verdict.class_matches() if m.rule == "CN-NITAZENE"]


# --- the words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("smiles", "amine", "with_amides"),
    [
        ("[CH3:1]N", True, True),  # -NH2
        ("[CH3:1]N(CC)CC", True, True),  # diethylamino
        ("[CH3:1]N1CCCC1", True, True),  # pyrrolidin-1-yl
        ("[CH3:1]N1CCOCC1", True, True),  # morpholin-4-yl
        ("[CH3:1]N(C)c1ccccc1", True, True),  # N-methylanilino: a carbon substituent
        ("[CH3:1]N(CC)C(C)=O", False, True),  # an amide nitrogen
        ("[CH3:1]N1CCCC1=O", False, True),  # a lactam
        ("[CH3:1]N(C)O", False, False),  # N-hydroxy: not a carbon substituent
        ("[CH3:1]N=C", False, False),  # an imine
        ("[CH3:1][N+](C)(C)C", False, False),  # a quaternary ammonium
        ("[CH3:1]OCC", False, False),
    ],
)
def test_amine_is_any_amino_group_bonded_through_an_amine_nitrogen(smiles, amine, with_amides):
    mol, group = group_on(smiles, 1)
    assert is_amine(mol, group) is amine
    assert is_amine(mol, group, amide=True) is with_amides


@pytest.mark.parametrize(
    ("smiles", "aromatic"),
    [
        ("[CH3:1]c1ccccc1", True),
        ("[CH3:1]c1ccc2c(c1)CCO2", True),  # fused, the attachment aromatic
        ("[CH3:1]c1ccc2ccccc2c1", True),
        ("[CH3:1]c1cccs1", True),
        ("[CH3:1]C1CCCCC1", False),
        ("[CH3:1]C1CCc2ccccc21", False),  # indan-1-yl: bonded through a saturated carbon
    ],
)
def test_an_aromatic_group_is_bonded_through_an_aromatic_ring_atom(smiles, aromatic):
    mol, group = group_on(smiles, 1)
    assert is_aromatic_group(mol, group) is aromatic


@pytest.mark.parametrize(
    ("chain", "fits", "without_oxo"),
    [
        ("C", True, True),  # methylene
        ("CC", True, True),  # ethylene
        ("C=C", True, True),  # vinylene
        ("C#C", True, True),  # ethynylene
        ("C(C)", True, True),  # ethylidene / a methyl on the methylene
        ("C(O)", True, True),  # hydroxymethylene
        ("C(=O)", True, False),  # a carbonyl: the oxo reading
        ("CCC", False, False),  # three carbons
        ("CO", False, False),  # an oxygen in the chain
        ("C1(CC1)", False, False),  # cyclopropane-1,1-diyl: a ring through the chain
    ],
)
def test_hydrocarbyl_is_a_chain_of_one_or_two_carbons(chain, fits, without_oxo):
    mol = Chem.MolFromSmiles(f"[CH3:1]{chain}[c:2]1ccccc1")
    anchor = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomMapNum() == 1)
    slot = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomMapNum() == 2)
    ring = {slot, *(i for r in mol.GetRingInfo().AtomRings() if slot in r for i in r)}
    atoms = frozenset(range(mol.GetNumAtoms())) - {anchor} - ring
    root = next(n.GetIdx() for n in mol.GetAtomWithIdx(anchor).GetNeighbors())
    far_end = next(
        n.GetIdx() for n in mol.GetAtomWithIdx(slot).GetNeighbors() if n.GetIdx() in atoms
    )
    group = Group(atoms, root, anchor)
    words = {"min_carbons": 1, "max_carbons": 2, "substituted": True}
    assert is_hydrocarbyl(mol, group, far_end=far_end, oxo=True, **words) is fits
    assert is_hydrocarbyl(mol, group, far_end=far_end, **words) is without_oxo
    assert linker_smiles(mol, group, far_end, slot).count("*") == 2


# --- the class ---------------------------------------------------------------------------


def test_a_listed_nitazene_shows_its_listing_and_the_class_without_applying():
    verdict, matches = _nitazene(ISOTONITAZENE)
    assert verdict.status.value == "listed"
    assert [m.clauses for m in matches] == [("3",)]
    assert not matches[0].applies
    assert matches[0].reason == "individually listed nitazenes are reported under their own listing"


def test_an_unlisted_member_is_controlled_from_2025_07_01():
    verdict, matches = _nitazene(ETONITAZEPIPNE)
    assert verdict.status.value == "class" and matches[0].applies
    assert matches[0].since == "2025-07-01"
    before, earlier = _nitazene(ETONITAZEPIPNE, "2025-06-30")
    assert before.status.value == "not_controlled" and not earlier


def test_the_reference_itself_is_outside_and_says_so():
    verdict, matches = _nitazene("CCOc1ccc(Cc2nc3cc([N+](=O)[O-])ccc3n2CCN(CC)CC)cc1")
    assert not matches
    near = [n for n in verdict.near_misses if n.rule == "CN-NITAZENE"]
    assert "reference structure itself" in near[0].reason


def test_the_nitro_kept_and_removed_read_as_condition_1():
    _, kept = _nitazene("CCOc1ccc(Cc2nc3cc([N+](=O)[O-])c(F)cc3n2CCN(CC)CC)cc1")
    assert kept[0].clauses == ("1",) and "nitro" not in kept[0].explanation
    _, moved = _nitazene("CCOc1ccc(Cc2nc3ccc([N+](=O)[O-])cc3n2CCN(CC)CC)cc1")
    assert moved[0].clauses == ("1",)
    assert "5-nitro group replaced by hydrogen (1)" in moved[0].explanation


def test_a_ring_holding_every_atom_of_the_reference_aryl_is_still_a_replacement():
    """2,3-Dihydrobenzofuran-5-yl contains 4-ethoxyphenyl's atoms, bonded once more."""
    _, matches = _nitazene("CCN(CC)CCn1c(Cc2ccc3c(c2)CCO3)nc2cc([N+](=O)[O-])ccc21")
    assert matches[0].clauses == ("3",)


@pytest.mark.parametrize(
    ("smiles", "reading"),
    [
        ("CCN(CC)CCn1c(Cc2ccc3ccccc3c2)nc2cc([N+](=O)[O-])ccc21", "aromatic-group-monocyclic"),
        ("CCOc1ccc(C(=O)c2nc3cc([N+](=O)[O-])ccc3n2CCN(CC)CC)cc1", "hydrocarbyl-without-oxo"),
        ("CCOc1ccc(Cc2nc3cc([N+](=O)[O-])ccc3n2CCN(CC)C(C)=O)cc1", "amino-includes-amide"),
    ],
)
def test_each_open_word_is_reported_for_review(smiles, reading):
    verdict, _ = _nitazene(smiles)
    assert reading in {note.reading for note in verdict.review}


def test_the_prefilter_lets_every_nitazene_example_through():
    prefilter = Prefilter(RULES)
    rule = RULES.get("CN-NITAZENE")
    for example in rule.examples:
        if example.match:
            assert not prefilter.out_of_scope(example.smiles), example.smiles
    assert prefilter.out_of_scope("CCO")


# --- the format --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "word", "message"),
    [
        (
            "region: amino\n      replace: [amine]",
            "region: amino\n      replace: [hydrogen]",
            "take: all",
        ),
        (
            "region: aryl\n      replace: [aromatic_group]",
            "region: aryl\n      replace: [hydrocarbyl]",
            "one slot",
        ),
    ],
)
def test_the_new_words_are_refused_where_they_cannot_mean_anything(tmp_path, clause, word, message):
    text = DEFINITION.read_text()
    assert clause in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(clause, word, 1))
    with pytest.raises(RuleFileError, match=message):
        load_rules([broken])


def test_reference_at_belongs_to_a_region_that_takes_all_groups(tmp_path):
    text = SCAFFOLD.read_text().replace("scaffold: nitazene", "scaffold: nitazene-broken")
    broken = tmp_path / "scaffold.yaml"
    broken.write_text(text.replace("    take: all\n", "    take: one\n", 1))
    with pytest.raises(RuleFileError, match="reference_at"):
        load_rules([broken])
