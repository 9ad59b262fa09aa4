"""The chemical words that class laws use, as tests on a group of atoms.

Rule files name these words ("alkyl", "acyl", "monocycle" ...); this module is what each
word means, in one place, with the reading that ``docs/interpretation.md`` explains:

* A **group** is a set of atoms hanging off one atom of a reference scaffold through one
  bond (its *root* is bonded to the *anchor*).
* ``KINDS`` is the registry: one entry per word, with the sentence that says what it takes
  in, the test that decides it, and whether a clause may allow it as a substituent added
  to a kept skeleton (``substitute``) or as a group in place of a whole region
  (``replace``). Words that no law here allows ("cyano", "oxo") only name what was found.
  ``classwide rules --vocabulary`` prints the registry; the rule-file loader checks every
  word against it.

Stereo is never consulted, so every stereoisomer of a member is a member.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, cast

from rdkit import Chem
from rdkit.Chem import FilterCatalog

HALOGENS = frozenset({9, 17, 35, 53})
_C, _N, _O, _P, _S = 6, 7, 8, 15, 16


class Group(NamedTuple):
    """Atoms of a molecule that hang off ``anchor`` through the bond ``anchor``-``root``.

    A named tuple: groups are built, hashed and compared as keys throughout a fit.
    """

    atoms: frozenset[int]
    root: int
    anchor: int


def bond_order(mol: Chem.Mol, a: int, b: int) -> float:
    """Return the order of the bond between atoms ``a`` and ``b`` (0 when none)."""
    bond = mol.GetBondBetweenAtoms(a, b)
    return 0.0 if bond is None else bond.GetBondTypeAsDouble()


def _atoms(mol: Chem.Mol, group: Group) -> list[Chem.Atom]:
    return [mol.GetAtomWithIdx(i) for i in sorted(group.atoms)]


def _internal_bonds(mol: Chem.Mol, group: Group) -> list[Chem.Bond]:
    bonds = []
    for i in group.atoms:
        for bond in mol.GetAtomWithIdx(i).GetBonds():
            j = bond.GetOtherAtomIdx(i)
            if j in group.atoms and i < j:
                bonds.append(bond)
    return bonds


def _in_ring_inside(mol: Chem.Mol, group: Group) -> bool:
    ring_info = mol.GetRingInfo()
    return any(set(ring) <= group.atoms for ring in ring_info.AtomRings())


def _saturated_acyclic(mol: Chem.Mol, group: Group, elements: frozenset[int]) -> bool:
    if _in_ring_inside(mol, group):
        return False
    for atom in _atoms(mol, group):
        if atom.GetAtomicNum() not in elements or atom.GetIsAromatic() or atom.GetFormalCharge():
            return False
    return all(b.GetBondType() == Chem.BondType.SINGLE for b in _internal_bonds(mol, group))


def _single_attachment(mol: Chem.Mol, group: Group) -> bool:
    return bond_order(mol, group.anchor, group.root) == 1.0


# --- substituent kinds -------------------------------------------------------------------


def is_hydroxyl(mol: Chem.Mol, group: Group) -> bool:
    """-OH."""
    atom = mol.GetAtomWithIdx(group.root)
    return (
        len(group.atoms) == 1
        and atom.GetAtomicNum() == _O
        and atom.GetTotalNumHs() == 1
        and _single_attachment(mol, group)
    )


def is_halo(mol: Chem.Mol, group: Group) -> bool:
    """-F, -Cl, -Br, -I."""
    atom = mol.GetAtomWithIdx(group.root)
    return len(group.atoms) == 1 and atom.GetAtomicNum() in HALOGENS and atom.GetFormalCharge() == 0


def is_alkyl(mol: Chem.Mol, group: Group) -> bool:
    """An acyclic saturated hydrocarbon group (methyl, ethyl, isopropyl ...).

    Alkyl is read as IUPAC's acyclic "alkyl": a ring bonded through one bond
    (cyclopropyl) is a cycloalkyl, and a ring closed onto the scaffold (spiro) is not a
    substituent at all.
    """
    return (
        mol.GetAtomWithIdx(group.root).GetAtomicNum() == _C
        and _single_attachment(mol, group)
        and _saturated_acyclic(mol, group, frozenset({_C}))
    )


def is_alkenyl(mol: Chem.Mol, group: Group) -> bool:
    """An acyclic hydrocarbon group with at least one C=C and no C#C (vinyl, allyl ...)."""
    if mol.GetAtomWithIdx(group.root).GetAtomicNum() != _C or not _single_attachment(mol, group):
        return False
    if _in_ring_inside(mol, group):
        return False
    if any(a.GetAtomicNum() != _C or a.GetIsAromatic() for a in _atoms(mol, group)):
        return False
    orders = [b.GetBondType() for b in _internal_bonds(mol, group)]
    return Chem.BondType.DOUBLE in orders and Chem.BondType.TRIPLE not in orders


def is_haloalkyl(mol: Chem.Mol, group: Group) -> bool:
    """An alkyl group carrying one or more halogens (fluoromethyl, trifluoromethyl ...)."""
    if mol.GetAtomWithIdx(group.root).GetAtomicNum() != _C or not _single_attachment(mol, group):
        return False
    elements = {a.GetAtomicNum() for a in _atoms(mol, group)}
    return bool(elements & HALOGENS) and _saturated_acyclic(mol, group, HALOGENS | {_C})


def is_alkoxyl(mol: Chem.Mol, group: Group) -> bool:
    """-O-alkyl (methoxy, ethoxy ...)."""
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _O or root.GetDegree() != 2 or not _single_attachment(mol, group):
        return False
    return _saturated_acyclic(mol, group, frozenset({_C, _O})) and all(
        a.GetAtomicNum() == _C for a in _atoms(mol, group) if a.GetIdx() != group.root
    )


def is_ether(mol: Chem.Mol, group: Group) -> bool:
    """A saturated acyclic group of C and O with an ether oxygen and no OH (CH2OCH3 ...).

    Alkoxy groups are ethers too; sufentanil's methoxymethyl is the model case.
    """
    if not _single_attachment(mol, group):
        return False
    if not _saturated_acyclic(mol, group, frozenset({_C, _O})):
        return False
    oxygens = [a for a in _atoms(mol, group) if a.GetAtomicNum() == _O]
    if not oxygens or any(a.GetTotalNumHs() for a in oxygens):
        return False
    # An oxygen must sit between two carbons (no peroxide, no O at the end of the chain).
    return all(sum(1 for n in a.GetNeighbors() if n.GetAtomicNum() == _C) == 2 for a in oxygens)


def is_ester(mol: Chem.Mol, group: Group) -> bool:
    """An ester: alkoxycarbonyl -C(=O)O-alkyl (carfentanil) or acyloxy -O-C(=O)-R."""
    if not _single_attachment(mol, group) or _in_ring_inside(mol, group):
        return False
    atoms = _atoms(mol, group)
    if any(a.GetAtomicNum() not in (_C, _O) or a.GetIsAromatic() for a in atoms):
        return False
    carbonyls = [
        a
        for a in atoms
        if a.GetAtomicNum() == _C
        and any(
            n.GetAtomicNum() == _O and bond_order(mol, a.GetIdx(), n.GetIdx()) == 2.0
            for n in a.GetNeighbors()
        )
    ]
    if len(carbonyls) != 1:
        return False
    carbonyl = carbonyls[0]
    single_o = [
        n
        for n in carbonyl.GetNeighbors()
        if n.GetAtomicNum() == _O and bond_order(mol, carbonyl.GetIdx(), n.GetIdx()) == 1.0
    ]
    if len(single_o) != 1 or single_o[0].GetTotalNumHs():
        return False  # a carboxylic acid is not an ester
    others = [b for b in _internal_bonds(mol, group) if b.GetBondType() != Chem.BondType.SINGLE]
    return len(others) == 1  # the C=O is the only multiple bond


