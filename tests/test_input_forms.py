"""Every listed substance finds its listing in every form a structure comes in.

The forms are what files and tools actually hold: atom maps (reaction tools, MOL files'
mapping column), a radical where a hydrogen was left off, isotope labels, a protonated
amine, a hydrochloride, and a mixture with a counter-ion larger than the substance
(docusate). Each is built from the substance's own SMILES in the substance data, so a new
listing brings its own cases.

Two checks: every form of every substance standardises to a component with the
substance's parent key (the index the listings are found by; fast), and a sample of
substances and forms, run through ``classify`` on a day the listing is in force, is
reported under that listing.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem, rdBase

from classwide import classify, parse_structure
from classwide._findings import ListedMatch, Status
from classwide._lists import ListEntry, ListRule
from classwide._rules import load_rules
from classwide._standardize import parent_key, standardize_components

DOCUSATE = "CCCCCCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)O"
RULES = load_rules()
ENTRIES: list[tuple[ListRule, ListEntry]] = [
    (listed, entry)
    for listed in RULES.lists
    for entry in listed.entries
    if entry.substance.key is not None and entry.substance.smiles
]
SUBSTANCES = sorted({entry.substance.smiles for _, entry in ENTRIES if entry.substance.smiles})


def _mol(smiles: str) -> Chem.Mol:
    with rdBase.BlockLogs():  # permanganate's [Mn+8] makes RDKit talk
        mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, smiles
    return mol


def _organic(mol: Chem.Mol) -> bool:
    return any(atom.GetAtomicNum() == 6 for atom in mol.GetAtoms())


def as_given(smiles: str) -> str | None:
    """The substance data's own SMILES."""
    return smiles


def atom_mapped(smiles: str) -> str | None:
    """Every atom numbered, as a reaction tool writes it."""
    mol = _mol(smiles)
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(atom.GetIdx() + 1)
    return Chem.MolToSmiles(mol)


def with_radical(smiles: str) -> str | None:
    """One hydrogen left off a carbon (``[CH2]CC...``); only for an organic substance."""
    mol = _mol(smiles)
    carbon = next((a for a in mol.GetAtoms() if a.GetAtomicNum() == 6 and a.GetTotalNumHs()), None)
    if carbon is None:
        return None
    carbon.SetNumExplicitHs(carbon.GetTotalNumHs() - 1)
    carbon.SetNoImplicit(True)
    carbon.SetNumRadicalElectrons(1)
    Chem.SanitizeMol(mol)
    return Chem.MolToSmiles(mol)


def isotope_labelled(smiles: str) -> str | None:
    """The first atom as its next-heavier isotope (13C, 15N, 37Cl ...)."""
    mol = _mol(smiles)
    atom = mol.GetAtomWithIdx(0)
    table = Chem.GetPeriodicTable()
    atom.SetIsotope(table.GetMostCommonIsotope(atom.GetAtomicNum()) + 1)
    return Chem.MolToSmiles(mol)


# An aliphatic amine: not an amide, sulfonamide, aniline, hydrazine or hydroxylamine.
_AMINE = Chem.MolFromSmarts("[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-[N,O])]")


def protonated(smiles: str) -> str | None:
    """An aliphatic amine nitrogen protonated (``[NH+]``); only where there is one."""
    mol = _mol(smiles)
    hits = mol.GetSubstructMatches(_AMINE)
    if not hits or any(a.GetFormalCharge() for a in mol.GetAtoms()):
        return None
    nitrogen = mol.GetAtomWithIdx(hits[0][0])
    nitrogen.SetNumExplicitHs(nitrogen.GetTotalNumHs() + 1)
    nitrogen.SetNoImplicit(True)
    nitrogen.SetFormalCharge(1)
    Chem.SanitizeMol(mol)
    return Chem.MolToSmiles(mol)


def hydrochloride(smiles: str) -> str | None:
    """A hydrochloride salt; only for an organic substance (HCl itself is listed)."""
    return smiles + ".Cl" if _organic(_mol(smiles)) else None


def with_docusate(smiles: str) -> str | None:
    """Mixed with docusate, an organic counter-ion larger than most substances."""
    return smiles + "." + DOCUSATE if _organic(_mol(smiles)) else None


def mapped_molblock(smiles: str) -> str | None:
    """A V2000 MOL block with the atom-atom mapping column filled in."""
    mol = _mol(smiles)
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(atom.GetIdx() + 1)
    return Chem.MolToMolBlock(mol)


FORMS: dict[str, Callable[[str], str | None]] = {
    f.__name__: f
    for f in (
        as_given,
        atom_mapped,
        with_radical,
        isotope_labelled,
        protonated,
        hydrochloride,
        with_docusate,
        mapped_molblock,
    )
}


def test_the_forms_are_written_as_intended():
    """The forms of fentanyl, as a reader would see them."""
    fentanyl = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
    assert with_radical(fentanyl) == "[CH2]CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
    assert "[NH+]" in protonated(fentanyl)
    assert "C   0  0  0  0  0  0  0  0  0  1  0  0" in mapped_molblock(fentanyl)  # aamap
    # ... and every one of them keeps fentanyl's listings.
    keys = {f: _keys(form(fentanyl)) for f, form in FORMS.items()}
    assert all(fentanyl in found for found in keys.values()), keys


def _keys(text: str) -> list[str]:
    return [parent_key(p.mol) for p in standardize_components(parse_structure(text))]


def test_every_listed_substance_keeps_its_key_in_every_form():
    """The listing index finds every listed substance, in every form, among the components."""
    missed: dict[str, list[str]] = {}
    for smiles in SUBSTANCES:
        expected = parent_key(standardize_components(parse_structure(smiles))[0].mol)
        for form, build in FORMS.items():
            text = build(smiles)
            if text is not None and expected not in _keys(text):
                missed.setdefault(form, []).append(smiles)
    report = "; ".join(f"{form}: {len(lost)} lost, e.g. {lost[0]}" for form, lost in missed.items())
    assert not missed, report


@given(
    case=st.sampled_from(range(len(ENTRIES))),
    form=st.sampled_from(sorted(FORMS)),
)
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_a_sample_of_forms_finds_its_listing(case, form):
    """``classify``, on a day the listing is in force, reports it (or a stronger control)."""
    listed, entry = ENTRIES[case]
    text = FORMS[form](entry.substance.smiles)
    if text is None:
        return
    record = classify(text, listed.jurisdiction, entry.since, rules=RULES)
    verdict = record.verdict(listed.jurisdiction)
    found = [
        m
        for m in verdict.matches
        if isinstance(m, ListedMatch) and m.rule == listed.id and m.substance == entry.substance.id
    ]
    assert found, (form, text, verdict.to_dict())
    assert verdict.status.rank <= Status(listed.status).rank
