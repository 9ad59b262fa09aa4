"""Read a structure and choose the parent that the law is applied to.

A seized sample or a catalogue entry is usually a salt, a solvate or a charged form.
Class laws speak of the substance "and its salts, isomers ..." (US) or are silent (China),
and classwide decides on the neutral parent (``docs/interpretation.md``): the largest
organic fragment, metals disconnected, charges neutralised, isotope labels, atom-map
numbers and explicit hydrogens dropped, radicals on organic atoms closed with hydrogen.
A mixture or salt is controlled when any component is, so ``standardize_components``
gives every distinct organic component, each standardised the same way.
Stereochemistry is kept in the reported structure but never used in a decision, because
every definition here covers all stereoisomers of a member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdkit import Chem, rdBase
from rdkit.Chem import rdinchi, rdqueries
from rdkit.Chem.MolStandardize import rdMolStandardize

from classwide._limits import DEFAULT_LIMITS, Limits
from classwide.errors import LimitExceeded, ParseError

_METAL_DISCONNECTOR = rdMolStandardize.MetalDisconnector()
_NORMALIZER = rdMolStandardize.Normalizer()
_FRAGMENT_CHOOSER = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
_UNCHARGER = rdMolStandardize.Uncharger(canonicalOrder=True)


@dataclass(frozen=True)
class Parent:
    """The structure a decision is made on.

    Attributes:
        mol: the parent, atoms numbered in the order they appear in ``smiles``, so that
            an atom index in a verdict points at the same atom in the reported SMILES.
        smiles: canonical SMILES of the parent (stereo kept, isotopes dropped).
    """

    mol: Chem.Mol
    smiles: str


def detect_notation(text: str) -> str:
    """Tell SMILES, InChI and MOL blocks apart.

    >>> detect_notation("InChI=1S/CH4/h1H4")
    'inchi'
    >>> detect_notation("CCO")
    'smiles'
    """
    stripped = text.strip()
    if stripped.startswith("InChI="):
        return "inchi"
    if "M  END" in text or "V2000" in text or "V3000" in text:
        return "molblock"
    return "smiles"


def parse_structure(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Chem.Mol:
    """Read a SMILES, an InChI or a MOL block into a sanitised RDKit molecule.

    Args:
        text: the structure as written.
        limits: size limits for the input.

    Returns:
        The sanitised molecule, as written (no standardisation yet).

    Raises:
        ParseError: with a one-line reason when the text is empty or not a valid structure.
    """
    if not isinstance(text, str):
        raise TypeError(f"a structure must be given as text, not {type(text).__name__}")
    if not text.strip():
        raise ParseError("empty record: no structure given")
    if len(text) > limits.max_input_chars:
        raise LimitExceeded(
            f"too large: {len(text)} characters (limit {limits.max_input_chars})",
            "max_input_chars",
        )
    notation = detect_notation(text)
    with rdBase.BlockLogs():
        if notation == "inchi":
            return _parse_inchi(text.strip())
        if notation == "molblock":
            mol = Chem.MolFromMolBlock(text, sanitize=False, removeHs=False)
            if mol is None:
                raise ParseError("unreadable MOL block")
            return _sanitize(mol, "MOL block")
        smiles = text.strip()
        if _WHITE_SPACE.search(smiles):
            raise ParseError(f"unparsable SMILES {_quote(smiles)}: it contains white space")
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is None:
            raise ParseError(f"unparsable SMILES {_quote(smiles)}: syntax error")
        return _sanitize(mol, "SMILES")


def _parse_inchi(inchi: str) -> Chem.Mol:
    mol, code, message, log = rdinchi.InchiToMol(inchi, True, False)
    if mol is None:
        detail = (message or "").strip() or _last_line(log)
        raise ParseError(f"unreadable InChI {_quote(inchi)}: {detail or f'InChI error {code}'}")
    return mol


def _sanitize(mol: Chem.Mol, notation: str) -> Chem.Mol:
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several MolSanitizeException subclasses
        raise ParseError(f"invalid {notation}: {_one_line(str(exc))}") from None
    return mol


def standardize(mol: Chem.Mol, *, limits: Limits = DEFAULT_LIMITS) -> Parent:
    """Choose and neutralise the parent structure of a (possibly salt) input.

    Args:
        mol: a sanitised molecule, as read.
        limits: size limits.

    Returns:
        The parent, renumbered to follow its canonical SMILES.

    Raises:
        ParseError: when the input is too large or has no atoms.

    Example:
        >>> standardize(parse_structure("[CH3:1]C[NH3+].[Cl-]")).smiles
        'CCN'
    """
    return _standardize(mol, limits, every=False)[0]


def standardize_components(mol: Chem.Mol, *, limits: Limits = DEFAULT_LIMITS) -> tuple[Parent, ...]:
    """Every distinct organic component of a mixture or salt, each standardised.

    A salt or a mixture is controlled when any of its components is, so each is judged.
    The first is the parent that ``standardize`` chooses (the largest organic fragment);
    the others follow in input order, each standardised the same way (metals
    disconnected, neutralised, isotope labels, atom maps and radicals cleared), and
    repeats of one parent left out. Stereo tells components apart, since a list may
    name one stereoisomer (levomethorphan) and not its mirror image. A fragment without
    carbon (chloride, sodium, water, sulfuric acid) is not a component: neutralised it
    would become a listed acid (hydrochloric, sulfuric) that a salt of it is not. An input
    with no carbon at all is judged as written, as one component.

    Args:
        mol: a sanitised molecule, as read.
        limits: size limits.

    Returns:
        The components, the largest organic one first; one for a single structure.

    Raises:
        ParseError: when the input is too large or has no atoms.

    Example:
        >>> [p.smiles for p in standardize_components(parse_structure("CC[NH3+].[O-]C(=O)C.Cl"))]
        ['CCN', 'CC(=O)O']
    """
    return _standardize(mol, limits, every=True)


def _standardize(mol: Chem.Mol, limits: Limits, *, every: bool) -> tuple[Parent, ...]:
    heavy = mol.GetNumHeavyAtoms()
    if heavy == 0:
        raise ParseError("empty structure: no heavy atoms")
    if heavy > limits.max_heavy_atoms:
        raise LimitExceeded(
            f"too large: {heavy} heavy atoms (limit {limits.max_heavy_atoms})", "max_heavy_atoms"
        )
    with rdBase.BlockLogs():
        try:
            # "As read": the sanitised input itself, which no step below has changed yet
            # (each step that would change it works on a copy). A molecule handed over
            # unsanitised through the Python API is sanitised below, as before.
            as_read = not mol.NeedsUpdatePropertyCache() and not mol.GetAtomsMatchingQuery(
                _ANNOTATED
            )
            if as_read:
                work = mol  # nothing to clear, no hydrogen atom to remove
            else:
                work = Chem.RemoveHs(_clear_annotations(mol))
            # A wholly inorganic input (sodium chloride, potassium permanganate, sulfuric
            # acid) is judged as written: choosing its "parent" would turn sodium chloride
            # into hydrochloric acid, a listed precursor, which a salt of it is not.
            if not _has_carbon(work):
                work = Chem.Mol(work)
                Chem.SanitizeMol(work)
                return (_parent(work),)
            # Steps that cannot change the structure are skipped: without a metal there is
            # no metal bond to break, and one fragment is its own largest.
            if work.HasSubstructMatch(_NOT_ORGANIC):
                work = _METAL_DISCONNECTOR.Disconnect(work)
                as_read = False
            # A structure that no normalisation can change, read and sanitised as written,
            # is sanitised already.
            if may_normalize(work):
                work = Chem.Mol(work) if work is mol else work
                _NORMALIZER.normalizeInPlace(work)
                as_read = False
            single = len(Chem.GetMolFrags(work)) == 1
            chosen = work if single else _FRAGMENT_CHOOSER.choose(work)
            if chosen.GetAtomsMatchingQuery(_CHARGED):
                chosen = _UNCHARGER.uncharge(chosen)
                as_read = False
            if not (single and as_read):
                Chem.SanitizeMol(chosen)
            parents = [_parent(chosen)]
            if every and work.GetNumAtoms() > chosen.GetNumAtoms():
                seen = {parents[0].smiles}
                for fragment in Chem.GetMolFrags(work, asMols=True):
                    if not _has_carbon(fragment):
                        continue
                    fragment = _UNCHARGER.uncharge(fragment)
                    Chem.SanitizeMol(fragment)
                    parent = _parent(fragment)
                    if parent.smiles not in seen:
                        seen.add(parent.smiles)
                        parents.append(parent)
        except Exception as exc:
            raise ParseError(f"cannot standardise: {_one_line(str(exc))}") from None
    return tuple(parents)


# Elements whose radical in an organic structure is a drawing artefact (see below).
_ORGANIC_ELEMENTS = frozenset({5, 6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53})
_NOT_ORGANIC = Chem.MolFromSmarts("[" + "&".join(f"!#{z}" for z in sorted(_ORGANIC_ELEMENTS)) + "]")


def _annotated_atom() -> Chem.Atom:
    """A query for an atom that ``_clear_annotations`` or ``RemoveHs`` would change."""
    query = rdqueries.AtomNumEqualsQueryAtom(1)
    for other in (
        rdqueries.IsotopeGreaterQueryAtom(0),
        rdqueries.HasPropQueryAtom("molAtomMapNumber"),
        rdqueries.NumRadicalElectronsGreaterQueryAtom(0),
    ):
        query.ExpandQuery(other, Chem.CompositeQueryType.COMPOSITE_OR)
    return query


_ANNOTATED = _annotated_atom()
_HETERO_MULTIPLE = Chem.MolFromSmarts("[!#6]=,#[!#6]")
_CHARGED = rdqueries.FormalChargeGreaterQueryAtom(0)
_CHARGED.ExpandQuery(rdqueries.FormalChargeLessQueryAtom(0), Chem.CompositeQueryType.COMPOSITE_OR)


def may_normalize(mol: Chem.Mol) -> bool:
    """False when no normalisation of RDKit's (the pinned version's list) can change ``mol``.

    Each one starts from a charged atom (the charge rules, sulfone, phosphate) or from a
    double or triple bond between two atoms other than carbon (nitro, N-oxide, azide,
    diazo, sulfoxide). A structure with neither, most of any catalogue, is left alone.
    """
    return bool(mol.GetAtomsMatchingQuery(_CHARGED)) or mol.HasSubstructMatch(_HETERO_MULTIPLE)


def _clear_annotations(mol: Chem.Mol) -> Chem.Mol:
    """A copy without isotope labels, atom-map numbers and radicals on organic atoms.

    Atom-map numbers (reaction tools write them in SMILES and in the MOL block's mapping
    column) only name atoms; left in, they change the canonical SMILES, and a mapped
    fentanyl would miss its listing. A radical on a carbon, nitrogen or oxygen of an
    organic structure is almost always a drawing artefact: hydrogens left off in a
    bracket atom (``[CH2]CC...``) or a MOL file with too few hydrogens. The law names
    closed-shell substances, so the radical is cleared and the atom takes its implicit
    hydrogens back: the parent is the closed-shell substance. A deliberate radical
    (a nitroxide such as TEMPO) is therefore judged as its hydro form, which no list names.
    Radicals in a structure without carbon (nitric oxide, oxygen) and on metals are kept:
    such an input is judged as written.
    """
    work = Chem.Mol(mol)
    organic = _has_carbon(work)
    for atom in work.GetAtoms():
        atom.SetIsotope(0)
        atom.SetAtomMapNum(0)
        if organic and atom.GetNumRadicalElectrons() and atom.GetAtomicNum() in _ORGANIC_ELEMENTS:
            atom.SetNumRadicalElectrons(0)
            atom.SetNoImplicit(False)
    work.UpdatePropertyCache(strict=False)
    return work


def _has_carbon(mol: Chem.Mol) -> bool:
    return mol.HasSubstructMatch(_CARBON)


_CARBON = Chem.MolFromSmarts("[#6]")


def _parent(work: Chem.Mol) -> Parent:
    """The parent, renumbered so that atom indices follow its canonical SMILES."""
    smiles = Chem.MolToSmiles(work)
    # Read as RDKit writes the property, "[0,5,1,...]": a third of the cost of a dictionary
    # of every property.
    written = work.GetProp("_smilesAtomOutputOrder")
    order = [int(i) for i in written.strip("[]").split(",") if i]
    return Parent(mol=Chem.RenumberAtoms(work, order), smiles=smiles)


def parent_key(mol: Chem.Mol, smiles: str | None = None) -> str:
    """The index key of a standardised parent: canonical SMILES without stereo.

    Lists are looked up by this key, so every salt, charged form and stereoisomer of a
    listed substance finds its listing. ``smiles``, the parent's canonical SMILES
    (``Parent.smiles``), is the key itself when it shows no stereo (standardisation has
    cleared isotope labels): written once, not twice.
    """
    if smiles is not None and not _STEREO.search(smiles):
        return smiles
    return Chem.MolToSmiles(mol, isomericSmiles=False)


_STEREO = re.compile(r"[@/\\]")
_WHITE_SPACE = re.compile(r"\s")


def _quote(text: str, width: int = 60) -> str:
    shown = text if len(text) <= width else text[: width - 3] + "..."
    return "'" + _one_line(shown) + "'"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return last.split(" ", 2)[-1] if last.startswith("Structure:") else last
