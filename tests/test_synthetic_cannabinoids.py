"""China's synthetic cannabinoid class (CN-SYNTHETIC-CANNABINOIDS): its words, precedence, dates.

The rule file's own examples run in test_rule_examples.py; these are the words of the
vocabulary the general formula added, one at a time, and the class's interactions.
"""

from __future__ import annotations

import pytest
from conftest import group_on
from rdkit import Chem

from classwide import classify
from classwide._prefilter import Prefilter
from classwide._rules import default_rules
from classwide._vocabulary import (
    VOCABULARY,
    Group,
    is_aryl,
    is_benzyl,
    is_heterocyclyl,
    is_heterocyclylalkyl,
    is_hydrocarbyl_group,
    is_z_link,
)

RULES = default_rules()
RULE = "CN-SYNTHETIC-CANNABINOIDS"
FIVE_F_ADB = "COC(=O)C(NC(=O)c1nn(CCCCCF)c2ccccc12)C(C)(C)C"
# made up, named by no list: a 7-azaindazole with an adamantyl amide
AZA_ADAMANTYL = "CCCCCn1nc(C(=O)NC23CC4CC(CC(C4)C2)C3)c2cccnc21"


def _cannabinoid(smiles: str, day: str = "2026-11-30"):
    verdict = classify(smiles, ["CN"], day, rules=RULES).verdict("CN")
    return verdict, [m for m in verdict.class_matches() if m.rule == RULE]


# --- the words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("smiles", "c3_c8"),
    [
        ("[NH2:1]CCC", True),  # propyl: C3, the lower bound
        ("[NH2:1]CCCCCF", True),  # 5-fluoropentyl: a substituted C5
        ("[NH2:1]CCCC=C", True),  # pent-4-enyl: unsaturated
        ("[NH2:1]CC1CCCCC1", True),  # cyclohexylmethyl: C7, a ring
        ("[NH2:1]Cc1ccc(F)cc1", True),  # 4-fluorobenzyl: C7, an aromatic ring
        ("[NH2:1]CCCCCOC", True),  # 5-methoxypentyl: the methoxy's carbon is not counted
        ("[NH2:1]CC", False),  # ethyl: C2
        ("[NH2:1]CCCCCCCCC", False),  # nonyl: C9
        ("[NH2:1]CC1CCOCC1", False),  # tetrahydropyranylmethyl: a ring through oxygen
        ("[NH2:1]c1c[nH]c2ccccc12", False),  # indol-3-yl: a ring through nitrogen
        ("[CH3:1]OCCCC", False),  # butoxy: bonded through oxygen
    ],
)
def test_hydrocarbyl_group_counts_the_carbon_skeleton(smiles, c3_c8):
    mol, group = group_on(smiles, 1)
    words = {"min_carbons": 3, "max_carbons": 8, "substituted": True}
    assert is_hydrocarbyl_group(mol, group, **words) is c3_c8


def test_an_unsubstituted_c1_hydrocarbyl_is_a_methyl_only():
    assert is_hydrocarbyl_group(*group_on("[NH2:1]C", 1), min_carbons=1, max_carbons=1)
    assert not is_hydrocarbyl_group(*group_on("[NH2:1]CF", 1), min_carbons=1, max_carbons=1)
    assert not is_hydrocarbyl_group(*group_on("[NH2:1]CC", 1), min_carbons=1, max_carbons=1)


@pytest.mark.parametrize(
    ("smiles", "one_to_three"),
    [
        ("[CH3:1]C1CCOCC1", True),  # tetrahydropyran-4-yl
        ("[CH3:1]N1CCOCC1", True),  # morpholin-4-yl, bonded through the ring nitrogen
        ("[CH3:1]c1cccc2cccnc12", True),  # quinolin-8-yl: the fused system counts as one
        ("[CH3:1]c1ccc2c(c1)OCO2", True),  # 1,3-benzodioxol-5-yl: two oxygens
        ("[CH3:1]c1nnnn1C", False),  # 1-methyltetrazol-5-yl: four heteroatoms
        ("[CH3:1]C1CCCCC1", False),  # cyclohexyl: no heteroatom
        ("[CH3:1]CC1CCOCC1", False),  # bonded through a chain, not a ring atom
    ],
)
def test_heterocyclyl_counts_the_heteroatoms_of_its_ring_system(smiles, one_to_three):
    mol, group = group_on(smiles, 1)
    assert is_heterocyclyl(mol, group, min_heteroatoms=1, max_heteroatoms=3) is one_to_three


