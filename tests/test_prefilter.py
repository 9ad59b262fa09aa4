"""The prefilter is safe: nothing the full path flags is ever settled by it."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import read_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem, rdBase

from classwide import Status, classify
from classwide._prefilter import Prefilter
from classwide._rules import default_rules
from classwide._vocabulary import (
    _ROOT_DEGREE,
    BONDED_THROUGH,
    root_degree_at_least,
    root_degree_at_most,
    root_neighbours,
)
from classwide.batch import screen
from classwide.io import InputRecord

RULES = default_rules()
PREFILTER = Prefilter(RULES)
CODES = RULES.jurisdictions()
DAY = "2026-11-29"


def flagged(smiles: str) -> bool:
    """Does the full path find a match (applying or not), a reading to review, an error?

    Near-miss diagnostics and kekulisation errors are not part of the prefilter's promise
    (see its docstring and the README).
    """
    try:
        record = classify(smiles, CODES, DAY)
    except Exception as exc:  # noqa: BLE001 - an error is something to say too
        message = str(exc).lower()
        return "kekulize" not in message and "marked aromatic" not in message
    return any(v.matches or v.review for v in record.jurisdictions)


def test_kekulisation_is_the_one_error_the_prefilter_lets_through():
    """Documented: a non-kekulisable aromatic record out of scope is settled, not an error."""
    assert PREFILTER.out_of_scope("c1cccc1")
    with pytest.raises(Exception, match="kekulize"):
        classify("c1cccc1")


def _variants(smiles: str) -> list[str]:
    out = [smiles, smiles + ".Cl", smiles + ".O.O", smiles + ".OC(=O)CC(O)(CC(=O)O)C(=O)O"]
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    if mol is not None:
        out.append(Chem.MolToSmiles(mol, kekuleSmiles=True))
        out.append(Chem.MolToSmiles(mol, doRandom=True, canonical=False))
        # Hydrogens written as atoms: all of them, or one deuterium label.
        out.append(Chem.MolToSmiles(Chem.AddHs(mol)))
        labelled = Chem.RWMol(Chem.AddHs(mol))
        for atom in labelled.GetAtoms():
            if atom.GetAtomicNum() == 1:
                atom.SetIsotope(2)
                out.append(Chem.MolToSmiles(Chem.RemoveHs(labelled)))
                break
        charged = Chem.RWMol(mol)
        for atom in charged.GetAtoms():
            if (
                atom.GetSymbol() == "N"
                and not atom.GetIsAromatic()
                and atom.GetTotalNumHs() == 0
                and atom.GetDegree() == 3
                and not any(
                    n.GetSymbol() == "C" and any(b.GetBondTypeAsDouble() == 2 for b in n.GetBonds())
                    for n in atom.GetNeighbors()
                )
            ):
                atom.SetFormalCharge(1)
                atom.SetNumExplicitHs(1)
                out.append(Chem.MolToSmiles(charged) + ".[Cl-]")
                break
    return out


def _known_structures() -> list[str]:
    smiles = [r["smiles"] for r in read_csv("examples.csv")]
    for name in (
        "fentanyl_hunter_library.csv",
        "kim2025_fentanyl_analogs.csv",
        "faves_v3_benchmark.csv",
    ):
        smiles += [r["smiles"] for r in read_csv(name) if r["smiles"].strip()]
    for rule in RULES.rules:
        smiles += [e.smiles for e in rule.examples]
    smiles += [s.smiles for s in RULES.substances.values() if s.smiles]
    return sorted(set(smiles))


KNOWN = _known_structures()


def test_known_structures_in_every_form_are_never_filtered_when_flagged():
    checked = settled = 0
    for base in KNOWN:
        for smiles in _variants(base):
            if PREFILTER.out_of_scope(smiles):
                settled += 1
                assert not flagged(smiles), smiles
            checked += 1
    assert checked > 1000 and settled > 0  # the sets hold decoys the prefilter settles


@pytest.mark.parametrize(
    "smiles",
    [
        "CCO",
        "c1ccccc1",
        "CC(=O)Nc1ccc(O)cc1",
        "C1CCCCC1N",
        "[H]N=c1c(C#N)c(C)c(C(=O)OCC)nn1-c1ccc(C)cc1",  # a hydrogen written as an atom
        "[2H]c1ccc(O)cc1",  # a deuterium label
    ],
)
def test_ordinary_compounds_are_settled(smiles):
    assert PREFILTER.out_of_scope(smiles)
    assert not flagged(smiles)


@pytest.mark.parametrize(
    "smiles",
    [
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # core
        "CCS(=O)(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # outside, but a reading would take it in
        "C1CC(N",  # syntax error: the full path reports it
        "CN(C)(C)(C)C",  # valence error
        "CC(=O)[O-].[Na+]",  # a metal: not judged by the prefilter
        "CCC(=O)OC(=O)CC",  # propionic anhydride: a listed heavy formula
        "O=C1CCNCC1",  # 4-piperidone
        "C" * 1500,  # too large: the full path says so
        "*",  # no heavy atom: an error on the full path
        "[*]CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # a dummy atom
        "[2H]C([2H])([2H])C(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # hydrogens written as atoms
        "[H]C([H])([H])C(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "[H+].CCO",  # a hydrogen that stays an atom: the full path decides
        "[H][H]",
    ],
)
def test_records_the_prefilter_must_leave_to_the_full_path(smiles):
    assert not PREFILTER.out_of_scope(smiles)


SUBSTITUENTS = [
    "F",
    "Cl",
    "C",
    "O",
    "N",
    "OC",
    "C(=O)C",
    "C#N",
    "c1ccccc1",
    "C(F)(F)F",
    "[N+](=O)[O-]",
]


@st.composite
def edited_structures(draw):
    """A known structure with random substituents, fragments and written forms."""
    base = draw(st.sampled_from(KNOWN))
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(base)
    if mol is None:
        return base
    rw = Chem.RWMol(mol)
    for _ in range(draw(st.integers(0, 3))):
        candidates = [a.GetIdx() for a in rw.GetAtoms() if a.GetTotalNumHs() > 0]
        if not candidates:
            break
        where = draw(st.sampled_from(candidates))
        piece = Chem.MolFromSmiles(draw(st.sampled_from(SUBSTITUENTS)))
        offset = rw.GetNumAtoms()
        combined = Chem.RWMol(Chem.CombineMols(rw, piece))
        combined.AddBond(where, offset, Chem.BondType.SINGLE)
        target = combined.GetAtomWithIdx(where)
        target.SetNumExplicitHs(max(0, target.GetNumExplicitHs() - 1))
        try:
            Chem.SanitizeMol(combined)
        except Exception:  # noqa: BLE001
            continue
        rw = combined
    kekule = draw(st.booleans())
    text = Chem.MolToSmiles(rw, kekuleSmiles=kekule, doRandom=draw(st.booleans()), canonical=False)
    return text + draw(st.sampled_from(["", ".Cl", ".O", ".[Cl-]", ".CC(=O)O"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_structures())
def test_property_prefilter_never_settles_what_the_full_path_flags(smiles):
    if PREFILTER.out_of_scope(smiles):
        assert not flagged(smiles), smiles


def test_screen_with_and_without_prefilter_agree_on_every_status():
    records = [InputRecord(str(i), s) for i, s in enumerate(KNOWN[:400], start=1)]
    day = dt.date(2026, 11, 29)
    fast = list(screen(records, CODES, day))
    full = list(screen(records, CODES, day, prefilter=False))
    assert [r.id for r in fast] == [r.id for r in full]
    settled = 0
    for a, b in zip(fast, full, strict=True):
        assert a.error == b.error
        assert [(v.status, v.matches, v.review) for v in a.jurisdictions] == [
            (v.status, v.matches, v.review) for v in b.jurisdictions
        ]
        if a.decided_by == "prefilter":
            settled += 1
            assert a.standardized is None and a.error is None
            assert all(v.status.value == "not_controlled" for v in b.jurisdictions)
    assert settled > 0


TOKENS = [
    "C",
    "c",
    "N",
    "n",
    "O",
    "o",
    "S",
    "F",
    "Cl",
    "Br",
    "(",
    ")",
    "1",
    "2",
    "=",
    "#",
    "[NH+]",
    "[O-]",
    "[nH]",
    ".",
    "*",
    "[2H]",
    "[Na+]",
    "[C@@H]",
    "/",
    "\\",
    "%10",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map("".join))
def test_property_random_strings_settled_only_when_the_full_path_agrees(text):
    """Fuzz: odd or broken SMILES are settled only if the full path has nothing to say."""
    if PREFILTER.out_of_scope(text):
        assert not flagged(text), text


def _esters_and_ethers_of_listed_parents() -> list[str]:
    """An acetate and a methyl ether of each hydroxyl of every parent whose list covers them."""
    found = []
    for listed in RULES.lists:
        for entry in listed.entries:
            key = entry.substance.key
            if key is None or not {"esters", "ethers"} & set(entry.scope):
                continue
            parent = Chem.MolFromSmiles(key)
            for atom in parent.GetAtoms():
                if atom.GetAtomicNum() != 8 or not atom.GetTotalNumHs() or atom.GetDegree() != 1:
                    continue
                for group in ("C(C)=O", "C"):
                    edit = Chem.RWMol(parent)
                    added = edit.AddAtom(Chem.Atom(6))
                    edit.AddBond(atom.GetIdx(), added, Chem.BondType.SINGLE)
                    if group == "C(C)=O":
                        methyl = edit.AddAtom(Chem.Atom(6))
                        oxo = edit.AddAtom(Chem.Atom(8))
                        edit.AddBond(added, methyl, Chem.BondType.SINGLE)
                        edit.AddBond(added, oxo, Chem.BondType.DOUBLE)
                    edit.GetAtomWithIdx(atom.GetIdx()).SetNumExplicitHs(0)
                    mol = edit.GetMol()
                    Chem.SanitizeMol(mol)
                    found.append(Chem.MolToSmiles(mol))
    return sorted(set(found))


def test_the_prefilter_never_settles_an_ester_or_ether_that_a_list_covers():
    """Every derivative the full path reports must reach it, in aromatic and kekulé form."""
    prefilter = Prefilter(RULES)
    checked = 0
    for smiles in _esters_and_ethers_of_listed_parents():
        record = classify(smiles, rules=RULES)
        derived = [m for v in record.jurisdictions for m in v.matches if m.kind == "derivative"]
        if not derived:
            continue  # a listed substance itself, whose own listing speaks
        checked += 1
        mol = Chem.MolFromSmiles(smiles)
        Chem.Kekulize(mol, clearAromaticFlags=True)
        for form in (smiles, Chem.MolToSmiles(mol, kekuleSmiles=True), smiles + ".Cl"):
            assert not prefilter.out_of_scope(form), form
    assert checked > 50


def test_a_long_polyether_is_decided_in_reasonable_time():
    """Only ester and ether groups of up to MAX_ADDED_ATOMS atoms are undone: no blow-up."""
    import time

    started = time.perf_counter()
    record = classify("COCC" + "OCC" * 150 + "OC", rules=RULES)
    assert record.error is None
    assert time.perf_counter() - started < 5


# --- the elements a region is bonded through ----------------------------------------------


def _named_groups() -> list[str]:
    """Every group that group-names.yaml names, with its '*', plus groups bonded oddly."""
    from importlib import resources

    import yaml

    text = (resources.files("classwide") / "vocabulary" / "group-names.yaml").read_text()
    groups = [s for table in yaml.safe_load(text).values() for s in table.values()]
    odd = ["*OC(C)=O", "*SC", "*[Si](C)(C)C", "*P(C)(C)=O", "*S(=O)(=O)C", "*N1CCCC1", "*OCOC"]
    odd += ["*NC(C)C", "*OCCC", "*C1CCOC1", "*N1CCOCC1", "*CN1CCOCC1", "*c1ccc2ccccc2c1", "*C=C"]
    return [g for g in groups + odd if g.count("*") == 1]


def _anchored_groups():
    """(SMILES, molecule, group) of every named group, its '*' a methyl carbon: the anchor."""
    from classwide._vocabulary import Group

    for smiles in _named_groups():
        mol = Chem.MolFromSmiles(smiles.replace("*", "[CH3:1]"))
        if mol is None:
            continue
        anchor = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomMapNum() == 1)
        mol.GetAtomWithIdx(anchor).SetAtomMapNum(0)
        root = mol.GetAtomWithIdx(anchor).GetNeighbors()[0].GetIdx()
        yield smiles, mol, Group(frozenset(range(mol.GetNumAtoms())) - {anchor}, root, anchor)


# Parameters that let each kind take in as much as it can.
_WIDEST = {
    "hydrocarbyl_group": {"min_carbons": 1, "max_carbons": 20, "substituted": True},
    "hydrocarbyl": {"min_carbons": 1, "max_carbons": 20, "substituted": True},
    "heterocyclylalkyl": {"max_carbons": 2, "min_heteroatoms": 1, "max_heteroatoms": 3},
    "heterocyclyl": {"min_heteroatoms": 1, "max_heteroatoms": 3},
    "aryl": {"min_carbons": 6, "max_carbons": 14},
    "z_link": {"oxygen": True, "nh": True},
}


@pytest.mark.parametrize("kind", sorted({*BONDED_THROUGH, *_ROOT_DEGREE}))
def test_every_group_of_a_kind_is_bonded_as_the_prefilter_assumes(kind):
    """The prefilter asks a region's bonding atom only if the kinds keep their word."""
    from classwide._vocabulary import VOCABULARY, Group

    checked = 0
    for smiles, mol, whole in _anchored_groups():
        root, anchor = whole.root, whole.anchor
        params = _WIDEST.get(kind, {})
        # A skeleton kind is asked of its atoms without the slot: here the root alone.
        for group, extra in ((whole, {}), (Group(frozenset({root}), root, anchor), None)):
            try:
                fits = VOCABULARY[kind].test(mol, group, **params, **(extra or {}))
            except TypeError:
                # In place of a skeleton: the rest of the group is the slot, which must be there.
                slot = mol.GetAtomWithIdx(root).GetDegree() > 1
                fits = (
                    extra is None
                    and slot
                    and VOCABULARY[kind].test(mol, group, far_end=root, **params)
                )
            if not fits:
                continue
            checked += 1
            atom = mol.GetAtomWithIdx(root)
            assert atom.GetAtomicNum() in BONDED_THROUGH.get(kind, {atom.GetAtomicNum()}), smiles
            assert atom.GetDegree() >= root_degree_at_least(kind, params), smiles
    assert checked, f"no named group is a {kind}: the tables are not tested"


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("hydrocarbyl_group", {"min_carbons": 1, "max_carbons": 1}),
        ("hydrocarbyl_group", {"max_carbons": 1, "substituted": False}),
        ("heterocyclylalkyl", _WIDEST["heterocyclylalkyl"]),
        ("heterocyclylalkyl", {"max_carbons": 1}),
    ],
)
def test_a_group_whose_kind_bounds_its_root_from_above_keeps_the_bound(kind, params):
    """A methyl's carbon has the anchor alone, a heterocyclylmethyl's CH2 the anchor and the
    ring: the prefilter may ask for exactly that."""
    from classwide._vocabulary import VOCABULARY

    most = root_degree_at_most(kind, params)
    assert most is not None
    fitting = 0
    for smiles, mol, group in _anchored_groups():
        root = mol.GetAtomWithIdx(group.root)
        if VOCABULARY[kind].test(mol, group, **params):
            fitting += 1
            assert root.GetDegree() <= most, smiles
    assert fitting, f"no named group is a {kind}: the bound is not tested"


