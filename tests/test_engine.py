"""The engine's explanations, one structure each (what a forensic chemist would read)."""

from __future__ import annotations

import json

import pytest
from rdkit import Chem

from classwide import classify
from classwide._decompose import forget_shared
from classwide._rules import default_rules
from classwide._scaffold import _region_queries


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


# Aryl rings and N1 groups with two different substituents, each in both orders, on
# fentanyl: the same group comes with its atoms numbered in different orders.
_ARYLS = ("c1ccc(F)cc1Cl", "c1ccc(Cl)cc1F", "c1cc(F)c(C)cc1", "c1cc(C)c(F)cc1", "c1c(F)cccc1OC")
_N1 = ("CCc2ccc(OC)c(F)c2", "CCc2ccc(F)c(OC)c2", "CC(C)c2ccccc2", "CCc2cccs2", "CC(O)c2ccco2")


def _shared_memo_corpus() -> list[str]:
    from conftest import read_csv

    found = []
    for name in ("kim2025_fentanyl_analogs.csv", "fentanyl_hunter_library.csv", "examples.csv"):
        found.extend(row["smiles"] for row in read_csv(name) if row.get("smiles"))
    found.extend(
        f"{acyl}N({aryl})C1CCN({n1})CC1{extra}"
        for acyl in ("CCC(=O)", "O=C(c3ccco3)")
        for aryl in _ARYLS
        for n1 in _N1
        for extra in ("", "C")
    )
    return found


def test_an_explanation_shared_between_molecules_is_the_one_each_gives_alone():
    """A region's explanation found in one molecule is reused for the same group in the next.

    Reuse must never change an answer: each structure classified with every shared memo
    emptied first gives the same record as after all the others, taken in reverse order.
    """
    corpus = _shared_memo_corpus()
    alone = []
    for smiles in corpus:
        forget_shared()
        alone.append(json.dumps(classify(smiles, as_of="2026-11-30").to_dict(), sort_keys=True))
    forget_shared()
    after_others = [
        json.dumps(classify(smiles, as_of="2026-11-30").to_dict(), sort_keys=True)
        for smiles in reversed(corpus)
    ][::-1]
    assert len(corpus) > 400
    differing = [s for s, a, b in zip(corpus, alone, after_others, strict=True) if a != b]
    assert not differing, differing[:5]
    assert any('"class"' in record for record in alone)  # the corpus reaches the classes


def test_every_packaged_region_is_shared_between_molecules():
    """Each packaged region's queries read only the group: its explanations can be shared."""
    rules = default_rules()
    for rule in rules.rules:
        for scaffold in rule.scaffolds:
            for region in scaffold.all_regions():
                assert _region_queries(region) is not None, (rule.id, region.id)


def test_neighbour_tables_follow_rdkit_neighbour_order_even_after_edits():
    """Walks read each atom's neighbours from a table built bond by bond; that order must be
    RDKit's own, also in a molecule whose bonds were removed and added again."""
    from classwide._vocabulary import neighbours

    molecules = [Chem.MolFromSmiles(s) for s in _shared_memo_corpus()[:120]]
    edited = Chem.RWMol(Chem.MolFromSmiles("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"))
    edited.RemoveBond(4, 5)
    edited.AddBond(4, 1, Chem.BondType.SINGLE)
    edited.AddBond(5, 0, Chem.BondType.SINGLE)
    edited.UpdatePropertyCache(strict=False)
    molecules.append(edited.GetMol())
    for mol in molecules:
        expected = tuple(
            tuple(n.GetIdx() for n in mol.GetAtomWithIdx(i).GetNeighbors())
            for i in range(mol.GetNumAtoms())
        )
        assert neighbours(mol) == expected, Chem.MolToSmiles(mol)


def test_atom_tables_read_from_the_parents_smiles_are_those_read_atom_by_atom():
    """A parent's atom symbols and elements are read off its SMILES, and bond types from
    bond orders; each must be what RDKit gives atom by atom and bond by bond, also for
    charged atoms, bracket atoms, stereo, dative bonds and metals."""
    from classwide._standardize import parse_structure, standardize
    from classwide._vocabulary import _read_tables, numbered_as_written

    corpus = [
        *_shared_memo_corpus()[:150],
        "C[N+](C)(C)CC(=O)[O-]",
        "c1cc[nH]c1CCl",
        "C[C@H](N)Cc1ccccc1",
        "N->[Pt](<-N)(Cl)Cl",
        "[Na+].[O-]C(=O)c1ccccc1",
        "CC[Se]C#N",
        "BrC=CI",
    ]
    compared = 0
    for smiles in corpus:
        parent = standardize(parse_structure(smiles))
        mol = parent.mol
        numbered_as_written(mol, parent.smiles)
        tables = _read_tables(mol)
        atoms = [mol.GetAtomWithIdx(i) for i in range(mol.GetNumAtoms())]
        assert tables.symbols == tuple(a.GetSmarts(isomericSmiles=False) for a in atoms), smiles
        assert tables.elements == tuple(a.GetAtomicNum() for a in atoms), smiles
        assert tables.bond_types == tuple(
            tuple(int(b.GetBondType()) for b in a.GetBonds()) for a in atoms
        ), smiles
        compared += "@" not in parent.smiles
    assert compared > 140  # most were read off their SMILES
    dative = Chem.MolFromSmiles("N->[Pt](<-N)(Cl)Cl")
    assert int(Chem.BondType.DATIVE) in sum(_read_tables(dative).bond_types, ())
    # A text whose atom RDKit cannot read back is not used: the atoms are asked instead.
    ethanol = Chem.MolFromSmiles("CCO")
    numbered_as_written(ethanol, "C[Xx]O")
    assert _read_tables(ethanol).elements == (6, 6, 8)
    assert _read_tables(ethanol).symbols == ("C", "C", "O")