def is_amino(mol: Chem.Mol, group: Group) -> bool:
    """-NH2, -NHR, -NR2 with R alkyl; not an amide, not charged."""
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _N or root.GetFormalCharge() or root.GetIsAromatic():
        return False
    if not _single_attachment(mol, group):
        return False
    rest = group.atoms - {group.root}
    if any(mol.GetAtomWithIdx(i).GetAtomicNum() != _C for i in rest):
        return False
    return _saturated_acyclic(mol, group, frozenset({_C, _N}))


def is_nitro(mol: Chem.Mol, group: Group) -> bool:
    """-NO2, charge-separated or not."""
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _N or len(group.atoms) != 3:
        return False
    return all(mol.GetAtomWithIdx(i).GetAtomicNum() == _O for i in group.atoms - {group.root})


def is_cyano(mol: Chem.Mol, group: Group) -> bool:
    """-C#N (named, never allowed by the laws here)."""
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _C or len(group.atoms) != 2:
        return False
    (other,) = group.atoms - {group.root}
    return (
        mol.GetAtomWithIdx(other).GetAtomicNum() == _N and bond_order(mol, group.root, other) == 3
    )


def is_oxo(mol: Chem.Mol, group: Group) -> bool:
    """=O on the skeleton (a ketone or lactam carbonyl)."""
    root = mol.GetAtomWithIdx(group.root)
    return (
        len(group.atoms) == 1 and root.GetAtomicNum() == _O and not _single_attachment(mol, group)
    )


def is_n_oxide(mol: Chem.Mol, group: Group) -> bool:
    """-[O-] on a positively charged nitrogen (an N-oxide)."""
    root = mol.GetAtomWithIdx(group.root)
    anchor = mol.GetAtomWithIdx(group.anchor)
    return (
        len(group.atoms) == 1
        and root.GetAtomicNum() == _O
        and anchor.GetAtomicNum() == _N
        and (root.GetFormalCharge() == -1 or bond_order(mol, group.anchor, group.root) == 2)
    )


def is_carboxyl(mol: Chem.Mol, group: Group) -> bool:
    """-C(=O)OH."""
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _C or len(group.atoms) != 3:
        return False
    oxygens = [mol.GetAtomWithIdx(i) for i in group.atoms - {group.root}]
    return all(o.GetAtomicNum() == _O for o in oxygens) and any(o.GetTotalNumHs() for o in oxygens)


def contains_ring(mol: Chem.Mol, group: Group) -> bool:
    """The group holds a ring of its own (phenyl, cyclopropyl, furyl ...)."""
    return _in_ring_inside(mol, group)


def is_acyl(mol: Chem.Mol, group: Group) -> bool:
    """R-C(=O)- bonded through the carbonyl carbon, R = H, any carbon group, alkoxy or amino.

    Formyl, alkanoyl, aroyl, alkoxycarbonyl (the carbamate that DEA named "fentanyl
    carbamate") and carbamoyl (urea) are all acyl in the default reading.
    """
    return _double_bonded_root(mol, group, _C, _O, count=1)


def _acyl_partner(mol: Chem.Mol, group: Group) -> Chem.Atom | None:
    """For R-C(=O)-, the first atom of R (None for formyl)."""
    root = mol.GetAtomWithIdx(group.root)
    others = [
        n
        for n in root.GetNeighbors()
        if n.GetIdx() in group.atoms and bond_order(mol, root.GetIdx(), n.GetIdx()) == 1.0
    ]
    return others[0] if others else None


def is_amide_acyl(mol: Chem.Mol, group: Group) -> bool:
    """R-C(=O)- with R = H or carbon: on a nitrogen, an amide (acetyl, propionyl, benzoyl)."""
    if not is_acyl(mol, group):
        return False
    partner = _acyl_partner(mol, group)
    return partner is None or partner.GetAtomicNum() == _C


def is_carbamate_acyl(mol: Chem.Mol, group: Group) -> bool:
    """R-O-C(=O)- with R carbon: on a nitrogen, a carbamate (Boc, ethoxycarbonyl)."""
    if not is_acyl(mol, group):
        return False
    partner = _acyl_partner(mol, group)
    if partner is None or partner.GetAtomicNum() != _O or partner.GetTotalNumHs():
        return False
    return any(n.GetAtomicNum() == _C for n in partner.GetNeighbors() if n.GetIdx() != group.root)


def is_thioacyl(mol: Chem.Mol, group: Group) -> bool:
    """R-C(=S)-, acyl only in IUPAC's broad sense."""
    return _double_bonded_root(mol, group, _C, _S, count=1)


def is_sulfonyl(mol: Chem.Mol, group: Group) -> bool:
    """R-S(=O)2-, acyl only in IUPAC's broad sense."""
    return _double_bonded_root(mol, group, _S, _O, count=2)


def is_phosphoryl(mol: Chem.Mol, group: Group) -> bool:
    """R2P(=O)-, acyl only in IUPAC's broad sense."""
    return _double_bonded_root(mol, group, _P, _O, count=1)


def _double_bonded_root(
    mol: Chem.Mol, group: Group, element: int, partner: int, count: int
) -> bool:
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != element or root.GetIsAromatic() or not _single_attachment(mol, group):
        return False
    doubles = [
        n
        for n in root.GetNeighbors()
        if n.GetIdx() in group.atoms
        and n.GetAtomicNum() == partner
        and n.GetDegree() == 1
        and bond_order(mol, root.GetIdx(), n.GetIdx()) == 2.0
    ]
    return len(doubles) == count


def substituent_kinds(mol: Chem.Mol, group: Group) -> tuple[str, ...]:
    """Return every kind that describes the group, in naming order."""
    return tuple(name for name, test in SUBSTITUENT_KINDS.items() if test(mol, group))


def substituent_allowed(kinds_found: Iterable[str], kinds_allowed: Iterable[str]) -> bool:
    """Tell whether a substituent of ``kinds_found`` is one of ``kinds_allowed``."""
    allowed = set(kinds_allowed)
    return "any" in allowed or bool(allowed & set(kinds_found))


# --- ring systems and replacement kinds ------------------------------------------------------


def ring_system(
    mol: Chem.Mol, group: Group, *, dioxole_as_substituent: bool = False
) -> list[tuple[int, ...]]:
    """Return the rings of the ring system that holds the group's root atom.

    Rings that share an atom belong to one system (fused, bridged or spiro). With
    ``dioxole_as_substituent`` a 1,3-dioxole or 1,4-dioxane ring fused to an aromatic ring
    (methylenedioxy, ethylenedioxy) is left out, as a substituent rather than a ring.
    """
    rings = [r for r in mol.GetRingInfo().AtomRings() if set(r) <= group.atoms]
    if dioxole_as_substituent:
        rings = [r for r in rings if not _is_fused_alkylenedioxy(mol, r)]
    system: list[tuple[int, ...]] = []
    atoms = {group.root}
    changed = True
    while changed:
        changed = False
        for ring in rings:
            if ring not in system and atoms & set(ring):
                system.append(ring)
                atoms |= set(ring)
                changed = True
    return system


def _is_fused_alkylenedioxy(mol: Chem.Mol, ring: tuple[int, ...]) -> bool:
    if len(ring) not in (5, 6):
        return False
    atoms = [mol.GetAtomWithIdx(i) for i in ring]
    aromatic = [a for a in atoms if a.GetIsAromatic()]
    oxygens = [a for a in atoms if a.GetAtomicNum() == _O]
    carbons = [a for a in atoms if not a.GetIsAromatic() and a.GetAtomicNum() == _C]
    return (
        len(aromatic) == 2
        and len(oxygens) == 2
        and len(carbons) == len(ring) - 4
        and all(a.GetAtomicNum() == _C for a in aromatic)
    )