# Parameters under which each kind says what its first atom has besides the anchor.
_NEIGHBOURED = {
    "hydrocarbyl_group": {"min_carbons": 2, "max_carbons": 20, "substituted": True},
    "hydrocarbyl_group (C3+)": {"min_carbons": 3, "max_carbons": 20, "substituted": True},
    "heterocyclylalkyl": _WIDEST["heterocyclylalkyl"],
    "heterocyclyl": _WIDEST["heterocyclyl"],
    "aryl": _WIDEST["aryl"],
    "benzyl": {},
    "monocycle": {},
    "acyl": {},
    "amide_acyl": {},
    "carbamate_acyl": {},
}


@pytest.mark.parametrize("kind", sorted(_NEIGHBOURED))
def test_a_kinds_first_atom_has_what_the_kind_says_besides_its_anchor(kind):
    """The prefilter asks for it (a pentyl's CH2 has a carbon beside the ring nitrogen)."""
    from classwide._prefilter import _Anchor, neighbour_holds
    from classwide._vocabulary import VOCABULARY

    params = _NEIGHBOURED[kind]
    kind = kind.split()[0]
    facts = root_neighbours(kind, params)
    assert facts, f"{kind} says nothing: the test is not tested"
    fitting = 0
    for smiles, mol, group in _anchored_groups():
        if not VOCABULARY[kind].test(mol, group, **params):
            continue
        fitting += 1
        # The prefilter's own SMARTS, with what is true of this group's anchor.
        anchor = mol.GetAtomWithIdx(group.anchor)
        known = _Anchor(carbon=anchor.GetAtomicNum() == 6, in_ring=anchor.IsInRing())
        assert any(neighbour_holds(mol, group.root, known, fact) for fact in facts), (
            kind,
            smiles,
        )
    assert fitting, f"no named group is a {kind}: the tables are not tested"


