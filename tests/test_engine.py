"""The engine's explanations, one structure each (what a forensic chemist would read)."""

from __future__ import annotations

import pytest
from rdkit import Chem

from classwide import classify


def reason(smiles: str, code: str) -> str:
    verdict = classify(smiles, code).verdict(code)
    assert not verdict.class_matches(), verdict.to_dict()
    return verdict.near_misses[0].reason


def explanation(smiles: str, code: str) -> str:
    return classify(smiles, code).verdict(code).class_matches()[0].explanation


def test_furanylfentanyl_names_the_acyl_and_clause():
    assert explanation("O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "US") == (
        "N-propionyl group replaced by furan-2-carbonyl (E)"
    )


def test_piperidine_cyano_is_named_with_its_position_and_clause():
    assert reason("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C#N", "US") == (
        "cyano on the piperidine ring at C3: not among the listed substituents (C)"
    )


def test_remifentanil_is_outside_the_us_class_because_of_its_ester_chain():
    """US (A) needs a monocycle where the phenyl was; remifentanil has an ester there."""
    assert reason("CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCC(=O)OC)CC1", "US") == (
        "phenyl of the phenethyl group replaced by methoxycarbonyl: not a monocycle (A)"
    )


def test_benzylfentanyl_us_reason_is_the_linker():
    assert "two-carbon linker" in reason("CCC(=O)N(c1ccccc1)C1CCN(Cc2ccccc2)CC1", "US")


def test_anpp_lacks_the_acyl():
    assert reason("c1ccc(CCN2CCC(Nc3ccccc3)CC2)cc1", "CN").startswith("N-propionyl group removed")


def test_norfentanyl_is_the_hydrogen_exception_of_china_4():
    assert reason("CCC(=O)N(c1ccccc1)C1CCNCC1", "CN").startswith("phenethyl group removed")


def test_n_oxide_is_no_listed_substituent():
    assert "N-oxide" in reason("CCC(=O)N(c1ccccc1)C1CC[N+]([O-])(CCc2ccccc2)CC1", "US")


def test_oxo_on_the_piperidine_is_named():
    assert reason("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)C(=O)C1", "US").startswith("oxo")


def test_brorphine_ring_closure_is_named():
    assert "a ring is closed onto the core at the anilide nitrogen" in reason(
        "CC(c1ccc(Br)cc1)N1CCC(n2c(=O)[nH]c3ccccc32)CC1", "CN"
    )


