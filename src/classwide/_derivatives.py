"""Esters and ethers of a listed substance: found by undoing them, and checked in the lists.

Several lists cover a substance "and its esters and ethers" (US Schedule I and II opiates,
the 1961 Convention's Schedule I, items 305-396 of China's non-medical catalogue). A
structure that is such an ester or ether, and is not listed itself, is covered by the
parent's listing. It is found by undoing the ester or ether bonds of the structure, one to
three at a time: each acyclic single bond between an oxygen that joins two carbons and one
of those carbons is cut, the oxygen gets its hydrogen back, and the piece that keeps the
oxygen is looked up among the listed parents. Heroin, cut at its two acetyl esters, is
morphine; codeine, cut at its methyl ether, is morphine too (and listed itself).

The cut is an *ester* when the oxygen is bonded to a carbonyl carbon (on either side: the
alcohol of an acetate, or the acid of a methyl ester), else an *ether*. Ring bonds are
never cut: a ring oxygen is part of the parent's skeleton, not a derivative of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from rdkit import Chem, rdBase

from classwide._vocabulary import bond_types, elements, neighbours

# Heroin has two esters; three covers the mixed esters and ethers that lists meet, while
# keeping the number of pieces tried small (a structure with eight such bonds: 92 pieces).
MAX_CUTS = 3
# An ester or ether group is a substituent: acetyl, propionyl, benzoyl, nicotinoyl, methyl,
# ethyl, benzyl. A piece that loses more heavy atoms than this is a larger molecule that
# happens to contain the listed one, not its ester or ether (a reading: see README).
MAX_ADDED_ATOMS = 12
# Pieces tried per structure at most: a structure with many small ether groups (a
# polymethoxy compound) would otherwise cost seconds; the smallest combinations come first.
MAX_PIECES = 400


@dataclass(frozen=True)
class Undone:
    """A piece of a structure with some ester or ether bonds undone."""

    key: str  # its canonical SMILES without stereo (``parent_key`` of the piece)
    isomeric: str  # with stereo
    kinds: frozenset[str]  # "ester", "ether"
    removed: tuple[int, ...]  # the structure's atoms that the undone groups held


# An uncharged, non-aromatic oxygen between two carbons, without hydrogen.
_LINKING_OXYGEN = Chem.MolFromSmarts("[#8;!a;+0;D2;H0](~[#6])~[#6]")
_OXYGEN = 8
_SINGLE, _DOUBLE = int(Chem.BondType.SINGLE), int(Chem.BondType.DOUBLE)


def _cuts(mol: Chem.Mol) -> list[tuple[int, int, str]]:
    """(oxygen, carbon, kind) of every bond that undoing an ester or ether would cut."""
    found = []
    bonded, kinds, element = neighbours(mol), bond_types(mol), elements(mol)
    # Searched in RDKit: a Python loop over every atom costs more than the rest.
    oxygens = sorted({o for o, *_ in mol.GetSubstructMatches(_LINKING_OXYGEN, maxMatches=10_000)})
    for oxygen in oxygens:
        # An ester's oxygen is bonded to a carbonyl carbon (C=O); an ether's is not.
        ester = any(
            element[j] == _OXYGEN and kind == _DOUBLE
            for carbon in bonded[oxygen]
            for j, kind in zip(bonded[carbon], kinds[carbon], strict=True)
        )
        for carbon, kind in zip(bonded[oxygen], kinds[oxygen], strict=True):
            if kind != _SINGLE or mol.GetBondBetweenAtoms(oxygen, carbon).IsInRing():
                continue
            found.append((oxygen, carbon, "ester" if ester else "ether"))
    return found


def derivative_query(parent: Chem.Mol) -> Chem.Mol:
    """The heavy-atom graph every ester or ether of ``parent`` holds, as a query.

    Elements and connectivity only (any bond: the prefilter reads a record unsanitised, in
    kekulé or aromatic form), each atom keeping its heavy degree, except an oxygen bearing
    a hydrogen, which may carry the ester's or ether's carbon: a piece that
    ``undo_esters_and_ethers`` gives is the parent only if the structure holds this graph.
    No ring test: the prefilter asks it before the record's rings are found.
    """
    query = Chem.RWMol()
    for atom in parent.GetAtoms():
        degree = atom.GetDegree()
        degrees = (
            f"D{degree},D{degree + 1}"
            if atom.GetTotalNumHs() and atom.GetAtomicNum() == 8
            else f"D{degree}"
        )
        query.AddAtom(Chem.AtomFromSmarts(f"[#{atom.GetAtomicNum()};{degrees}]"))
    for bond in parent.GetBonds():
        query.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), Chem.BondType.SINGLE)
        index = query.GetBondBetweenAtoms(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()).GetIdx()
        query.ReplaceBond(index, Chem.BondFromSmarts("~"))
    return Chem.MolFromSmarts(Chem.MolToSmarts(query))


def heavy_formula_of(atomic_numbers: Iterable[int]) -> str:
    """The Hill formula of heavy atoms given by atomic number, hydrogen left out.

    >>> heavy_formula_of([6, 6, 8, 7, 6, 17])
    'C3ClNO'
    """
    counts = Counter(n for n in atomic_numbers if n != 1)
    table = Chem.GetPeriodicTable()
    symbols = sorted((table.GetElementSymbol(n), k) for n, k in counts.items() if n != 6)
    if 6 in counts:
        symbols.insert(0, ("C", counts[6]))
    return "".join(f"{symbol}{k if k > 1 else ''}" for symbol, k in symbols)


def heavy_formula_of_smiles(smiles: str) -> str:
    """``heavy_formula_of`` a structure given as SMILES.

    >>> heavy_formula_of_smiles("CN1CCC23C4Oc5c(O)ccc(CC1C2C=CC4O)c53")
    'C17NO3'
    """
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    return heavy_formula_of(atom.GetAtomicNum() for atom in mol.GetAtoms())


def undo_esters_and_ethers(
    mol: Chem.Mol,
    max_cuts: int = MAX_CUTS,
    formulas: Collection[str] | None = None,
    graphs: Mapping[str, Sequence[str]] | None = None,
) -> list[Undone]:
    """Every piece the structure gives with one to ``max_cuts`` ester or ether bonds undone.

    Args:
        mol: a standardised parent.
        max_cuts: the most bonds undone at once.
        formulas: the heavy formulas (``heavy_formula_of``) a piece may have to be of use,
            those of the substances whose lists cover esters or ethers: a piece of another
            formula is not built (it is counted among the pieces tried all the same, so
            that the pieces found do not depend on it). None: every piece.
        graphs: per formula, those substances (as SMILES): a piece of the formula is
            built only when the structure holds the graph of one of them
            (``derivative_query``), as each of their esters and ethers does (None: no such
            test).

    Returns:
        One entry per distinct piece, with the atoms of the groups removed.

    Example:
        >>> heroin = Chem.MolFromSmiles("CC(=O)OC1C=CC2C3Cc4ccc(OC(C)=O)c5OC1C2(CCN3C)c45")
        >>> morphine = Chem.MolToSmiles(Chem.MolFromSmiles(
        ...     "CN1CCC23C4Oc5c(O)ccc(CC1C2C=CC4O)c53"), isomericSmiles=False)
        >>> any(u.key == morphine for u in undo_esters_and_ethers(heroin))
        True
    """
    # Each cut with the atoms it would remove on its own: a cut that removes more than an
    # ester or ether group can hold (a polyether's backbone) is never tried, nor a
    # combination whose groups add up to more, or overlap (a group inside another's).
    cuts = [(cut, side) for cut in _cuts(mol) if (side := _side(mol, cut)) is not None]
    if not cuts:
        return []
    element = elements(mol)
    found: dict[str, Undone] = {}
    held: dict[str, bool] = {}
    tried = 0
    for size in range(1, min(max_cuts, len(cuts)) + 1):
        for combo in combinations(cuts, size):
            oxygens = [o for (o, _, _), _ in combo]
            if len(set(oxygens)) != len(oxygens):
                continue  # one oxygen is undone on one side only
            sides = [side for _, side in combo]
            if sum(map(len, sides)) > MAX_ADDED_ATOMS or len(frozenset().union(*sides)) < sum(
                map(len, sides)
            ):
                continue
            tried += 1
            if tried > MAX_PIECES:
                return list(found.values())
            if formulas is not None:
                # The piece is every atom but the groups cut off (``_undo`` checks it).
                gone = frozenset().union(*sides)
                kept = (n for i, n in enumerate(element) if i not in gone)
                formula = heavy_formula_of(kept)
                if formula not in formulas:
                    continue
                if graphs is not None and not _holds_graph(mol, formula, graphs, held):
                    continue
            piece = _undo(mol, tuple(cut for cut, _ in combo))
            if piece is not None and piece.key not in found:
                found[piece.key] = piece
    return list(found.values())


def _holds_graph(
    mol: Chem.Mol, formula: str, graphs: Mapping[str, Sequence[str]], held: dict[str, bool]
) -> bool:
    """Whether ``mol`` holds the graph of a substance of ``formula`` (asked once a formula)."""
    if formula not in held:
        held[formula] = any(
            mol.HasSubstructMatch(_graph_of(smiles)) for smiles in graphs.get(formula, ())
        )
    return held[formula]


@lru_cache(maxsize=4096)
def _graph_of(smiles: str) -> Chem.Mol:
    # Built when a structure first asks for it: most runs ask for a few substances' only.
    return derivative_query(Chem.MolFromSmiles(smiles))


def _side(mol: Chem.Mol, cut: tuple[int, int, str]) -> frozenset[int] | None:
    """The atoms a cut removes on its own, or None when they are more than a group holds."""
    oxygen, carbon, _ = cut
    bonded = neighbours(mol)
    seen = {carbon}
    frontier = [carbon]
    while frontier:
        atom = frontier.pop()
        for index in bonded[atom]:
            if index in seen or (index == oxygen and atom == carbon):
                continue
            if index == oxygen:
                return None  # the oxygen is reached another way: not a cut-off group
            seen.add(index)
            if len(seen) > MAX_ADDED_ATOMS:
                return None
            frontier.append(index)
    return frozenset(seen)


def _undo(mol: Chem.Mol, combo: tuple[tuple[int, int, str], ...]) -> Undone | None:
    edit = Chem.RWMol(mol)
    for oxygen, carbon, _ in combo:
        edit.RemoveBond(oxygen, carbon)
        atom = edit.GetAtomWithIdx(oxygen)
        atom.SetNumExplicitHs(atom.GetNumExplicitHs() + 1)
        atom.SetNoImplicit(True)
    with rdBase.BlockLogs():
        try:
            edit.UpdatePropertyCache(strict=False)
        except Exception:  # noqa: BLE001 - a piece RDKit cannot make is no parent
            return None
    fragments = Chem.GetMolFrags(edit, asMols=False, sanitizeFrags=False)
    home = next((f for f in fragments if combo[0][0] in f), None)
    if home is None or any(o not in home for o, _, _ in combo):
        return None
    kept = set(home)
    removed = tuple(sorted(a for a in range(mol.GetNumAtoms()) if a not in kept))
    if len(removed) > MAX_ADDED_ATOMS:
        return None
    with rdBase.BlockLogs():
        isomeric = Chem.MolFragmentToSmiles(edit, sorted(kept), canonical=True)
        piece = Chem.MolFromSmiles(isomeric)
    if piece is None:
        return None
    return Undone(
        key=Chem.MolToSmiles(piece, isomericSmiles=False),
        isomeric=Chem.MolToSmiles(piece),
        kinds=frozenset(kind for _, _, kind in combo),
        removed=removed,
    )


def relation(kinds: frozenset[str], parent: str) -> str:
    """How a structure relates to its listed parent: "ester of morphine".

    >>> relation(frozenset({"ester", "ether"}), "morphine")
    'ester and ether of morphine'
    """
    return f"{' and '.join(sorted(kinds))} of {parent}"