def test_every_neighbour_word_of_the_vocabulary_has_a_smarts_test():
    """A word without a test would raise when the prefilter is built, not settle wrongly."""
    from classwide._prefilter import _NEIGHBOUR_TESTS
    from classwide._vocabulary import VOCABULARY

    words = {
        fact
        for kind in VOCABULARY
        for params in ({}, *_NEIGHBOURED.values(), *_WIDEST.values())
        for fact in root_neighbours(kind, params)
    }
    assert words and words <= set(_NEIGHBOUR_TESTS), words - set(_NEIGHBOUR_TESTS)


def test_an_n1_chain_that_is_no_hydrocarbyl_or_heterocyclyl_is_settled():
    # China's cannabinoid R1: a C3-C8 hydrocarbyl, a heterocyclyl, or a methyl or ethyl
    # carrying one. A pyrazole with an aryloxymethyl on N1 has none of them (its CH2 has
    # an oxygen, not a carbon or a ring atom, beside the ring nitrogen).
    prefilter = Prefilter(RULES)
    assert prefilter.out_of_scope("COC(=O)c1ccn(COc2ccccc2Cl)n1")
    for member in (
        "O=C(c1cccc2ccccc12)c1cn(CCN2CCOCC2)c2ccccc12",  # JWH-200: a morpholinylethyl
        "CC(C)(NC(=O)c1nn(CC2CCOCC2)c2ccccc12)c1ccccc1",  # CUMYL-THPINACA: oxanylmethyl
        "CCCn1cc(C(=O)c2cccc3ccccc23)c2ccccc21",  # JWH-072: propyl
        # Members that no list names, so that the patterns, not the listed formulas, hold
        # them: a morpholinylethyl or pyrrolidinylethyl (the chain's second carbon has the
        # ring), a propyl carrying an oxanyl (a substituted C3 hydrocarbyl).
        "O=C(c1cccc2cc(C)ccc12)c1cn(CCN2CCOCC2)c2ccccc12",
        "O=C(c1cccc2cc(C)ccc12)c1cn(CCN2CCCC2)c2ccccc12",
        "CC(C)(NC(=O)c1nn(CCC2CCOCC2)c2ccccc12)c1ccccc1",
        "CCCCCC(=O)n1cc(C(=O)c2cccc3ccccc23)c2ccccc21",  # hexanoyl: an oxo-C6 hydrocarbyl
    ):
        assert not prefilter.out_of_scope(member), member
    for outside in (
        "COC(=O)c1cn(C(=O)c2cccs2)c2ccccc12",  # thiophene-2-carbonyl: S closes its ring
        "CCn1ccc(C(=O)Nc2ccc(C)cc2Br)n1",  # ethyl: two carbons
        "CC(=O)n1ccc(C(=O)Nc2ccc(Cl)c(Cl)c2)n1",  # acetyl: two carbons
    ):
        assert prefilter.out_of_scope(outside), outside
        assert not flagged(outside), outside