@pytest.mark.parametrize(
    ("smiles", "fits"),
    [
        ("[NH2:1]CC1CCOCC1", True),  # tetrahydropyran-4-ylmethyl
        ("[NH2:1]CCN1CCOCC1", True),  # 2-morpholin-4-ylethyl
        ("[NH2:1]CCCN1CCOCC1", False),  # a propyl chain
        ("[NH2:1]C(C)C1CCOCC1", False),  # a methyl on the chain as well
        ("[NH2:1]C=CC1CCOCC1", False),  # not a saturated chain
        ("[NH2:1]CC1CCCCC1", False),  # cyclohexylmethyl: no heteroatom
    ],
)
def test_heterocyclylalkyl_is_a_methyl_or_ethyl_carrying_a_heterocyclyl(smiles, fits):
    mol, group = group_on(smiles, 1)
    assert is_heterocyclylalkyl(mol, group, max_carbons=2, max_heteroatoms=3) is fits


@pytest.mark.parametrize(
    ("smiles", "c6_c10", "phenyl"),
    [
        ("[CH3:1]c1ccccc1", True, True),
        ("[CH3:1]c1ccc(F)cc1", True, True),
        ("[CH3:1]c1cccc2ccccc12", True, False),  # naphthalen-1-yl: C10
        ("[CH3:1]c1cccc2cccnc12", False, False),  # quinolin-8-yl: a nitrogen in the ring
        ("[CH3:1]c1ccc2c(c1)CCC2", False, False),  # indan-5-yl: a ring fused on, not aromatic
        ("[CH3:1]C1CCCCC1", False, False),  # cyclohexyl: not aromatic
    ],
)
def test_aryl_is_an_all_carbon_aromatic_ring_system(smiles, c6_c10, phenyl):
    mol, group = group_on(smiles, 1)
    assert is_aryl(mol, group, min_carbons=6, max_carbons=10) is c6_c10
    assert is_aryl(mol, group, min_carbons=6, max_carbons=6) is phenyl


@pytest.mark.parametrize(
    ("smiles", "benzyl"),
    [
        ("[NH2:1]Cc1ccccc1", True),
        ("[NH2:1]Cc1ccc(F)cc1", True),
        ("[NH2:1]C(C)c1ccccc1", False),  # alpha-methylbenzyl: something else on the CH2
        ("[NH2:1]CCc1ccccc1", False),  # phenethyl
        ("[NH2:1]Cc1ccccn1", False),  # pyridin-2-ylmethyl
    ],
)
def test_benzyl_is_a_ch2_carrying_a_phenyl(smiles, benzyl):
    assert is_benzyl(*group_on(smiles, 1)) is benzyl


@pytest.mark.parametrize(
    ("link", "z"),
    [
        ("O", "oxygen"),  # an ester on the carbonyl
        ("N", "nh"),  # a secondary amide
        ("N(C)", None),  # a tertiary amide: -N(CH3)- is not -NH-
        ("S", None),
        ("CO", None),  # two atoms
    ],
)
def test_z_link_is_one_oxygen_or_nh_between_the_carbonyl_and_r3(link, z):
    mol = Chem.MolFromSmiles(f"O=[CH:1]{link}[c:2]1ccccc1")
    anchor = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomMapNum() == 1)
    slot = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomMapNum() == 2)
    ring = {i for r in mol.GetRingInfo().AtomRings() if slot in r for i in r}
    atoms = frozenset(range(mol.GetNumAtoms())) - {anchor, 0} - ring
    root = next(
        n.GetIdx() for n in mol.GetAtomWithIdx(anchor).GetNeighbors() if n.GetIdx() in atoms
    )
    far_end = next(
        n.GetIdx() for n in mol.GetAtomWithIdx(slot).GetNeighbors() if n.GetIdx() in atoms
    )
    group = Group(atoms, root, anchor)
    for word in ("oxygen", "nh"):
        assert is_z_link(mol, group, far_end=far_end, **{word: True}) is (word == z)