def test_reference_itself_is_not_a_member():
    assert "no modification of fentanyl" in reason("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "US")


def test_decoys_have_no_near_miss():
    verdict = classify("CC(=O)Nc1ccc(O)cc1", "US").verdict("US")
    assert verdict.status.value == "not_controlled" and not verdict.near_misses


@pytest.mark.parametrize(
    "smiles",
    [
        "CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1",
        "CCC(=O)N(c1ccccc1)C1(COC)CCN(CCn2nnn(CC)c2=O)CC1",
        "CC(=O)N(c1ccccc1C)C1CCN(CC(O)c2ccc(F)cc2)CC1C",
    ],
)
def test_regions_of_a_member_cover_every_atom_but_the_anilide_nitrogen(smiles):
    record = classify(smiles, "US")
    match = record.verdict("US").class_matches()[0]
    mol = Chem.MolFromSmiles(record.standardized)
    top = {"acyl", "n_aryl", "n1_group", "piperidine"}
    seen = [a for name, atoms in match.regions if name in top for a in atoms]
    assert len(seen) == len(set(seen)), "regions overlap"
    missing = set(range(mol.GetNumAtoms())) - set(seen)
    assert len(missing) == 1 and mol.GetAtomWithIdx(missing.pop()).GetSymbol() == "N"


def test_every_modification_lists_its_atoms():
    match = (
        classify("CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1", "CN")
        .verdict("CN")
        .class_matches()[0]
    )
    assert {m.region for m in match.modifications} == {"acyl", "n_aryl"}
    assert all(m.atoms for m in match.modifications)


def test_symmetric_positions_are_named_by_the_lowest_locant():
    """Lofentanil's methyl is at C3 (not C5): the piperidine maps onto itself twice."""
    text = explanation("CCC(=O)N(c1ccccc1)[C@]1(C(=O)OC)CCN(CCc2ccccc2)C[C@@H]1C", "CN")
    assert "methyl (alkyl) on the piperidine ring at C3" in text
    assert "spiro" in reason("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC12CC2", "CN")
    assert "at C3:" in reason("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC12CC2", "CN")


FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
DOCUSATE = "CCCCCCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)O"


def test_a_controlled_component_smaller_than_its_counter_ion_decides():
    """Fentanyl docusate is listed; the record names fentanyl and both components."""
    record = classify(f"{FENTANYL}.{DOCUSATE}", "US,CN,UN", "2026-11-30")
    assert [v.status.value for v in record.jurisdictions] == ["listed"] * 3
    assert record.standardized == FENTANYL
    assert all(v.component is None for v in record.jurisdictions)
    assert [c.to_dict() for c in record.components] == [
        {
            "smiles": DOCUSATE,
            "status": dict.fromkeys(("US", "CN", "UN"), "not_controlled"),
            "decides": [],
        },
        {
            "smiles": FENTANYL,
            "status": dict.fromkeys(("US", "CN", "UN"), "listed"),
            "decides": ["US", "CN", "UN"],
        },
    ]
    # A salt whose largest component decides reads as the parent alone.
    citrate = classify(f"{FENTANYL}.OC(=O)CC(O)(CC(=O)O)C(=O)O", "US,CN,UN", "2026-11-30")
    alone = classify(FENTANYL, "US,CN,UN", "2026-11-30")
    assert citrate.to_dict() | {"input": ""} == alone.to_dict() | {"input": ""}


def test_each_jurisdiction_is_decided_by_its_strongest_component():
    """Bufotenine is listed in the US only, caffeine in China only: each decides its own."""
    caffeine, bufotenine = "Cn1c(=O)c2c(ncn2C)n(C)c1=O", "CN(C)CCc1c[nH]c2ccc(O)cc12"
    record = classify(f"{caffeine}.{bufotenine}", "US,CN", "2026-11-30")
    assert [v.status.value for v in record.jurisdictions] == ["listed", "listed"]
    assert record.standardized == bufotenine  # the largest, as it decides as strongly
    assert record.verdict("US").component is None
    assert record.verdict("CN").component == caffeine  # its atoms point into caffeine
    assert [c.decides for c in record.components] == [("US",), ("CN",)]
    assert record.to_dict()["jurisdictions"]["CN"]["component"] == caffeine


def test_a_group_written_in_place_is_the_group_rebuilt_atom_by_atom():
    """Group SMILES (names, reference checks) are written from the molecule itself where
    they can be; on every single bond outside a ring of the example structures, that gives
    the same canonical SMILES as rebuilding the group atom by atom, charges and
    hydrogens fixed."""
    from conftest import read_csv

    from classwide._vocabulary import (
        _fragment_smiles_rebuilt,
        _written_in_place,
        canonical_fragment,
    )

    compared = 0
    for row in read_csv("examples.csv"):
        mol = Chem.MolFromSmiles(row["smiles"])
        if mol is None:
            continue
        for bond in mol.GetBonds():
            if bond.IsInRing():
                continue
            begin, end = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            edit = Chem.RWMol(mol)
            edit.RemoveBond(begin, end)
            side = next(f for f in Chem.GetMolFrags(edit) if end in f)
            atoms, attachments = frozenset(side), [(end, begin)]
            written = _written_in_place(mol, atoms, attachments)
            assert written is not None
            rebuilt = _fragment_smiles_rebuilt(mol, atoms, attachments)
            assert canonical_fragment(written) == rebuilt, (row["smiles"], sorted(atoms))
            compared += 1
    assert compared > 500
    # A group with a bond that is no attachment (a ring closed onto the anchor) is rebuilt.
    spiro = Chem.MolFromSmiles("C1CCC2(CC1)CCNCC2")
    assert _written_in_place(spiro, frozenset({0, 1, 2, 4, 5}), [(2, 3)]) is None