def test_an_anilide_nitrogen_carrying_no_ring_is_settled():
    # The fentanyls' N-phenyl may become another aromatic monocycle (US D, China 2), which
    # is bonded through one of its ring atoms: an N-isopropyl anilide is no member.
    prefilter = Prefilter(RULES)
    assert prefilter.out_of_scope("CC(=O)N1CCC(N(C(=O)Nc2ccc(Cl)cc2)C(C)C)CC1")
    for member in (
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",  # fentanyl
        "CCC(=O)N(c1cccs1)C1CCN(CCc2ccccc2)CC1",  # a thienyl in place of the phenyl
        "CCC(=O)N(c1ccncc1)C1CCN(CCc2ccccc2)CC1",  # a pyridyl
    ):
        assert not prefilter.out_of_scope(member), member


def test_a_region_that_may_stay_empty_is_asked_for_what_may_fill_it():
    # China's cannabinoid structure 4: R2 on C4 is hydrogen or a methyl, R4 on C5 hydrogen,
    # a phenyl or a benzyl. A 3-acylpyrrole with an ethyl on C4, or a methyl or a chlorine
    # on C5, is no member under any reading, and the prefilter settles it; with a methyl on
    # C4 it may be one (JWH-030's relatives), and the full path decides.
    prefilter = Prefilter(RULES)
    member = "CCCCCn1cc(C(=O)c2cccc3ccccc23)c(C)c1"
    assert not prefilter.out_of_scope(member)
    assert classify(member, ["CN"], rules=RULES).jurisdictions[0].status != Status.NOT_CONTROLLED
    assert prefilter.out_of_scope("CCCCCn1cc(C(=O)c2cccc3ccccc23)c(CC)c1")
    assert prefilter.out_of_scope("CCCCCn1cc(C(=O)c2cccc3ccccc23)cc1C")
    assert prefilter.out_of_scope("CCCCCn1cc(C(=O)c2cccc3ccccc23)cc1Cl")
    assert not prefilter.out_of_scope("CCCCCn1cc(C(=O)c2cccc3ccccc23)cc1Cc1ccccc1")