def is_monocycle(
    mol: Chem.Mol,
    group: Group,
    *,
    aromatic: bool = False,
    hetero: bool = False,
    dioxole_as_substituent: bool = False,
    benzene_substituents: tuple[str, ...] | None = None,
) -> bool:
    """A single ring bonded directly through one of its atoms, with any substituents.

    Args:
        mol: the molecule.
        group: the group that takes the place of the original ring.
        aromatic: the ring must be aromatic ("aromatic monocycle").
        hetero: the ring must hold a heteroatom ("heteromonocycle").
        dioxole_as_substituent: count a fused methylenedioxy ring as a substituent.
        benzene_substituents: when the ring is still a benzene ring, only these substituent
            kinds may be on it (``None``: any).

    Returns:
        True when the group is such a monocycle.
    """
    if not mol.GetAtomWithIdx(group.root).IsInRing():
        return False
    system = ring_system(mol, group, dioxole_as_substituent=dioxole_as_substituent)
    if len(system) != 1:
        return False
    ring = system[0]
    ring_atoms = [mol.GetAtomWithIdx(i) for i in ring]
    if aromatic and not all(a.GetIsAromatic() for a in ring_atoms):
        return False
    if hetero and all(a.GetAtomicNum() == _C for a in ring_atoms):
        return False
    is_benzene = len(ring) == 6 and all(
        a.GetIsAromatic() and a.GetAtomicNum() == _C for a in ring_atoms
    )
    if benzene_substituents is not None and is_benzene:
        for substituent in substituents_of(mol, group.atoms, frozenset(ring)):
            if not substituent_allowed(substituent_kinds(mol, substituent), benzene_substituents):
                return False
    return True


def catalog_entry(n: int, query: Chem.Mol) -> FilterCatalog.FilterCatalogEntry:
    """One query of a ``query_catalog``, named by its number."""
    return FilterCatalog.FilterCatalogEntry(str(n), FilterCatalog.SmartsMatcher(str(n), query, 1))


def query_catalog(
    entries: Iterable[FilterCatalog.FilterCatalogEntry],
) -> FilterCatalog.FilterCatalog:
    """Queries asked in one call: RDKit tries each in C++ and stops at the first match.

    One ``HasSubstructMatch`` call costs about as much as a small failed search, so many
    queries are cheaper in one catalogue than one by one, or as one recursive SMARTS
    (whose parts RDKit would each enumerate in full). Catalogues share their entries
    (about 20 kB each).
    """
    catalog = FilterCatalog.FilterCatalog()
    for entry in entries:
        catalog.AddEntry(entry)
    return catalog


class _AtomTables(NamedTuple):
    """What a fit reads of each atom of one molecule, read once (see ``neighbours``)."""

    neighbours: tuple[tuple[int, ...], ...]
    bond_types: tuple[tuple[int, ...], ...]  # aligned with ``neighbours``
    elements: tuple[int, ...]
    symbols: tuple[str, ...]
    bonds: int


# Kept as long as their molecule lives, and no longer.
_TABLES: weakref.WeakKeyDictionary[Chem.Mol, _AtomTables] = weakref.WeakKeyDictionary()
_LAST: list[tuple[Chem.Mol | None, _AtomTables | None]] = [(None, None)]
# The SMILES that writes a molecule's atoms in index order (``numbered_as_written``).
_WRITTEN: weakref.WeakKeyDictionary[Chem.Mol, str] = weakref.WeakKeyDictionary()
# One atom of a SMILES as RDKit writes it: a bracket atom, or one of the organic subset.
_ATOM_TOKEN = re.compile(r"\[[^\]]*\]|Br|Cl|[BCNOSPFI]|[bcnosp]|\*")
# A bond that is not single, double, triple or aromatic (dative, zero-order, "one and a
# half"): its order as a number does not tell its type.
_UNCOMMON_BOND = Chem.MolFromSmarts("[*]!-;!=;!#;!:[*]")
_TYPE_OF_ORDER = {
    order: int(kind)
    for order, kind in (
        (1.0, Chem.BondType.SINGLE),
        (2.0, Chem.BondType.DOUBLE),
        (3.0, Chem.BondType.TRIPLE),
        (1.5, Chem.BondType.AROMATIC),
    )
}


def numbered_as_written(mol: Chem.Mol, smiles: str) -> None:
    """Note that ``smiles`` writes the atoms of ``mol`` in index order (a standardised parent).

    Each atom's symbol and element are then read off the text (``neighbours``), not asked
    of RDKit atom by atom. A stereocentre is written with its stereo (``[C@@H]``), not as
    its plain symbol: a SMILES with one is not used.
    """
    if "@" not in smiles:
        _WRITTEN[mol] = smiles


@lru_cache(maxsize=4096)
def _element_of(token: str) -> int | None:
    """The atomic number of one atom as SMILES writes it; None if RDKit cannot read it."""
    atom = Chem.AtomFromSmiles(token)
    return None if atom is None else atom.GetAtomicNum()


def neighbours(mol: Chem.Mol) -> tuple[tuple[int, ...], ...]:
    """Each atom's neighbours by index, in RDKit's order, read once per molecule.

    A fit walks the same molecule's bonds thousands of times, and each RDKit atom call
    from Python costs about a microsecond. A molecule is not edited while a fit reads it.
    """
    return _tables(mol).neighbours


def elements(mol: Chem.Mol) -> tuple[int, ...]:
    """Each atom's atomic number, read once per molecule (see ``neighbours``)."""
    return _tables(mol).elements


def bond_types(mol: Chem.Mol) -> tuple[tuple[int, ...], ...]:
    """Each atom's bond types (``int(Chem.BondType)``), aligned with ``neighbours``."""
    return _tables(mol).bond_types


def _symbols(mol: Chem.Mol) -> tuple[str, ...]:
    """Each atom as SMILES writes it, without stereo (see ``neighbours``)."""
    return _tables(mol).symbols


def _tables(mol: Chem.Mol) -> _AtomTables:
    # A fit asks for the same molecule's tables many times in a row: the last answer is
    # kept at hand (one read of the slot: another thread may replace it).
    last, found = _LAST[0]
    if last is not mol:
        found = _TABLES.get(mol)
    if (
        found is None
        or len(found.elements) != mol.GetNumAtoms()
        or found.bonds != mol.GetNumBonds()  # an RWMol edited since
    ):
        found = _TABLES[mol] = _read_tables(mol)
    _LAST[0] = (mol, found)
    return found


def _read_tables(mol: Chem.Mol) -> _AtomTables:
    count = mol.GetNumAtoms()
    written = _WRITTEN.get(mol)
    symbols = _ATOM_TOKEN.findall(written) if written is not None else ()
    numbers: tuple[int, ...] = ()
    if len(symbols) == count:
        read = tuple(map(_element_of, symbols))
        numbers = cast(tuple[int, ...], read) if None not in read else ()
    if len(numbers) != count:
        atoms = [mol.GetAtomWithIdx(i) for i in range(count)]
        symbols = [atom.GetSmarts(isomericSmiles=False) for atom in atoms]
        numbers = tuple(atom.GetAtomicNum() for atom in atoms)
    # Bonds are read by index: RDKit's Python iterators cost several times more. An atom's
    # neighbours come in the order of its bonds' indices (RDKit appends a new bond to both
    # atoms and keeps the order when one is removed), which is the order
    # ``Atom.GetNeighbors`` gives. A bond's order as a number is read without building
    # its type, unless some bond's type is not one of the four an order tells apart.
    uncommon = mol.HasSubstructMatch(_UNCOMMON_BOND)
    type_of = _TYPE_OF_ORDER
    bonded: list[list[int]] = [[] for _ in range(count)]
    types: list[list[int]] = [[] for _ in range(count)]
    for k in range(mol.GetNumBonds()):
        bond = mol.GetBondWithIdx(k)
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        kind = int(bond.GetBondType()) if uncommon else type_of[bond.GetBondTypeAsDouble()]
        bonded[i].append(j)
        bonded[j].append(i)
        types[i].append(kind)
        types[j].append(kind)
    return _AtomTables(
        neighbours=tuple(map(tuple, bonded)),
        bond_types=tuple(map(tuple, types)),
        elements=numbers,
        symbols=tuple(symbols),
        bonds=mol.GetNumBonds(),
    )


