"""Lay a structure over a scaffold's core and hand the groups around it to the regions.

This is the part of a fit that does not depend on the clauses: where the core is, what
hangs off it, and which group could stand for which region. It depends only on the
molecule and the scaffold, so every rule and reading judged on one molecule shares it
through a ``MolCache``; ``_scaffold`` then explains each region under the clauses.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from rdkit import Chem

from classwide._definitions import Region, Scaffold
from classwide._limits import Limits
from classwide._vocabulary import (
    Group,
    group_key,
    group_smiles,
    neighbours,
    substituent_kinds,
    substituents_of,
)


@dataclass(frozen=True)
class RingClosure:
    """A piece bonded to the core by two or more bonds, where no region expects a ring.

    Attributes:
        at: the core map numbers it is bonded to, ascending.
        atoms: its atoms.
    """

    at: tuple[int, ...]
    atoms: frozenset[int]


@dataclass(frozen=True)
class Cut:
    """The molecule cut around one core match.

    Attributes:
        extra_bonds: bonds between core atoms that the core itself lacks (a bridged core),
            as pairs of atom indices, lower index first.
        closures: rings closed onto the core that no bridge region expects.
        closed_at: the core map numbers those rings are bonded to.
        groups_at: core map number -> the groups bonded to that atom by one bond.
        bridged: bridge region id -> the ring it expects, found closed onto the core.
    """

    extra_bonds: tuple[tuple[int, int], ...]
    closures: tuple[RingClosure, ...]
    closed_at: frozenset[int]
    groups_at: Mapping[int, tuple[Group, ...]]
    bridged: Mapping[str, Group]


@dataclass(frozen=True)
class Assignment:
    """One way to hand the groups bonded to the core to the regions.

    Attributes:
        groups: for each region that takes one group, its group (None: hydrogen).
        leftovers: (core map number, group) for every group no such region took.
    """

    groups: Mapping[str, Group | None]
    leftovers: tuple[tuple[int, Group], ...]


@dataclass(frozen=True)
class Decomposition:
    """The structure laid over the core one way, with every assignment of its groups.

    Attributes:
        match: the atoms matched by the core query, in query order.
        atom_map: atom index -> core map number.
        cut: the groups and rings around the core.
        shown: region id -> the core atoms drawn as part of that region.
        assignments: every way to hand the groups to the regions.
    """

    match: tuple[int, ...]
    atom_map: Mapping[int, int]
    cut: Cut
    shown: Mapping[str, frozenset[int]]
    assignments: tuple[Assignment, ...]


class SharedMemo(dict[object, object]):
    """Answers that hold for a group wherever it appears, shared by the molecules of a process.

    Keys are built on ``group_key``: equal keys are the same group with its atoms in the
    same order, so an answer found in one molecule holds in the next. A fentanyl library
    repeats a few dozen acyl, aryl and N1 groups across thousands of structures. The memo
    holds at most ``size`` answers and starts afresh when full (answers are cheap to find
    again; a worker's memory stays bounded). A dictionary itself: a look-up is ``get``,
    with no call of ours around it.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        _MEMOS.append(self)

    def put(self, key: object, answer: object) -> None:
        if len(self) >= self.size:
            self.clear()
        self[key] = answer


_MEMOS: list[SharedMemo] = []


def forget_shared() -> None:
    """Empty every shared memo: the next molecule finds everything for itself."""
    for memo in _MEMOS:
        memo.clear()


# A group's SMILES and kinds depend on its atoms and bonds and on its anchor's element
# (an N-oxide hangs off a nitrogen), all of which ``group_key`` holds.
_GROUP_SMILES = SharedMemo(16384)
_GROUP_KINDS = SharedMemo(16384)


class MolCache:
    """What is worth computing once per molecule, across the fits of several rules.

    Core matches, cuts and assignments depend only on the molecule and the scaffold, and
    group SMILES and substituent kinds only on the molecule and the group, so every rule
    and reading judged on one molecule shares them. Scaffolds are told apart by id, which
    is unique within a rule set: a cache serves the fits of one rule set.
    """

    def __init__(self, mol: Chem.Mol) -> None:
        self.mol = mol
        self._smiles: dict[Group, str] = {}
        self._kinds: dict[Group, tuple[str, ...]] = {}
        self._keys: dict[Group, tuple[object, ...] | None] = {}
        self._around: dict[frozenset[int], list[Group]] = {}
        self.core_matches: dict[str, tuple[tuple[int, ...], ...]] = {}
        self.cuts: dict[tuple[str, tuple[int, ...]], Cut] = {}
        self.decompositions: dict[tuple[str, tuple[int, ...]], Decomposition] = {}
        self.distinct: dict[tuple[str, tuple[int, ...]], tuple[Decomposition, ...]] = {}
        # A region's explanation, by scaffold, region, group and the clauses that judge it:
        # the readings and dates of one rule, and rules that word a region alike, share it.
        self.explained: dict[tuple[object, ...], object] = {}
        # Whether a region's queries found every match here (see ``_Fitter._complete``).
        self.complete: dict[tuple[int, int], bool] = {}
        # The fit of a scaffold whose core is absent, by scaffold id (its near miss or none).
        self.absent: dict[str, object] = {}
        # The rules whose reference forms were screened at once (``_look_for_cores``).
        self.screened: set[str] = set()
        # A region's skeleton matched anywhere in the molecule, by query and bound: asked
        # for every group a region is tried with (the query is kept alive by the key).
        self._matches: dict[tuple[Chem.Mol, int], tuple[tuple[int, ...], ...]] = {}

    def core_matches_of(self, scaffold: Scaffold, limits: Limits) -> tuple[tuple[int, ...], ...]:
        """Every match of the scaffold's core (not uniquified), up to the limit."""
        found = self.core_matches.get(scaffold.id)
        if found is None:
            found = self.core_matches[scaffold.id] = self.mol.GetSubstructMatches(
                scaffold.core, uniquify=False, maxMatches=limits.max_core_matches
            )
        return found

    def around(self, core: frozenset[int]) -> list[Group]:
        """The groups bonded to the atoms ``core`` (the same for every match of those atoms)."""
        if core not in self._around:
            everything = frozenset(range(self.mol.GetNumAtoms()))
            self._around[core] = substituents_of(self.mol, everything, core)
        return self._around[core]

    def key(self, group: Group) -> tuple[object, ...] | None:
        """The group's ``group_key`` (None for a group bonded to more than its anchor)."""
        if group not in self._keys:
            self._keys[group] = group_key(self.mol, group) if group.anchor >= 0 else None
        return self._keys[group]

    def smiles(self, group: Group) -> str:
        """The group's canonical SMILES with ``*`` for the atom it hangs off."""
        if group not in self._smiles:
            self._smiles[group] = cast(
                str, _shared(_GROUP_SMILES, self.key(group), group_smiles, self.mol, group)
            )
        return self._smiles[group]

    def matches(self, query: Chem.Mol, most: int) -> tuple[tuple[int, ...], ...]:
        """Every match of ``query`` (not uniquified), at most ``most`` of them."""
        key = (query, most)
        if key not in self._matches:
            self._matches[key] = self.mol.GetSubstructMatches(
                query, uniquify=False, maxMatches=most
            )
        return self._matches[key]

    def kinds(self, group: Group) -> tuple[str, ...]:
        """Every substituent kind that describes the group, in naming order."""
        if group not in self._kinds:
            self._kinds[group] = cast(
                tuple[str, ...],
                _shared(_GROUP_KINDS, self.key(group), substituent_kinds, self.mol, group),
            )
        return self._kinds[group]


def _shared(
    memo: SharedMemo,
    key: object | None,
    find: Callable[[Chem.Mol, Group], object],
    mol: Chem.Mol,
    group: Group,
) -> object:
    if key is None:
        return find(mol, group)
    answer = memo.get(key)
    if answer is None:
        answer = find(mol, group)
        memo.put(key, answer)
    return answer


def decompose(
    cache: MolCache, scaffold: Scaffold, positions: tuple[int, ...], limits: Limits
) -> tuple[Decomposition, ...]:
    """Lay the molecule over ``scaffold``'s core in every way that can decide differently.

    The core often maps onto itself (a piperidine twice). Matches that give every region
    the same atoms, and every position a clause names the same atom, decide alike; of
    those, the one that puts the groups at the lowest position numbers is kept, so that a
    3-methyl is reported at C3 rather than C5.

    Args:
        cache: the molecule, with what earlier fits of it found.
        scaffold: the reference structure, cut into core and regions.
        positions: core map numbers that a clause names ("at the 4-position"), ascending.
        limits: bounds on the search.

    Returns:
        One decomposition per kept core match; none when the core is absent.
    """
    key = (scaffold.id, positions)
    if key in cache.distinct:
        return cache.distinct[key]
    chosen: dict[tuple, tuple[tuple[int, ...], tuple[int, ...], dict[int, int]]] = {}
    named = tuple(scaffold.query_index.get(m) for m in positions)
    for match in sorted(cache.core_matches_of(scaffold, limits)):
        atom_map = {match[q]: m for m, q in scaffold.core_map_to_query}
        signature = (
            frozenset(match),
            tuple(frozenset([match[q] for q in drawn]) for drawn in scaffold.region_query_atoms),
            tuple(None if q is None else match[q] for q in named),
        )
        anchors = _anchors(cache, scaffold, match, atom_map)
        if signature not in chosen or anchors < chosen[signature][1]:
            chosen[signature] = (match, anchors, atom_map)
    kept = tuple(
        _decompose_once(cache, scaffold, match, atom_map) for match, _, atom_map in chosen.values()
    )
    cache.distinct[key] = kept
    return kept


def _anchors(
    cache: MolCache, scaffold: Scaffold, match: tuple[int, ...], atom_map: dict[int, int]
) -> tuple[int, ...]:
    """The core map numbers that groups or unexpected rings are bonded to, ascending.

    What ``_cut`` would find (``groups_at`` and ``closed_at``), found without cutting: of
    the matches that decide alike, only the one kept is cut.
    """
    core = frozenset(match)
    bonded = neighbours(cache.mol)
    found = set()
    for group in cache.around(core):
        if group.anchor != -1:
            found.add(atom_map[group.anchor])
            continue
        links = [atom_map[j] for i in group.atoms for j in bonded[i] if j in core]
        if _expected_bridge(scaffold, links) is None:
            found.update(links)  # a ring closed onto the core
    return tuple(sorted(found))


def _expected_bridge(scaffold: Scaffold, links: Sequence[int]) -> Region | None:
    """The bridge region that a ring piece fills, or None (a ring no region expects).

    ``links``: the core map number of each bond between the piece and the core.
    """
    if len(links) < 2:
        return None
    touched = set(links)
    return next(
        (r for r in scaffold.regions if r.take == "bridge" and touched <= set(r.from_atoms)),
        None,
    )


def _cut_once(
    cache: MolCache, scaffold: Scaffold, match: tuple[int, ...], atom_map: dict[int, int]
) -> Cut:
    key = (scaffold.id, match)
    if key not in cache.cuts:
        cache.cuts[key] = _cut(cache, scaffold, match, atom_map)
    return cache.cuts[key]


def _decompose_once(
    cache: MolCache, scaffold: Scaffold, match: tuple[int, ...], atom_map: dict[int, int]
) -> Decomposition:
    key = (scaffold.id, match)
    if key not in cache.decompositions:
        cut = _cut_once(cache, scaffold, match, atom_map)
        shown = {region: frozenset(match[q] for q in drawn) for region, drawn in scaffold.shown_at}
        cache.decompositions[key] = Decomposition(
            match, atom_map, cut, shown, _assignments(scaffold, cut)
        )
    return cache.decompositions[key]


def _cut(
    cache: MolCache, scaffold: Scaffold, match: tuple[int, ...], atom_map: dict[int, int]
) -> Cut:
    """Cut the molecule around one core match: groups per core atom, and ring closures."""
    mol = cache.mol
    core = frozenset(match)
    query_bonds = {frozenset((match[i], match[j])) for i, j in scaffold.core_bonds}
    bonded = neighbours(mol)
    extra_bonds = [
        (a, j)
        for a in sorted(core)
        for j in bonded[a]
        if a < j and j in core and frozenset((a, j)) not in query_bonds
    ]
    groups_at: dict[int, list[Group]] = defaultdict(list)
    closures: list[RingClosure] = []
    bridged: dict[str, Group] = {}
    for group in cache.around(core):
        if group.anchor != -1:
            groups_at[atom_map[group.anchor]].append(group)
            continue
        links = sorted((atom_map[j], j, i) for i in group.atoms for j in bonded[i] if j in core)
        touched = tuple(sorted({m for m, _, _ in links}))
        bridge = _expected_bridge(scaffold, [m for m, _, _ in links])
        if bridge is not None:
            # A ring the definition expects, such as a cyclic acetal's -CH2CH2-.
            _, anchor, root = links[0]
            bridged[bridge.id] = Group(group.atoms, root, anchor)
        else:
            closures.append(RingClosure(touched, group.atoms))
    return Cut(
        extra_bonds=tuple(extra_bonds),
        closures=tuple(closures),
        closed_at=frozenset(m for closure in closures for m in closure.at),
        groups_at={m: tuple(groups) for m, groups in groups_at.items()},
        bridged=bridged,
    )


def _assignments(scaffold: Scaffold, cut: Cut) -> tuple[Assignment, ...]:
    """Every way to hand the groups to the regions, atom by core atom."""
    per_atom_options = []
    for map_number, ones in scaffold.single_regions_at:
        groups = sorted(cut.groups_at.get(map_number, ()), key=lambda g: g.root)
        if ones or groups:  # an atom with neither adds nothing to any assignment
            per_atom_options.append(list(_assign(map_number, ones, groups)))
    combinations = []
    for combination in itertools.product(*per_atom_options):
        assigned: dict[str, Group | None] = {}
        leftovers: list[tuple[int, Group]] = []
        for one_assignment, rest in combination:
            assigned.update(one_assignment)
            leftovers.extend(rest)
        combinations.append(Assignment(assigned, tuple(leftovers)))
    return tuple(combinations)


def _assign(
    map_number: int, regions: Sequence[Region], groups: Sequence[Group]
) -> Iterator[tuple[dict[str, Group | None], list[tuple[int, Group]]]]:
    """Every way to give each single-group region on one core atom one group (or none)."""
    if not regions:  # every group is left over (the one way)
        yield {}, [(map_number, g) for g in groups]
        return
    # A region is left without a group only when there are fewer groups than regions:
    # a group is never left over while a region that could take it stands empty.
    choices: list[Group | None] = [*groups, *([None] * max(0, len(regions) - len(groups)))]
    seen = set()
    for perm in itertools.permutations(choices, len(regions)):
        roots = tuple(g.root if g else -1 for g in perm)
        if roots in seen:
            continue
        seen.add(roots)
        used = {g.root for g in perm if g is not None}
        rest = [(map_number, g) for g in groups if g.root not in used]
        yield {r.id: g for r, g in zip(regions, perm, strict=True)}, rest