def test_a_region_every_clause_fills_through_nitrogen_is_asked_for_its_nitrogen():
    # The nitazenes' amino group: a benzimidazole whose N1 chain ends in a carbon is no
    # member under any reading, and the prefilter settles it.
    prefilter = Prefilter(RULES)
    assert not prefilter.out_of_scope("CCN(CC)CCn1c(Cc2ccc(OCC)cc2)nc2ccccc21")
    assert prefilter.out_of_scope("CCC(CC)CCn1c(Cc2ccc(OCC)cc2)nc2ccccc21")


def test_a_ring_system_another_one_subsumes_leaves_the_gate():
    from classwide._prefilter import _subsumes, _widest

    any_piperidine = "[#7;d2,d3]1~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~1"
    n_substituted = "[#7&d3]1~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~1"
    a_4_piperidone = "[#7;d2,d3]1~[#6&!a]~[#6&!a&d3]~[#6&!a]~[#6&!a]~[#6&!a]~1"
    any_ring = "[#7]1~[#6]~[#6]~[#6]~[#6]~[#6]~1"
    pyridine = "[#7&a]1~[#6&a]~[#6&a]~[#6&a]~[#6&a]~[#6&a]~1"
    assert _subsumes(any_piperidine, n_substituted)
    assert _subsumes(any_piperidine, a_4_piperidone)
    assert not _subsumes(n_substituted, any_piperidine)
    assert _subsumes(any_ring, any_piperidine) and not _subsumes(any_piperidine, any_ring)
    assert not _subsumes(any_piperidine, pyridine) and not _subsumes(pyridine, any_piperidine)
    # An atom written as an OR of ANDs, or with a recursive SMARTS, is never read as implying.
    assert not _subsumes(
        "[#7]1~[#6]~[#6]~[#6]~[#6]~[#6]~1", "[#7&d3,#8]1~[#6]~[#6]~[#6]~[#6]~[#6]~1"
    )
    rings = [n_substituted, any_piperidine, a_4_piperidone, pyridine, any_piperidine]
    assert _widest(rings) == [any_piperidine, pyridine]
    assert _widest([*rings, any_ring]) == [any_ring]