def group_key(mol: Chem.Mol, group: Group) -> tuple[object, ...] | None:
    """The group as an ordered graph: equal keys mean the same group, atoms in the same order.

    Two groups have equal keys when listing the atoms of each by index gives, position by
    position, the same atom as SMILES writes it (element, aromaticity, charge, and hydrogens
    where the bonds do not imply them) and the same bonds to the same positions in RDKit's
    neighbour order, and the anchors are written alike. Then the one-to-one map between
    them (the i-th atom to the i-th atom) keeps every order a fit reads (index order,
    neighbour order, RDKit's order of matches), so anything a fit finds in one group
    holds in the other with its atoms mapped. None when the group is bonded to anything
    but its anchor (a ring closed onto the core): what is found there depends on more than
    the group.
    """
    tables = _tables(mol)
    atoms = sorted(group.atoms)
    position = {a: k for k, a in enumerate(atoms)}
    rows = []
    for a in atoms:
        bonded = []
        for j, bond_type in zip(tables.neighbours[a], tables.bond_types[a], strict=True):
            k = position.get(j)
            if k is None:
                if a != group.root or j != group.anchor:
                    return None
                k = -1
            bonded.append((k, bond_type))
        rows.append((tables.symbols[a], tuple(bonded)))
    anchor = group.anchor
    below = sum(1 for a in atoms if a < anchor)  # where the anchor stands in index order
    return (tables.symbols[anchor], below, tuple(rows))


def substituents_of(mol: Chem.Mol, within: frozenset[int], skeleton: frozenset[int]) -> list[Group]:
    """Split ``within`` minus ``skeleton`` into groups, each bonded to one skeleton atom.

    A piece bonded to the skeleton by two or more bonds (a fused ring) is returned as a
    group whose ``anchor`` is -1.
    """
    rest = set(within) - set(skeleton)
    groups: list[Group] = []
    bonded = neighbours(mol)
    while rest:
        seed = min(rest)
        component = {seed}
        frontier = [seed]
        while frontier:
            i = frontier.pop()
            for j in bonded[i]:
                if j in rest and j not in component:
                    component.add(j)
                    frontier.append(j)
        rest -= component
        links = [(j, i) for i in component for j in bonded[i] if j in skeleton]
        if len(links) == 1:
            anchor, root = links[0]
            groups.append(Group(frozenset(component), root, anchor))
        else:
            groups.append(Group(frozenset(component), min(component), -1))
    return groups


def is_any(mol: Chem.Mol, group: Group) -> bool:
    """Any group at all (only hydrogen is not a group)."""
    return bool(group.atoms)


def is_hydrogen(mol: Chem.Mol, group: Group) -> bool:
    """No group at all: a hydrogen in place of the reference's group ("unsubstituted")."""
    return not group.atoms


def is_aromatic_group(mol: Chem.Mol, group: Group) -> bool:
    """A group bonded through an atom of an aromatic ring: fused or not, substituted or not.

    Phenyl, 4-methoxyphenyl, pyridinyl, thienyl, naphthyl, indolyl, 1,3-benzodioxol-5-yl and
    2,3-dihydrobenzofuran-5-yl all qualify: the atom bonded to the anchor is aromatic.
    """
    root = mol.GetAtomWithIdx(group.root)
    return root.GetIsAromatic() and root.IsInRing() and _single_attachment(mol, group)


def _double_bonded_to_heteroatom(mol: Chem.Mol, atom: Chem.Atom, elements: frozenset[int]) -> bool:
    return any(
        n.GetAtomicNum() in elements and bond_order(mol, atom.GetIdx(), n.GetIdx()) == 2.0
        for n in atom.GetNeighbors()
    )


def is_amine(mol: Chem.Mol, group: Group, *, amide: bool = False) -> bool:
    """An amino group in the wide sense: -NH2, -NHR or -NRR', R any group bonded through carbon.

    The nitrogen is uncharged, not aromatic, and has only single bonds (an amine nitrogen);
    its substituents may be of any size and may close a ring through it (pyrrolidin-1-yl,
    piperidin-1-yl, morpholin-4-yl). A nitrogen bonded to a carbon that is double-bonded
    to O, S or N (an amide, thioamide, urea, carbamate or amidine nitrogen) is not an amine
    nitrogen unless ``amide`` is set, which lets in a C(=O) neighbour.
    """
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _N or root.GetFormalCharge() or root.GetIsAromatic():
        return False
    if not _single_attachment(mol, group):
        return False
    if any(b.GetBondType() != Chem.BondType.SINGLE for b in root.GetBonds()):
        return False
    partners = [n for n in root.GetNeighbors() if n.GetIdx() != group.anchor]
    if any(n.GetAtomicNum() != _C for n in partners):
        return False
    for partner in partners:
        if amide and _double_bonded_to_heteroatom(mol, partner, frozenset({_O})):
            continue
        if _double_bonded_to_heteroatom(mol, partner, frozenset({_N, _O, _S})):
            return False
    return True


def _chain(mol: Chem.Mol, atoms: frozenset[int], start: int, end: int) -> list[int] | None:
    """The shortest path from ``start`` to ``end`` through ``atoms`` (None if there is none)."""
    previous: dict[int, int] = {start: start}
    frontier = [start]
    bonded = neighbours(mol)
    while frontier and end not in previous:
        following = []
        for i in frontier:
            for j in bonded[i]:
                if j in atoms and j not in previous:
                    previous[j] = i
                    following.append(j)
        frontier = following
    if end not in previous:
        return None
    path = [end]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def is_hydrocarbyl(
    mol: Chem.Mol,
    group: Group,
    *,
    far_end: int,
    min_carbons: int = 1,
    max_carbons: int | None = None,
    substituted: bool = False,
    oxo: bool = False,
) -> bool:
    """A hydrocarbyl chain in place of a skeleton: carbon atoms from the anchor to the slot.

    Args:
        mol: the molecule.
        group: the chain and whatever it carries, without the slot's group; its root is
            bonded to the anchor.
        far_end: the chain atom the slot's group is bonded to.
        min_carbons: the fewest carbon atoms along the chain.
        max_carbons: the most carbon atoms along the chain (None: any number).
        substituted: the chain may carry substituents, each bonded to it by one bond.
        oxo: an =O on a chain carbon counts as a substituent (a carbonyl in the chain).

    Returns:
        True when every atom of the chain is a non-aromatic carbon (single, double or
        triple bonds: alkylene, alkenylene, alkynylene), the chain's length is within
        bounds, and everything else is an allowed substituent. A ring through the chain
        (cyclopropane-1,1-diyl, cyclopropane-1,2-diyl) is not a substituent.
    """
    if far_end not in group.atoms or not _single_attachment(mol, group):
        return False
    chain = _chain(mol, group.atoms, group.root, far_end)
    if chain is None:
        return False
    if len(chain) < min_carbons or (max_carbons is not None and len(chain) > max_carbons):
        return False
    atoms = [mol.GetAtomWithIdx(i) for i in chain]
    if any(a.GetAtomicNum() != _C or a.GetIsAromatic() or a.GetFormalCharge() for a in atoms):
        return False
    pieces = substituents_of(mol, group.atoms, frozenset(chain))
    if pieces and not substituted:
        return False
    for piece in pieces:
        if piece.anchor == -1:
            return False  # bonded to the chain twice: a ring, not a substituent
        if is_oxo(mol, piece) and not oxo:
            return False
    return True


def _carbon_part(mol: Chem.Mol, group: Group) -> frozenset[int]:
    """The group's carbon atoms reached from its root through carbon-carbon bonds."""
    if mol.GetAtomWithIdx(group.root).GetAtomicNum() != _C:
        return frozenset()
    found = {group.root}
    frontier = [group.root]
    bonded, element = neighbours(mol), elements(mol)
    while frontier:
        for j in bonded[frontier.pop()]:
            if j in group.atoms and j not in found and element[j] == _C:
                found.add(j)
                frontier.append(j)
    return frozenset(found)