def test_the_new_words_are_in_the_vocabulary_with_their_uses():
    uses = {name: VOCABULARY[name].usable_as for name in VOCABULARY}
    for name in ("hydrocarbyl_group", "heterocyclyl", "heterocyclylalkyl", "aryl", "benzyl"):
        assert uses[name] == ("replace",)
    assert uses["z_link"] == ("skeleton",)


# --- the class ---------------------------------------------------------------------------


def test_a_listed_cannabinoid_shows_its_listing_and_the_class_without_applying():
    verdict, matches = _cannabinoid(FIVE_F_ADB)
    assert verdict.status.value == "listed"
    assert len(matches) == 1 and not matches[0].applies


def test_an_unlisted_member_is_controlled_from_2021_07_01():
    verdict, matches = _cannabinoid(AZA_ADAMANTYL)
    assert verdict.status.value == "class" and matches[0].applies
    assert matches[0].since == "2021-07-01"
    assert matches[0].clauses == ("R1", "R3")
    before, earlier = _cannabinoid(AZA_ADAMANTYL, "2021-06-30")
    assert before.status.value == "not_controlled" and not earlier


@pytest.mark.parametrize(
    ("smiles", "clauses", "regions"),
    [
        # 2H-indazole: R1 hexyl; the reference's Z-R3 kept
        ("COC(=O)C(NC(=O)c1c2ccccc2nn1CCCCCC)C(C)(C)C", ("R1",), {"r1", "z_r3"}),
        # γ-carbolinone: R3 on the ring nitrogen, no carbonyl head
        ("CCCCn1c2ccccc2c2c(=O)n(C3CCCCC3)ccc21", ("R1", "R3"), {"r1", "r3"}),
        # pyrazole: Y = N, R4 phenyl
        (
            "CCCCCn1nc(C(=O)NC2CCCCC2)cc1-c1ccccc1",
            ("R3", "R4"),
            {"r1", "r2", "r4", "z_r3", "r3"},
        ),
        # carbazole: a naphthoyl on C3 (Z no atom: R3 on the carbonyl)
        ("CCCCCn1c2ccccc2c2cc(C(=O)c3cccc4ccccc34)ccc21", ("R1", "R3"), {"r1", "z_r3"}),
        # benzimidazole: a valinamide on C2
        ("CCCCCn1c(C(=O)NC(C(N)=O)C(C)C)nc2ccccc21", ("R1", "R3"), {"r1", "z_r3", "r3"}),
        # 3-(2-hydroxyphenyl)cyclohexan-1-ol: R5 pentyl
        ("CCCCCc1ccc(C2CCCC(O)C2)c(O)c1", ("R5",), {"r5"}),
    ],
)
def test_each_structure_of_the_formula_takes_in_a_member(smiles, clauses, regions):
    """Made up, named by no list: one member of each of structures 2-7."""
    verdict, matches = _cannabinoid(smiles)
    assert verdict.status.value == "class" and matches[0].applies
    assert matches[0].clauses == clauses
    assert {region for region, _ in matches[0].regions} == regions


@pytest.mark.parametrize(
    "smiles",
    [
        "CCCCCc1cc(O)c2c(c1)OC(C)(C)C1CCC(C)=CC21",  # THC: a classical cannabinoid
        "C=C(C)C1CCC(C)=CC1c1c(O)cc(CCCCC)cc1O",  # cannabidiol
        "COc1ccc2c(c1)c(CC(=O)O)c(C)n2C(=O)c1ccc(Cl)cc1",  # indometacin
        "Cc1nccn1CC1CCc2c(c3ccccc3n2C)C1=O",  # ondansetron
        "CN1CCc2c(c3ccccc3n2C)C1",  # an indole drug shape with no carbonyl head
    ],
)
def test_ordinary_drugs_are_outside(smiles):
    _, matches = _cannabinoid(smiles)
    assert not matches


def test_the_prefilter_lets_every_member_example_through():
    prefilter = Prefilter(RULES)
    rule = RULES.get(RULE)
    for example in rule.examples:
        if example.match:
            assert not prefilter.out_of_scope(example.smiles), example.smiles