def test_a_piperidone_nitrogen_carrying_no_amide_or_carbamate_acyl_is_settled():
    # US List I: 4-piperidone and its amides and carbamates (and their acetals). The
    # nitrogen's group is R-C(=O)- with R a carbon or nothing, or R-O-C(=O)-: its first
    # atom has a lone oxygen and a carbon, or nothing more, or an oxygen bearing a carbon.
    prefilter = Prefilter(RULES)
    for member in (
        "CC(=O)N1CCC(=O)CC1",  # an amide
        "O=CN1CCC(=O)CC1",  # a formamide
        "CC(C)(C)OC(=O)N1CCC(=O)CC1",  # a carbamate (Boc)
        "CCOC(=O)N1CCC2(CC1)OCCO2",  # a carbamate of the ethylene acetal
        "O=C(c1ccccc1)N1CCC(=O)CC1",  # a benzamide
    ):
        assert not prefilter.out_of_scope(member), member
    for outside in (
        "CN(C)C(=O)N1CCC(=O)CC1",  # a urea: R is a nitrogen
        "O=C(Nc1cccc(Cl)c1)N1CCC2(CC1)OCCO2",
        "Cc1ccccc1-n1c(=O)cc(N2CCC3(CC2)OCCO3)[nH]c1=O",  # an aryl, no acyl at all
    ):
        assert prefilter.out_of_scope(outside), outside
        assert not flagged(outside), outside


