"""The parent decides: salts, charges, stereo, isotopes and notation do not change a verdict."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from classwide import ParseError, classify, parse_structure, standardize

FURANYL = "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _summary(record):
    return [
        (v.jurisdiction, v.status.value, [m.to_dict() for m in v.matches])
        for v in record.jurisdictions
    ]


@pytest.mark.parametrize(
    "variant",
    [
        FURANYL + ".Cl",  # hydrochloride
        "O=C(c1ccco1)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1.[Cl-]",  # charged salt form
        FURANYL + ".OC(=O)CC(O)(CC(=O)O)C(=O)O",  # citrate
        FURANYL + ".O.O",  # dihydrate
        "O=C(c1ccco1)N(c1ccccc1)C1CCN(C([2H])([2H])Cc2ccccc2)CC1",  # deuterated standard
        Chem.MolToInchi(Chem.MolFromSmiles(FURANYL)),  # the same structure as InChI
        Chem.MolToMolBlock(Chem.MolFromSmiles(FURANYL)),  # and as a MOL block
    ],
)
def test_forms_of_one_parent_get_one_verdict(variant):
    base = classify(FURANYL)
    other = classify(variant)
    assert other.standardized == base.standardized
    assert _summary(other) == _summary(base)


def test_stereoisomers_share_the_verdict_and_keep_stereo_in_the_output():
    """cis-3-methylfentanyl: stereo kept in `standardized`, not used in the decision."""
    cis = classify("CCC(=O)N(c1ccccc1)[C@@H]1CCN(CCc2ccccc2)C[C@@H]1C")
    trans = classify("CCC(=O)N(c1ccccc1)[C@H]1CCN(CCc2ccccc2)C[C@@H]1C")
    flat = classify("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C")
    assert "@" in cis.standardized and cis.standardized != trans.standardized
    assert _summary(cis) == _summary(trans) == _summary(flat)


def test_atom_indices_point_into_the_standardized_smiles():
    """Region atoms are indices of the reported SMILES, whatever order the input had."""
    record = classify("C1CN(CCc2ccccc2)CCC1N(C(=O)c1ccco1)c1ccccc1")
    match = record.verdict("US").class_matches()[0]
    mol = Chem.MolFromSmiles(record.standardized)
    acyl = dict(match.regions)["acyl"]
    symbols = sorted(mol.GetAtomWithIdx(i).GetSymbol() for i in acyl)
    assert symbols == ["C", "C", "C", "C", "C", "O", "O"]  # furan-2-carbonyl


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("C1CC(N", "unparsable SMILES"),
        ("CN(C)(C)(C)C", "valence"),
        ("c1cccc1", "kekulize"),
        ("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H4", "InChI"),
        ("C" * 2000, "too large"),
    ],
)
def test_bad_single_input_raises_a_clear_parse_error(text, reason):
    with pytest.raises(ParseError) as info:
        classify(text)
    assert reason.lower() in str(info.value).lower()
    assert "\n" not in str(info.value)


def test_wrong_type_is_a_type_error():
    with pytest.raises(TypeError):
        classify(42)  # type: ignore[arg-type]


def test_inorganic_and_salt_only_records_get_a_verdict():
    for text in (
        "[Na+].[Cl-]",
        "OC(=O)CC(O)(CC(=O)O)C(=O)O",
        "[Fe]",
        "O=S(=O)([O-])[O-].[Na+].[Na+]",
    ):
        record = classify(text)
        assert all(v.status.value == "not_controlled" for v in record.jurisdictions), text


def test_an_inorganic_listed_chemical_is_found_as_itself_and_not_as_its_salts():
    """Hydrochloric acid is a List II chemical; sodium chloride is not hydrochloric acid."""
    assert classify("Cl", "US").verdict("US").status.value == "precursor"
    assert classify("[Na+].[Cl-]", "US").verdict("US").status.value == "not_controlled"
    assert classify("[Na+].[Cl-]", "US").standardized == "[Cl-].[Na+]"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    which=st.sampled_from(
        [
            FURANYL,
            "CC(=O)N(c1ccccc1)C1CCN(CCc2ccc(C)cc2)CC1",
            "CCC(=O)N(c1ccccc1)C1CCN(Cc2ccccc2)CC1",
            "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCC(=O)OC)CC1",
            "CCS(=O)(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        ]
    ),
)
def test_any_smiles_of_a_structure_gives_the_same_record(seed, which):
    """Property: atom order of the input never changes the verdict, clauses or parent."""
    mol = Chem.MolFromSmiles(which)
    Chem.rdBase.SeedRandomNumberGenerator(seed)
    randomised = Chem.MolToSmiles(mol, doRandom=True, canonical=False)
    a, b = classify(which).to_dict(), classify(randomised).to_dict()
    for record in (a, b):
        record.pop("input")
    assert a == b


def test_standardize_keeps_the_largest_organic_fragment():
    parent = standardize(parse_structure("[Na+].CCCCCCCCCCCC(=O)[O-].O"))
    assert parent.smiles == "CCCCCCCCCCCC(=O)O"


FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _mapped_molblock(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(atom.GetIdx() + 1)
    return Chem.MolToMolBlock(mol)  # the V2000 atom-atom mapping column


@pytest.mark.parametrize(
    "variant",
    [
        "[CH3:1]CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # one atom mapped
        "[CH2]CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # a hydrogen left off: a radical
        "[CH2:7]CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.Cl",  # both, as a hydrochloride
        _mapped_molblock(FENTANYL),
    ],
)
def test_atom_maps_and_radicals_do_not_hide_a_listing(variant):
    """Mapped and radical fentanyl is fentanyl: listed in the US, China and the UN lists."""
    record = classify(variant, "US,CN,UN", "2026-11-30")
    assert record.standardized == FENTANYL
    assert [v.status.value for v in record.jurisdictions] == ["listed"] * 3


def test_radicals_are_closed_on_organic_atoms_only():
    """A radical in an organic structure gets its hydrogen back; nitric oxide keeps its own."""
    assert standardize(parse_structure("[CH2]C[NH]C")).smiles == "CCNC"
    assert standardize(parse_structure("[N]=O")).smiles == "[N]=O"  # no carbon: as written


def test_every_organic_component_is_standardised_once():
    """Counter-ions without carbon are not components; repeats are judged once."""
    from classwide._standardize import standardize_components

    docusate = "CCCCCCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)[O-]"
    text = f"{FENTANYL}.[Na+].{docusate}.[Cl-].O.[CH3:3]CC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1"
    smiles = [p.smiles for p in standardize_components(parse_structure(text))]
    assert smiles == [docusate.replace("[O-]", "O"), FENTANYL]


# Structures that RDKit's normaliser rewrites after they are read (reading already
# rewrites nitro, N-oxides, azides and diazo groups): a phosphorus drawn like a neutral
# nitro group, a sulfoxide, a conjugated cation and a charge-separated amidine.
_NORMALISED_FORMS = ("CP(=O)=O", "CS(C)=O", "C[N+](C)=CC=CN", "Cc1cc[n-]c(=[N+](C)C)c1")


@pytest.mark.parametrize("smiles", _NORMALISED_FORMS)
def test_a_structure_normalisation_rewrites_is_never_left_alone(smiles):
    from classwide._standardize import _NORMALIZER, may_normalize

    mol = parse_structure(smiles)
    rewritten = Chem.Mol(mol)
    _NORMALIZER.normalizeInPlace(rewritten)
    Chem.SanitizeMol(rewritten)
    assert Chem.MolToSmiles(rewritten) != Chem.MolToSmiles(mol)
    assert may_normalize(mol)


def test_a_structure_left_alone_is_one_normalisation_would_not_change():
    from conftest import DATA, read_csv

    from classwide._standardize import _NORMALIZER, may_normalize

    lines = (DATA / "moses-train-sample.smi").read_text().splitlines()
    corpus = [line.split()[0] for line in lines if line.strip()]
    for name in ("examples.csv", "kim2025_fentanyl_analogs.csv", "faves_v3_benchmark.csv"):
        corpus.extend(row["smiles"] for row in read_csv(name) if row.get("smiles"))
    left_alone = 0
    for smiles in filter(None, corpus):
        try:
            mol = parse_structure(smiles)
        except ParseError:
            continue
        if may_normalize(mol):
            continue
        left_alone += 1
        rewritten = Chem.Mol(mol)
        _NORMALIZER.normalizeInPlace(rewritten)
        Chem.SanitizeMol(rewritten)
        assert Chem.MolToSmiles(rewritten) == Chem.MolToSmiles(mol), smiles
    assert left_alone > 1000


def test_a_molecule_handed_over_unsanitised_is_standardised_like_a_read_one():
    written = "OC1=CC=CC=C1CN(C)C"
    raw = Chem.MolFromSmiles(written, sanitize=False)
    assert standardize(raw).smiles == standardize(parse_structure(written)).smiles