def is_hydrocarbyl_group(
    mol: Chem.Mol,
    group: Group,
    *,
    min_carbons: int = 1,
    max_carbons: int | None = None,
    substituted: bool = False,
) -> bool:
    """A whole group of carbon and hydrogen bonded through carbon, counted by its carbons.

    Args:
        mol: the molecule.
        group: the group in place of the region.
        min_carbons: the fewest carbon atoms of the hydrocarbyl.
        max_carbons: the most carbon atoms of the hydrocarbyl (None: any number).
        substituted: the hydrocarbyl may carry substituents of any kind.

    Returns:
        True when the carbon atoms reached from the root through carbon-carbon bonds
        (chains and rings, saturated, unsaturated or aromatic: pentyl, cyclohexylmethyl,
        benzyl, naphthyl, adamantyl) number within bounds, and everything else is a
        substituent bonded to them by one bond. A piece bonded to them twice closes a ring
        through another element (tetrahydropyranyl, indolyl): a heterocycle, not a
        hydrocarbyl. A carbon reached only through another element (the methyl of a
        methoxy) belongs to a substituent and is not counted.
    """
    if not _single_attachment(mol, group):
        return False
    carbons = _carbon_part(mol, group)
    if len(carbons) < max(min_carbons, 1):
        return False
    if max_carbons is not None and len(carbons) > max_carbons:
        return False
    if any(mol.GetAtomWithIdx(i).GetFormalCharge() for i in carbons):
        return False
    pieces = substituents_of(mol, group.atoms, carbons)
    if pieces and not substituted:
        return False
    return all(piece.anchor != -1 for piece in pieces)


def _ring_heteroatoms(mol: Chem.Mol, rings: Iterable[tuple[int, ...]]) -> int:
    atoms = {i for ring in rings for i in ring}
    return sum(1 for i in atoms if mol.GetAtomWithIdx(i).GetAtomicNum() != _C)


def is_heterocyclyl(
    mol: Chem.Mol, group: Group, *, min_heteroatoms: int = 1, max_heteroatoms: int | None = None
) -> bool:
    """A group bonded through a ring atom of a ring system that holds other elements.

    Args:
        mol: the molecule.
        group: the group in place of the region.
        min_heteroatoms: the fewest ring atoms other than carbon in the ring system.
        max_heteroatoms: the most such ring atoms (None: any number).

    Returns:
        True when the root is a ring atom and the ring system that holds it (rings sharing
        an atom: fused, bridged or spiro) has a number of non-carbon ring atoms within
        bounds: tetrahydropyran-4-yl, morpholin-4-yl, quinolin-8-yl, indol-3-yl, aromatic
        or not, substituted or not.
    """
    if not _single_attachment(mol, group) or not mol.GetAtomWithIdx(group.root).IsInRing():
        return False
    system = ring_system(mol, group)
    if not system:
        return False
    count = _ring_heteroatoms(mol, system)
    return count >= max(min_heteroatoms, 1) and (
        max_heteroatoms is None or count <= max_heteroatoms
    )


def is_heterocyclylalkyl(
    mol: Chem.Mol,
    group: Group,
    *,
    max_carbons: int = 2,
    min_heteroatoms: int = 1,
    max_heteroatoms: int | None = None,
) -> bool:
    """A methyl or ethyl (up to ``max_carbons``) that carries a heterocyclyl and nothing else.

    Args:
        mol: the molecule.
        group: the group in place of the region.
        max_carbons: the longest saturated chain of carbons between the anchor and the ring.
        min_heteroatoms: as for ``is_heterocyclyl``.
        max_heteroatoms: as for ``is_heterocyclyl``.

    Returns:
        True when a saturated acyclic chain of one to ``max_carbons`` carbons leads from the
        anchor to a heterocyclyl (tetrahydropyran-4-ylmethyl, 2-morpholin-4-ylethyl), the
        chain carrying nothing else.
    """
    if not _single_attachment(mol, group):
        return False
    chain = [group.root]
    while True:
        atom = mol.GetAtomWithIdx(chain[-1])
        if atom.GetAtomicNum() != _C or atom.IsInRing() or atom.GetFormalCharge():
            return False
        if any(b.GetBondType() != Chem.BondType.SINGLE for b in atom.GetBonds()):
            return False
        pieces = substituents_of(mol, group.atoms, frozenset(chain))
        if len(pieces) != 1 or pieces[0].anchor != chain[-1]:
            return False
        (piece,) = pieces
        if is_heterocyclyl(
            mol, piece, min_heteroatoms=min_heteroatoms, max_heteroatoms=max_heteroatoms
        ):
            return True
        if len(chain) >= max_carbons:
            return False
        chain.append(piece.root)


def is_aryl(
    mol: Chem.Mol, group: Group, *, min_carbons: int = 6, max_carbons: int | None = None
) -> bool:
    """A group bonded through a carbon of an aromatic ring system made of carbon only.

    Args:
        mol: the molecule.
        group: the group in place of the region.
        min_carbons: the fewest ring carbons of the aromatic ring system.
        max_carbons: the most ring carbons (None: any number).

    Returns:
        True when the root is an aromatic carbon, the aromatic rings joined to its ring
        (phenyl: 6, naphthyl: 10) hold only carbon and their number of atoms is within
        bounds, and everything else is a substituent bonded by one bond: a ring fused on
        through another atom (indanyl, 1,3-benzodioxolyl) is not a substituent.
    """
    root = mol.GetAtomWithIdx(group.root)
    if not _single_attachment(mol, group) or root.GetAtomicNum() != _C:
        return False
    if not root.GetIsAromatic():
        return False
    rings = [
        r
        for r in mol.GetRingInfo().AtomRings()
        if set(r) <= group.atoms and all(mol.GetAtomWithIdx(i).GetIsAromatic() for i in r)
    ]
    system: set[int] = {group.root}
    changed = True
    while changed:
        changed = False
        for ring in rings:
            if system & set(ring) and not set(ring) <= system:
                system |= set(ring)
                changed = True
    if any(mol.GetAtomWithIdx(i).GetAtomicNum() != _C for i in system):
        return False
    if len(system) < min_carbons or (max_carbons is not None and len(system) > max_carbons):
        return False
    return all(p.anchor != -1 for p in substituents_of(mol, group.atoms, frozenset(system)))


def is_benzyl(mol: Chem.Mol, group: Group) -> bool:
    """A CH2 carrying a phenyl ring, substituted or not, and nothing else (苯甲基).

    Args:
        mol: the molecule.
        group: the group in place of the region.

    Returns:
        True when the root is an acyclic carbon with only single bonds whose one group is
        a phenyl (an aryl of six ring carbons) with any substituents: benzyl,
        4-fluorobenzyl.
    """
    if not _single_attachment(mol, group):
        return False
    root = mol.GetAtomWithIdx(group.root)
    if root.GetAtomicNum() != _C or root.IsInRing() or root.GetFormalCharge():
        return False
    if any(b.GetBondType() != Chem.BondType.SINGLE for b in root.GetBonds()):
        return False
    pieces = substituents_of(mol, group.atoms, frozenset({group.root}))
    return len(pieces) == 1 and is_aryl(mol, pieces[0], min_carbons=6, max_carbons=6)


def is_z_link(
    mol: Chem.Mol, group: Group, *, far_end: int, oxygen: bool = False, nh: bool = False
) -> bool:
    """In place of a skeleton: the one atom Z between the anchor and the slot, -O- or -NH-.

    Args:
        mol: the molecule.
        group: the atoms in place of the skeleton; its root is bonded to the anchor.
        far_end: the atom of ``group`` that the slot's group is bonded to.
        oxygen: Z may be -O- (on a carbonyl anchor: an ester).
        nh: Z may be -NH- (on a carbonyl anchor: a secondary amide).

    Returns:
        True when the group is that one acyclic, uncharged atom with a single bond on each
        side and nothing else: an -N(CH3)- is not an -NH-.
    """
    if far_end != group.root or group.atoms != frozenset({group.root}):
        return False
    if not _single_attachment(mol, group):
        return False
    z = mol.GetAtomWithIdx(group.root)
    if z.GetIsAromatic() or z.IsInRing() or z.GetFormalCharge() or z.GetDegree() != 2:
        return False
    if z.GetAtomicNum() == _O:
        return oxygen
    return z.GetAtomicNum() == _N and nh and z.GetTotalNumHs() == 1


def linker_smiles(mol: Chem.Mol, group: Group, far_end: int, slot_root: int) -> str:
    """Canonical SMILES of a chain with ``*`` at both ends: the anchor and the slot's atom."""
    return _fragment_smiles(mol, group.atoms, [(group.root, group.anchor), (far_end, slot_root)])