def test_a_wider_reading_keeps_every_member_and_a_narrower_one_adds_none():
    """Review notes skip a wider reading of a member, and a narrower reading of a
    non-member: their full fits must agree, for every packaged reading with a direction."""
    import datetime as dt

    from classwide._definitions import Clause, Replacement, _direction
    from classwide._findings import Verdict
    from classwide._scaffold import fit_rule
    from classwide._standardize import parse_structure, standardize

    rules = default_rules()
    directions = {
        (rule.id, reading_id): direction
        for rule in rules.rules
        for reading_id, direction in rule.reading_direction.items()
    }
    assert directions[("US-FRS", "acyl-iupac-broad")] == "wider"
    assert directions[("CN-FRS", "cn-piperidine-list-open")] == "wider"
    # An option given to a kind counts by its declared effect: a fused dioxole set aside
    # widens a monocycle, a limit on a phenyl's substituents narrows it.
    assert directions[("US-FRS", "methylenedioxy-as-substituent")] == "wider"
    assert directions[("US-FRS", "us-a-phenyl-substituents-limited")] == "narrower"
    acyl, thioacyl = Replacement("acyl"), Replacement("thioacyl")
    written = Clause("E", "", "acyl", replace=(acyl, thioacyl))
    assert _direction(written, Clause("E", "", "acyl", replace=(acyl,))) == "narrower"
    assert _direction(written, Clause("E", "", "acyl", replace=(acyl,), at=(4,))) is None
    ring = Clause("D", "", "n_aryl", replace=(Replacement("monocycle", (("aromatic", True),)),))
    wide = Replacement("monocycle", (("aromatic", True), ("dioxole_as_substituent", True)))
    narrow = Replacement("monocycle", (("aromatic", True), ("hetero", True)))
    both = Replacement("monocycle", (("dioxole_as_substituent", True), ("hetero", True)))
    assert _direction(ring, Clause("D", "", "n_aryl", replace=(wide,))) == "wider"
    assert _direction(ring, Clause("D", "", "n_aryl", replace=(narrow,))) == "narrower"
    assert _direction(ring, Clause("D", "", "n_aryl", replace=(both,))) is None
    chain = Replacement("hydrocarbyl", (("min_carbons", 1),))
    fewer = Replacement("hydrocarbyl", (("min_carbons", 2),))
    written = Clause("B", "", "n1_group", replace=(chain,))
    assert _direction(written, Clause("B", "", "n1_group", replace=(fewer,))) is None
    halo = Clause("C", "", "piperidine", substitute=("halo",))
    assert _direction(halo, Clause("C", "", "piperidine", substitute=("any",))) == "wider"
    assert _direction(halo, Clause("C", "", "piperidine", substitute=("alkyl",))) is None

    day = dt.date(2026, 11, 30)
    checked = 0
    for smiles in _shared_memo_corpus()[::2]:
        mol = standardize(parse_structure(smiles)).mol
        for rule in rules.rules:
            member = fit_rule(mol, rule, day).verdict is Verdict.MATCH
            for reading in rule.readings:
                direction = rule.reading_direction[reading.id]
                if direction == ("wider" if member else "narrower"):
                    other = fit_rule(mol, rule, day, reading).verdict is Verdict.MATCH
                    assert other is member, (smiles, rule.id, reading.id)
                    checked += 1
    assert checked > 200


def test_what_a_reading_would_decide_is_the_verdict_of_its_full_fit():
    """Review notes ask only whether a reading takes the structure in (``takes_in``); that
    must be the verdict of the reading's full fit, for every rule, reading and structure."""
    import datetime as dt

    from classwide._decompose import MolCache
    from classwide._findings import Verdict
    from classwide._limits import DEFAULT_LIMITS
    from classwide._scaffold import fit_rule, takes_in
    from classwide._standardize import parse_structure, standardize

    rules = default_rules()
    day = dt.date(2026, 11, 30)
    compared = members = 0
    for smiles in _shared_memo_corpus()[::3]:
        mol = standardize(parse_structure(smiles)).mol
        for rule in rules.rules:
            for reading in (None, *rule.readings):
                fit = fit_rule(mol, rule, day, reading)
                clauses = rule.clauses_at(day, reading)
                member = takes_in(mol, rule, clauses, MolCache(mol), DEFAULT_LIMITS)
                assert member is (fit.verdict is Verdict.MATCH), (
                    smiles,
                    rule.id,
                    reading,
                )
                compared += 1
                members += fit.verdict is Verdict.MATCH
    assert compared > 1000 and members > 100