def _unsanitised(smiles: str) -> list[Chem.Mol]:
    """The fragments of a record as the prefilter reads it (unsanitised, no H atoms)."""
    mol = Chem.MolFromSmiles(smiles, PREFILTER._params)
    mol.UpdatePropertyCache(strict=False)
    fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    for fragment in fragments:
        fragment.UpdatePropertyCache(strict=False)
    return list(fragments)


def test_a_gate_or_pattern_left_out_by_the_formula_could_not_have_matched():
    """The searches a fragment's heavy formula and rings leave out (``_plan``) all fail."""
    from classwide._prefilter import _rings, heavy_formula

    gates = PREFILTER._gate_queries[: len(PREFILTER._front_of)]
    ungated = PREFILTER._ungated_queries[False]
    left_out = matched = 0
    for smiles in KNOWN:
        for variant in _variants(smiles)[:5]:
            for fragment in _unsanitised(variant):
                plan = PREFILTER._plan(heavy_formula(fragment), _rings(fragment))
                for found, queries in ((plan.gates, gates), (plan.ungated, ungated)):
                    for n, query in enumerate(queries):
                        if n not in found:
                            left_out += 1
                            assert not fragment.HasSubstructMatch(query), (variant, n)
                        elif fragment.HasSubstructMatch(query):
                            matched += 1
    assert left_out > 1000 and matched > 100


def test_a_front_is_held_by_every_gate_behind_it():
    from classwide._prefilter import _FRONTS, _subsumes

    azole = _FRONTS[0]
    benzimidazole = (
        "[#7&d3]1~[#6&X3&d3]~[#7&d2]~[#6&X3&d3]2~[#6&X3]~[#6&X3]~[#6&X3]~[#6&X3]~[#6&X3&d3]~1~2"
    )
    pyrrole_ring = "[#7&d3]1~[d2]~[#6&X3&d3]~[#6&X3;d2,d3]~[#6&X3;d2,d3]~1"
    piperidine = "[#7;d2,d3]1~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~1"
    assert _subsumes(azole, benzimidazole, same_graph=False)
    assert _subsumes(azole, pyrrole_ring, same_graph=False)
    assert not _subsumes(azole, benzimidazole)  # not the same graph
    assert not _subsumes(azole, piperidine, same_graph=False)
    # On the known structures: wherever a gate behind a front matches, the front does.
    queries = PREFILTER._gate_queries
    fronted = [(n, f) for n, f in enumerate(PREFILTER._front_of) if f is not None]
    assert len(fronted) >= 2
    hits = 0
    for smiles in KNOWN:
        for fragment in _unsanitised(smiles):
            for gate, front in fronted:
                if fragment.HasSubstructMatch(queries[gate]):
                    hits += 1
                    assert fragment.HasSubstructMatch(queries[front]), smiles
    assert hits > 50


def test_a_kept_ring_system_is_its_own_gate_even_when_its_atoms_cannot_be_read():
    """An atom written as an OR of ANDs is never read as implying anything, so such a ring
    system subsumes not even itself: its patterns still stand behind it."""
    from classwide._prefilter import _gates_of, _subsumes, _widest

    unreadable = "[#7&d3,#8]1~[#6]~[#6]~[#6]~[#6]~[#6]~1"
    piperidine = "[#7;d2,d3]1~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~1"
    n_substituted = "[#7&d3]1~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~[#6&!a]~1"
    assert not _subsumes(unreadable, unreadable)
    gates = _widest([unreadable, piperidine, n_substituted])
    assert gates == [unreadable, piperidine]
    assert _gates_of([unreadable], gates) == {0}
    assert _gates_of([n_substituted], gates) == {1}
    assert _gates_of([n_substituted, unreadable], gates) == {0, 1}