# --- the registry: one entry per word --------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """An option of a kind in a rule file (``{kind: monocycle, aromatic: true}``)."""

    name: str
    means: str
    type: str  # "boolean", "whole number", or "substituent kinds" (words of this registry)
    # What giving the option (true, or a list) does to what the kind takes in: "widens"
    # (more groups qualify), "narrows" (fewer), or "" (either, or not said).
    effect: str = ""


@dataclass(frozen=True)
class Kind:
    """One word that rule files may use, what it means, and the test that decides it.

    Attributes:
        name: the word as written in rule files.
        means: one sentence for a lawyer or a regulator: what the word takes in.
        test: ``test(mol, group, **params)`` is True when the group is of this kind.
        noun: how a substituent of this kind is named in an explanation.
        substitute: a clause may allow it as a substituent (``substitute: [...]``).
        replace: a clause may allow it in place of a whole region (``replace: [...]``).
        parameters: the options a ``replace`` entry of this kind may carry.
        skeleton: a clause may allow it in place of a region's skeleton, the region's slot
            kept and judged on its own (written in ``replace``, on a region with one slot).
        absent: the word stands for no group at all (a hydrogen in place of the reference's
            group); its test is asked of an empty group.
    """

    name: str
    means: str
    test: Callable[..., bool]
    noun: str = ""
    substitute: bool = False
    replace: bool = False
    parameters: tuple[Parameter, ...] = ()
    skeleton: bool = False
    absent: bool = False

    @property
    def usable(self) -> bool:
        """False for words that only name what was found (no clause of a law allows them)."""
        return self.substitute or self.replace or self.skeleton

    @property
    def usable_as(self) -> tuple[str, ...]:
        """Where a clause may use the word: "substitute", "replace", "skeleton", or none."""
        return tuple(
            u
            for u, ok in (
                ("substitute", self.substitute),
                ("replace", self.replace),
                ("skeleton", self.skeleton),
            )
            if ok
        )

    def to_dict(self) -> dict[str, object]:
        """The entry as plain JSON types (``classwide rules --vocabulary``)."""
        return {
            "kind": self.name,
            "means": self.means,
            "usable_as": list(self.usable_as),
            "parameters": [
                {"name": p.name, "type": p.type, "means": p.means} for p in self.parameters
            ],
        }


# The bounds a heterocyclyl's ring system takes ("含有1-3个杂原子").
_HETEROATOM_BOUNDS = (
    Parameter("min_heteroatoms", "the fewest non-carbon ring atoms", "whole number"),
    Parameter("max_heteroatoms", "the most non-carbon ring atoms", "whole number"),
)


# Order matters for naming: the first kind that fits names a substituent.
KINDS: tuple[Kind, ...] = (
    Kind(
        "hydroxyl",
        "an -OH group bonded through its oxygen",
        is_hydroxyl,
        "hydroxyl group",
        True,
        True,
    ),
    Kind(
        "halo",
        "a single fluorine, chlorine, bromine or iodine atom",
        is_halo,
        "halogen",
        True,
        True,
    ),
    Kind("nitro", "an -NO2 group, charge-separated or not", is_nitro, "nitro group", True, True),
    Kind(
        "amino",
        "-NH2, -NHR or -NR2 with R alkyl, bonded through an uncharged, non-aromatic nitrogen "
        "(not an amide)",
        is_amino,
        "amino group",
        True,
        True,
    ),
    Kind(
        "alkyl",
        "an acyclic saturated hydrocarbon group (methyl, ethyl, isopropyl); a ring is not alkyl",
        is_alkyl,
        "alkyl group",
        True,
        True,
    ),
    Kind(
        "alkenyl",
        "an acyclic hydrocarbon group with at least one C=C and no C#C (vinyl, allyl)",
        is_alkenyl,
        "alkenyl group",
        True,
        True,
    ),
    Kind(
        "haloalkyl",
        "an alkyl group carrying one or more halogen atoms (fluoromethyl, trifluoromethyl)",
        is_haloalkyl,
        "haloalkyl group",
        True,
        True,
    ),
    Kind("alkoxyl", "-O-alkyl (methoxy, ethoxy)", is_alkoxyl, "alkoxyl group", True, True),
    Kind(
        "ether",
        "a saturated acyclic group of carbon and oxygen with an oxygen between two carbons and "
        "no OH (methoxymethyl); alkoxy groups are ethers too",
        is_ether,
        "ether group",
        True,
        True,
    ),
    Kind(
        "ester",
        "an alkoxycarbonyl -C(=O)O-alkyl or an acyloxy -O-C(=O)-R, with no other multiple "
        "bond and no ring",
        is_ester,
        "ester group",
        True,
        True,
    ),
    Kind("cyano", "a -C#N group (named only: no clause here allows it)", is_cyano, "cyano group"),
    Kind(
        "oxo", "an =O on a skeleton atom (a ketone or lactam carbonyl)", is_oxo, "oxo group (C=O)"
    ),
    Kind("N-oxide", "an oxygen on a positively charged nitrogen", is_n_oxide, "N-oxide"),
    Kind("carboxyl", "a -C(=O)OH group", is_carboxyl, "carboxylic acid group"),
    Kind(
        "acyl",
        "R-C(=O)- bonded through the carbonyl carbon, R hydrogen, any carbon group, alkoxy or "
        "amino: formyl, alkanoyl, aroyl, alkoxycarbonyl, carbamoyl",
        is_acyl,
        "acyl group",
        replace=True,
    ),
    Kind("ring-bearing", "a group that holds a ring of its own", contains_ring, "ring"),
    Kind(
        "amide_acyl",
        "R-C(=O)- with R hydrogen or carbon: on a nitrogen, it makes an amide (acetyl, "
        "propionyl, benzoyl)",
        is_amide_acyl,
        replace=True,
    ),
    Kind(
        "carbamate_acyl",
        "R-O-C(=O)- with R carbon: on a nitrogen, it makes a carbamate (Boc, ethoxycarbonyl)",
        is_carbamate_acyl,
        replace=True,
    ),
    Kind("thioacyl", "R-C(=S)-: acyl only in IUPAC's broad sense", is_thioacyl, replace=True),
    Kind("sulfonyl", "R-S(=O)2-: acyl only in IUPAC's broad sense", is_sulfonyl, replace=True),
    Kind("phosphoryl", "R2P(=O)-: acyl only in IUPAC's broad sense", is_phosphoryl, replace=True),
    Kind(
        "monocycle",
        "a single ring bonded directly through one of its atoms, with any substituents; "
        "fused, bridged and spiro ring systems are not monocycles",
        is_monocycle,
        replace=True,
        parameters=(
            Parameter("aromatic", "the ring must be aromatic", "boolean", "narrows"),
            Parameter("hetero", "the ring must hold a heteroatom", "boolean", "narrows"),
            Parameter(
                "dioxole_as_substituent",
                "a methylenedioxy or ethylenedioxy ring fused to the ring counts as a substituent",
                "boolean",
                # Only a ring that would otherwise be fused to the monocycle is set aside.
                "widens",
            ),
            Parameter(
                "benzene_substituents",
                "when the ring is still a benzene ring, only substituents of these kinds may be "
                "on it",
                "substituent kinds",
                "narrows",
            ),
        ),
    ),
    Kind(
        "aromatic_group",
        "a group bonded through an atom of an aromatic ring, fused or not, substituted or not "
        "(phenyl, 4-methoxyphenyl, pyridinyl, naphthyl, 2,3-dihydrobenzofuran-5-yl)",
        is_aromatic_group,
        replace=True,
    ),
    Kind(
        "amine",
        "an amino group in the wide sense: -NH2, -NHR or -NRR' bonded through an uncharged "
        "nitrogen with only single bonds, R any group bonded through carbon, rings through "
        "the nitrogen included (pyrrolidin-1-yl, piperidin-1-yl); not an amide nitrogen",
        is_amine,
        replace=True,
        parameters=(
            Parameter(
                "amide",
                "an amide nitrogen (a C(=O) on the nitrogen: amide, lactam, carbamate, urea) "
                "counts too",
                "boolean",
                "widens",
            ),
        ),
    ),
    Kind(
        "hydrocarbyl",
        "in place of a region's skeleton: a chain of carbon atoms (single, double or triple "
        "bonds) from the atom the region hangs off to its slot, the slot judged on its own",
        is_hydrocarbyl,
        skeleton=True,
        parameters=(
            Parameter("min_carbons", "the fewest carbon atoms along the chain", "whole number"),
            Parameter("max_carbons", "the most carbon atoms along the chain", "whole number"),
            Parameter(
                "substituted",
                "the chain may carry substituents of any kind, each bonded to it by one bond",
                "boolean",
            ),
            Parameter(
                "oxo",
                "an =O on a chain carbon counts as a substituent (a carbonyl in the chain)",
                "boolean",
            ),
        ),
    ),
    Kind(
        "hydrocarbyl_group",
        "a whole group bonded through carbon whose carbon skeleton (the carbons reached through "
        "carbon-carbon bonds: chains, rings, aromatic rings) has a number of carbons within "
        'bounds ("C3-C8 烃基": pentyl, cyclohexylmethyl, benzyl, naphthyl, adamantyl)',
        is_hydrocarbyl_group,
        replace=True,
        parameters=(
            Parameter("min_carbons", "the fewest carbons of the skeleton", "whole number"),
            Parameter("max_carbons", "the most carbons of the skeleton", "whole number"),
            Parameter(
                "substituted",
                "the skeleton may carry substituents of any kind, each bonded to it by one "
                "bond (a ring closed through another element is not one)",
                "boolean",
            ),
        ),
    ),
    Kind(
        "heterocyclyl",
        "a group bonded through a ring atom of a ring system (fused, bridged or spiro rings "
        "taken together) that holds atoms other than carbon, substituted or not "
        '("含有1-3个杂原子的杂环基": tetrahydropyranyl, morpholinyl, quinolinyl, indolyl)',
        is_heterocyclyl,
        replace=True,
        parameters=(*_HETEROATOM_BOUNDS,),
    ),
    Kind(
        "heterocyclylalkyl",
        "a saturated chain of one or two carbons (methyl, ethyl) that carries a heterocyclyl "
        'and nothing else ("杂环基取代的甲基或乙基": tetrahydropyran-4-ylmethyl, '
        "2-morpholin-4-ylethyl)",
        is_heterocyclylalkyl,
        replace=True,
        parameters=(
            Parameter("max_carbons", "the most carbons in the chain", "whole number"),
            *_HETEROATOM_BOUNDS,
        ),
    ),
    Kind(
        "aryl",
        "a group bonded through a carbon of an aromatic ring system made of carbon only, "
        'counted by its ring carbons, substituted or not ("C6-C10 的芳基": phenyl, '
        "4-fluorophenyl, naphthyl)",
        is_aryl,
        replace=True,
        parameters=(
            Parameter("min_carbons", "the fewest ring carbons", "whole number"),
            Parameter("max_carbons", "the most ring carbons", "whole number"),
        ),
    ),
    Kind(
        "benzyl",
        'a CH2 carrying a phenyl ring, substituted or not, and nothing else ("苯甲基": benzyl, '
        "4-fluorobenzyl)",
        is_benzyl,
        replace=True,
    ),
    Kind(
        "z_link",
        "in place of a region's skeleton: the one atom between the anchor and the slot, -O- "
        'or -NH- ("Z 代表 O 或 NH"; Z = no atom is the slot bonded to the anchor itself)',
        is_z_link,
        skeleton=True,
        parameters=(
            Parameter("oxygen", "Z may be -O- (an ester on a carbonyl)", "boolean"),
            Parameter("nh", "Z may be -NH- (a secondary amide on a carbonyl)", "boolean"),
        ),
    ),
    Kind(
        "hydrogen",
        'no group: a hydrogen in place of the reference\'s group ("unsubstituted"), only in a '
        "region that takes all the groups on its atoms",
        is_hydrogen,
        replace=True,
        absent=True,
    ),
    Kind(
        "any",
        "any group at all: only a hydrogen is not a group",
        is_any,
        "group",
        substitute=True,
        replace=True,
    ),
)
VOCABULARY: dict[str, Kind] = {kind.name: kind for kind in KINDS}

SubstituentTest = Callable[[Chem.Mol, Group], bool]
# The substituent kinds, in naming order ("any" names nothing).
SUBSTITUENT_KINDS: dict[str, SubstituentTest] = {
    k.name: k.test for k in KINDS if k.noun and k.name != "any"
}
ALLOWABLE_SUBSTITUENT_KINDS = frozenset(k.name for k in KINDS if k.substitute)
KIND_NOUNS = {k.name: k.noun for k in KINDS if k.noun}
REPLACEMENT_KINDS = frozenset(k.name for k in KINDS if k.replace or k.skeleton)
SKELETON_KINDS = frozenset(k.name for k in KINDS if k.skeleton)
ABSENT_KINDS = frozenset(k.name for k in KINDS if k.absent)
REPLACEMENT_PARAMETERS: dict[str, frozenset[str]] = {
    k.name: frozenset(p.name for p in k.parameters) for k in KINDS if k.parameters
}
# The elements (atomic numbers) a group of each kind is bonded through, for the prefilter: a
# region that every clause fills with such kinds is bonded through one of them. A kind not
# named here (a ring, "any", a group removed) may be bonded through any atom. A test checks
# every kind's test against this table on every named group.
_CARBON, _NITROGEN, _OXYGEN = frozenset({6}), frozenset({7}), frozenset({8})
BONDED_THROUGH: dict[str, frozenset[int]] = {
    "hydroxyl": _OXYGEN,
    "halo": frozenset({9, 17, 35, 53}),
    "nitro": _NITROGEN,
    "amino": _NITROGEN,
    "alkyl": _CARBON,
    "alkenyl": _CARBON,
    "haloalkyl": _CARBON,
    "alkoxyl": _OXYGEN,
    "ester": _CARBON | _OXYGEN,  # alkoxycarbonyl, acyloxy
    "acyl": _CARBON,
    "amide_acyl": _CARBON,
    "carbamate_acyl": _CARBON,
    "thioacyl": _CARBON,
    "sulfonyl": frozenset({16}),
    "phosphoryl": frozenset({15}),
    "amine": _NITROGEN,
    "hydrocarbyl": _CARBON,
    "hydrocarbyl_group": _CARBON,
    "heterocyclylalkyl": _CARBON,
    "aryl": _CARBON,
    "benzyl": _CARBON,
    "z_link": _OXYGEN | _NITROGEN,
}
# The fewest heavy neighbours the atom a group of each kind is bonded through has, the
# anchor included: a ring atom has two in its ring, an acyl carbon its oxygen. A kind not
# named here has 1 (a methyl, a hydroxyl). The same test holds this table to the kinds.
_ROOT_DEGREE: dict[str, int] = {
    "aryl": 3,
    "heterocyclyl": 3,
    "monocycle": 3,
    "aromatic_group": 3,
    "nitro": 3,
    "sulfonyl": 3,
    "heterocyclylalkyl": 2,
    "benzyl": 2,
    "z_link": 2,
    "hydrocarbyl": 2,  # a skeleton: its slot hangs off its far end
    "acyl": 2,
    "amide_acyl": 2,
    "carbamate_acyl": 2,
    "thioacyl": 2,
    "phosphoryl": 2,
    "alkoxyl": 2,
    "ester": 2,
    "alkenyl": 2,
    "haloalkyl": 2,
}


def root_degree_at_least(kind: str, params: Mapping[str, object]) -> int:
    """The fewest heavy neighbours of the root of any group of ``kind`` with ``params``.

    >>> root_degree_at_least("hydrocarbyl_group", {"min_carbons": 3})
    2
    >>> root_degree_at_least("alkyl", {})
    1
    """
    if kind == "hydrocarbyl_group":  # two carbons or more: the root has a carbon neighbour
        return 2 if int(str(params.get("min_carbons", 1))) >= 2 else 1
    return _ROOT_DEGREE.get(kind, 1)


def root_neighbours(kind: str, params: Mapping[str, object]) -> tuple[str, ...]:
    """What the first atom of any group of ``kind`` has, besides its anchor: one of these.

    "carbon": a carbon neighbour; "hydrocarbon": a carbon neighbour with no ring bond to
    another element (a C2+ hydrocarbyl's carbons go on from its root, and a ring through
    another element would make it a heterocycle: a thiophene-2-carbonyl is no C5
    hydrocarbyl); "chain": such a carbon neighbour that has a carbon neighbour of its own,
    and "branch": two carbon neighbours (a C3+ hydrocarbyl's third carbon is one bond
    further or beside the second: an ethyl or an acetyl is no C3 hydrocarbyl);
    "ring": a neighbour in a ring (a benzyl's CH2, a heterocyclylmethyl's CH2);
    "ring_beyond": a carbon neighbour with a neighbour in a ring (a heterocyclylethyl's
    first CH2); "oxo": an oxygen with no other neighbour (an acyl's carbonyl), and with it
    a carbon ("oxo_carbon"), an oxygen that has another neighbour ("oxo_ether") or
    nothing else ("oxo_alone": a formyl); "in_ring": it is itself a ring atom (an aryl, a
    heterocyclyl). () when nothing is known.

    >>> root_neighbours("heterocyclylalkyl", {"max_carbons": 2})
    ('ring', 'ring_beyond')
    """
    if kind == "heterocyclylalkyl":
        # The chain's carbons carry nothing but the next carbon or the ring.
        longest = int(str(params.get("max_carbons", 2)))
        return {1: ("ring",), 2: ("ring", "ring_beyond")}.get(longest, ("carbon", "ring"))
    if kind == "hydrocarbyl_group":
        fewest = int(str(params.get("min_carbons", 1)))
        if fewest >= 3:
            return ("chain", "branch")
        return ("hydrocarbon",) if fewest == 2 else ()
    return _ROOT_NEIGHBOURS.get(kind, ())


_ROOT_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "aryl": ("in_ring",),
    "heterocyclyl": ("in_ring",),
    "monocycle": ("in_ring",),  # bonded through one of the ring's own atoms
    # R-C(=O)-: the carbonyl oxygen has no other neighbour; R is a carbon (or, in a
    # formyl, nothing) for an amide, an oxygen bearing a carbon for a carbamate.
    "acyl": ("oxo",),
    "amide_acyl": ("oxo_carbon", "oxo_alone"),
    "carbamate_acyl": ("oxo_ether",),
    "benzyl": ("ring",),
}


def root_degree_at_most(kind: str, params: Mapping[str, object]) -> int | None:
    """The most heavy neighbours of the root of any group of ``kind`` with ``params``.

    None: no bound. An unsubstituted one-carbon hydrocarbyl is a methyl, whose carbon has
    the anchor alone; the chain of a heterocyclylmethyl or -ethyl carries nothing but the
    next carbon or the ring, so its first carbon has two.

    >>> root_degree_at_most("hydrocarbyl_group", {"min_carbons": 1, "max_carbons": 1})
    1
    >>> root_degree_at_most("alkyl", {}) is None
    True
    """
    if kind == "hydrocarbyl_group" and not params.get("substituted"):
        most = params.get("max_carbons")
        if most is not None and int(str(most)) <= 1:
            return 1
    if kind == "heterocyclylalkyl":
        return 2
    return None


def replacement_fits(mol: Chem.Mol, group: Group, kind: str, params: Mapping[str, object]) -> bool:
    """Tell whether ``group`` is a replacement of ``kind`` with ``params``."""
    return VOCABULARY[kind].test(mol, group, **params)


def skeleton_fits(
    mol: Chem.Mol, group: Group, far_end: int, kind: str, params: Mapping[str, object]
) -> bool:
    """Tell whether ``group`` (a skeleton without its slot's group) is of ``kind``.

    Args:
        mol: the molecule.
        group: the atoms in place of the skeleton; its root is bonded to the anchor.
        far_end: the atom of ``group`` that the slot's group is bonded to.
        kind: a word usable in place of a skeleton (``hydrocarbyl``).
        params: the word's parameters, as the clause gives them.

    Returns:
        True when the group is such a skeleton.
    """
    return VOCABULARY[kind].test(mol, group, far_end=far_end, **params)


# --- naming -------------------------------------------------------------------------------------


def group_smiles(mol: Chem.Mol, group: Group) -> str:
    """Canonical SMILES of a group with ``*`` for the atom it hangs off (no stereo)."""
    return _fragment_smiles(mol, group.atoms, [(group.root, group.anchor)])


def _fragment_smiles(
    mol: Chem.Mol, atoms: frozenset[int], attachments: list[tuple[int, int]]
) -> str:
    """Canonical SMILES of ``atoms`` with a ``*`` for each (inside, outside) attachment bond."""
    written = _written_in_place(mol, atoms, attachments)
    if written is not None:
        return canonical_fragment(written)
    return _fragment_smiles_rebuilt(mol, atoms, attachments)


def _written_in_place(
    mol: Chem.Mol, atoms: frozenset[int], attachments: list[tuple[int, int]]
) -> str | None:
    """The fragment written from the molecule itself, each outside atom shown as ``*``.

    Only where that is the same structure as the rebuilt fragment: every bond leaving
    ``atoms`` is an attachment, to an outside atom of its own. Otherwise None.
    """
    outside_of: dict[int, int] = {}
    for inside, outside in attachments:
        if outside in atoms or outside in outside_of:
            return None
        outside_of[outside] = inside
    bonded = neighbours(mol)
    for i in atoms:
        for j in bonded[i]:
            if j not in atoms and outside_of.get(j) != i:
                return None
    written = _symbols(mol)
    symbols = [""] * mol.GetNumAtoms()
    for i in atoms:
        symbols[i] = written[i]
    for outside in outside_of:
        linked = [j for j in bonded[outside] if j in atoms]
        if len(linked) != 1:
            return None
        symbols[outside] = "*"
    return Chem.MolFragmentToSmiles(
        mol,
        atomsToUse=sorted(atoms | outside_of.keys()),
        atomSymbols=symbols,
        isomericSmiles=False,
    )


def _fragment_smiles_rebuilt(
    mol: Chem.Mol, atoms: frozenset[int], attachments: list[tuple[int, int]]
) -> str:
    """``_fragment_smiles`` of any fragment: rebuilt atom by atom, hydrogens fixed."""
    keep = sorted(atoms)
    rw = Chem.RWMol()
    index = {}
    for i in keep:
        src = mol.GetAtomWithIdx(i)
        atom = Chem.Atom(src.GetAtomicNum())
        atom.SetFormalCharge(src.GetFormalCharge())
        atom.SetIsAromatic(src.GetIsAromatic())
        atom.SetNumExplicitHs(src.GetTotalNumHs())
        atom.SetNoImplicit(True)
        index[i] = rw.AddAtom(atom)
    for i in keep:
        for bond in mol.GetAtomWithIdx(i).GetBonds():
            j = bond.GetOtherAtomIdx(i)
            if j in index and i < j:
                rw.AddBond(index[i], index[j], bond.GetBondType())
                if bond.GetIsAromatic():
                    rw.GetBondBetweenAtoms(index[i], index[j]).SetIsAromatic(True)
    for inside, outside in attachments:
        dummy = Chem.Atom(0)
        dummy.SetNoImplicit(True)
        at = rw.AddAtom(dummy)
        bond = mol.GetBondBetweenAtoms(inside, outside)
        rw.AddBond(index[inside], at, bond.GetBondType())
    frag = rw.GetMol()
    frag.UpdatePropertyCache(strict=False)
    return canonical_fragment(Chem.MolToSmiles(frag, isomericSmiles=False))


@lru_cache(maxsize=4096)
def canonical_fragment(smiles: str) -> str:
    """Canonicalise a fragment SMILES with ``*`` (round trip through RDKit)."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles
    return Chem.MolToSmiles(mol, isomericSmiles=False)
