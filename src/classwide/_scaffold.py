"""Fit a structure to a scaffold definition: "the reference, changed only in allowed ways".

A structure is a member when every difference from the reference structure is explained
by a clause, and there is at least one difference. The fitter

1. finds the fixed core (every mapping RDKit gives, up to a limit);
2. cuts the rest of the molecule into groups, each bonded to one core atom; a piece bonded
   to the core twice is a ring closed onto the core, which no clause allows;
3. hands the groups to the regions (trying every assignment where several regions hang off
   one core atom, such as the acyl and the aryl on the anilide nitrogen);
4. explains each region: unchanged; replaced by an allowed kind of group; or its skeleton
   kept and every extra substituent of an allowed kind, slots explained in turn;
5. keeps the decomposition with the fewest unexplained differences.

Steps 1-3 do not depend on the clauses and live in ``_decompose``, shared by every rule
and reading judged on one molecule; steps 4-5 are here. What the sentences say is in
``_wording``. It knows nothing of any jurisdiction: the scaffold and the clauses come from
rule files.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple, cast

from rdkit import Chem
from rdkit.Chem import FilterCatalog

from classwide import _wording as wording
from classwide._decompose import Assignment, Decomposition, MolCache, SharedMemo, decompose
from classwide._definitions import ClassRule, Clause, Reading, Region, Scaffold
from classwide._findings import Difference, Fit, Modification
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._vocabulary import (
    ABSENT_KINDS,
    SKELETON_KINDS,
    Group,
    catalog_entry,
    linker_smiles,
    neighbours,
    query_catalog,
    replacement_fits,
    skeleton_fits,
    substituent_allowed,
    substituents_of,
)


@lru_cache(maxsize=256)
def _reference_query(reference: str) -> Chem.Mol:
    """A query that matches the reference group's atoms and bonds, whatever they carry."""
    mol = Chem.MolFromSmiles(reference)
    # The attachment dummy must match the real atom the group hangs off.
    return Chem.MolFromSmarts(Chem.MolToSmarts(mol).replace("[#0]", "*"))


@lru_cache(maxsize=256)
def _map_index(query: Chem.Mol) -> dict[int, int]:
    """A skeleton query's atom index by map number (read once per query)."""
    return {a.GetAtomMapNum(): a.GetIdx() for a in query.GetAtoms() if a.GetAtomMapNum()}


class _Outcome(NamedTuple):
    """How one region, or a whole decomposition, was explained.

    A named tuple: a fentanyl library builds and hashes thousands of these per second.
    """

    modifications: tuple[Modification, ...] = ()
    differences: tuple[Difference, ...] = ()
    atoms: frozenset[int] = frozenset()
    sub_regions: tuple[tuple[str, frozenset[int]], ...] = ()
    also: frozenset[str] = frozenset()
    generic: bool = False  # "replaced by X": used when no more specific account is as short

    def rank(self) -> tuple[int, int, int, str]:
        """Lower is better: fewer differences, a specific account, fewer modifications.

        The text breaks the remaining ties, so that the same account wins every time.
        """
        text = (
            "; ".join(m.description for m in self.modifications)
            + "|"
            + "; ".join(d.description for d in self.differences)
        )
        return (len(self.differences), int(self.generic), len(self.modifications), text)


def _region_query(region: Region) -> Chem.Mol | None:
    """The query for the region's skeleton kept: its own, or its reference group's."""
    if region.skeleton is not None:
        return region.skeleton
    if region.reference is not None:
        return _reference_query(region.reference)
    return None


# Region explanations found in one molecule, kept for the next (see ``_explain_shared``).
_EXPLAINED = SharedMemo(16384)
_QUERIES = SharedMemo(4096)


def _region_queries(region: Region) -> tuple[Chem.Mol, ...] | None:
    """The queries an explanation of ``region`` asks, or None if one reads beyond the group.

    A query starting at any atom (the anchor) and without recursive SMARTS sees only the
    group, its anchor and the bond between them; a rule file may write others, and then
    the region's outcomes are not shared between molecules.
    """
    found = _QUERIES.get(id(region))
    if found is None:
        queries = [
            q for r in (region, *region.descendants()) if (q := _region_query(r)) is not None
        ]
        local = all(
            q.GetNumAtoms()
            and q.GetAtomWithIdx(0).GetSmarts() == "*"
            and "$" not in Chem.MolToSmarts(q)
            for q in queries
        )
        found = (region, tuple(queries) if local else None)
        _QUERIES.put(id(region), found)
    return cast(tuple[Region, tuple[Chem.Mol, ...] | None], found)[1]


def _renumbered(outcome: _Outcome, new: Callable[[int], int]) -> _Outcome:
    """The outcome with every atom index ``i`` replaced by ``new(i)`` (an order-keeping map)."""
    return _Outcome(
        modifications=tuple(
            Modification(m.region, m.clauses, m.description, tuple(map(new, m.atoms)))
            for m in outcome.modifications
        ),
        differences=tuple(
            Difference(d.region, d.description, tuple(map(new, d.atoms)), d.clauses_tried)
            for d in outcome.differences
        ),
        atoms=frozenset(map(new, outcome.atoms)),
        sub_regions=tuple(
            (name, frozenset(map(new, atoms))) for name, atoms in outcome.sub_regions
        ),
        also=outcome.also,
        generic=outcome.generic,
    )


def _combine(outcomes: Sequence[_Outcome]) -> _Outcome:
    mods: list[Modification] = []
    diffs: list[Difference] = []
    atoms: frozenset[int] = frozenset()
    subs: list[tuple[str, frozenset[int]]] = []
    also: set[str] = set()
    for o in outcomes:
        mods.extend(o.modifications)
        diffs.extend(o.differences)
        atoms = atoms | o.atoms
        subs.extend(o.sub_regions)
        also |= o.also
    return _Outcome(
        modifications=tuple(mods),
        differences=tuple(diffs),
        atoms=atoms,
        sub_regions=tuple(subs),
        also=frozenset(also),
    )


class _FitSetup(NamedTuple):
    """What a fit reads of its scaffold and clauses, the same for every molecule."""

    by_region: dict[str, list[Clause]]  # region id -> its clauses
    judging: dict[str, tuple[Clause, ...]]  # region id -> the clauses of it and its slots
    # Core positions that a clause names ("at the 4-position"): symmetric matches that
    # put different atoms there decide differently, so both are kept.
    positions: tuple[int, ...]
    # Core atoms whose groups a region explains however many there are; a group left
    # over on any other core atom changes the core itself.
    claimed: frozenset[int]
    core_names: dict[int, str]
    # Region id -> a number standing for what decides its outcome: the scaffold, the
    # region, its clauses (and its slots', for ``single``) and the limits. Memo keys hold
    # the number, not the tuples it stands for.
    single_keys: dict[str, int]
    many_keys: dict[str, int]


_SETUPS = SharedMemo(1024)
_KEYS = SharedMemo(4096)
_NEXT_KEY = itertools.count()


def _interned(key: tuple[object, ...], keep: object) -> int:
    """A number for ``key``, never given to another; ``keep`` holds the objects its ids name."""
    found = _KEYS.get(key)
    if found is None:
        found = (next(_NEXT_KEY), keep)
        _KEYS.put(key, found)
    return cast(tuple[int, object], found)[0]


def _fit_setup(scaffold: Scaffold, clauses: Sequence[Clause], limits: Limits) -> _FitSetup:
    # Kept with the scaffold and clauses themselves, so that the ids in the key stay theirs.
    # A rule hands the same tuple of clauses to every fit of a day (``clauses_at``).
    ids = id(clauses) if isinstance(clauses, tuple) else tuple(map(id, clauses))
    key = (id(scaffold), ids, limits)
    found = _SETUPS.get(key)
    if found is not None:
        return cast(tuple[_FitSetup, object], found)[0]
    by_region: dict[str, list[Clause]] = defaultdict(list)
    for clause in clauses:
        by_region[clause.region].append(clause)
    judging = {
        region.id: tuple(
            c for r in (region, *region.descendants()) for c in by_region.get(r.id, ())
        )
        for region in scaffold.all_regions()
    }
    setup = _FitSetup(
        by_region=dict(by_region),
        judging=judging,
        positions=tuple(sorted({m for c in clauses for m in c.at})),
        claimed=frozenset(m for r in scaffold.regions if r.take == "all" for m in r.from_atoms),
        core_names=dict(scaffold.core_atoms),
        single_keys={
            r: _interned(
                ("single", id(scaffold), r, tuple(map(id, judged)), limits), (scaffold, judged)
            )
            for r, judged in judging.items()
        },
        many_keys={
            r.id: _interned(
                ("many", id(scaffold), r.id, tuple(map(id, by_region.get(r.id, ())))),
                (scaffold, tuple(by_region.get(r.id, ()))),
            )
            for r in scaffold.all_regions()
        },
    )
    _SETUPS.put(key, (setup, (scaffold, tuple(clauses))))
    return setup


class _Fitter:
    """Explain every decomposition of one molecule under one set of clauses; keep the best.

    Each region's outcome is kept in the molecule's cache, per (scaffold, region, group,
    clauses): the decompositions of a molecule share most of their regions, and the
    readings of a rule most of their clauses.
    """

    def __init__(
        self,
        mol: Chem.Mol,
        scaffold: Scaffold,
        clauses: Sequence[Clause],
        limits: Limits,
        cache: MolCache | None = None,
    ) -> None:
        self.mol = mol
        self.cache = cache if cache is not None and cache.mol is mol else MolCache(mol)
        self.scaffold = scaffold
        self.limits = limits
        setup = _fit_setup(scaffold, clauses, limits)
        self.by_region = setup.by_region
        self.judging = setup.judging
        self.positions = setup.positions
        self.claimed = setup.claimed
        self.core_names = setup.core_names
        self.single_keys = setup.single_keys
        self.many_keys = setup.many_keys

    # -- the whole structure -----------------------------------------------------------------

    def fit(self) -> Fit:
        decompositions = decompose(self.cache, self.scaffold, self.positions, self.limits)
        if not decompositions:
            absent = self.cache.absent
            if self.scaffold.id not in absent:
                absent[self.scaffold.id] = _absent_fit(self.mol, self.scaffold)
            return cast(Fit, absent[self.scaffold.id])
        best: tuple[tuple[int, int, int, str], _Outcome] | None = None
        for decomposition in decompositions:
            core = self._core_differences(decomposition)
            for assignment in decomposition.assignments:
                # An account with more differences than the best so far cannot win.
                outcome = self._explain(
                    decomposition, assignment, core, None if best is None else best[0][0]
                )
                if outcome is None:
                    continue
                rank = outcome.rank()
                if best is None or rank < best[0]:
                    best = (rank, outcome)
        assert best is not None
        _, outcome = best
        regions = {name: tuple(sorted(atoms)) for name, atoms in outcome.sub_regions}
        return Fit(
            modifications=outcome.modifications,
            differences=outcome.differences,
            regions=tuple(sorted(regions.items())),
            core_found=True,
            also=tuple(sorted(outcome.also)),
        )

    def takes_in(self, reference_is_member: bool) -> bool:
        """``fit().verdict is MATCH``, without choosing or wording the best account.

        A member needs one account without a difference (so none of a changed core). The
        best such account is one that changes nothing, if there is one: the structure is
        then the reference itself, a member only where the definition includes it.
        """
        changed = False
        for decomposition in decompose(self.cache, self.scaffold, self.positions, self.limits):
            if decomposition.cut.extra_bonds or decomposition.cut.closures:
                continue
            for assignment in decomposition.assignments:
                modified = self._modified(decomposition, assignment)
                if modified is None:
                    continue
                if reference_is_member or not modified:
                    return reference_is_member  # any account will do / the reference itself
                changed = True
        return changed

    def _modified(self, decomposition: Decomposition, assignment: Assignment) -> bool | None:
        """Whether the account changes anything; None when it has a difference.

        The same as ``_explain``, but the regions after the first difference are not
        explained.
        """
        if any(m not in self.claimed for m, _ in assignment.leftovers):
            return None  # a group on a core atom that no region explains
        modified = False
        for region in self.scaffold.regions:
            outcome = self._explain_region(region, decomposition, assignment)
            if outcome.differences:
                return None
            modified = modified or bool(outcome.modifications)
        return modified

    def _core_differences(self, decomposition: Decomposition) -> tuple[Difference, ...]:
        """The changes to the core itself: extra bonds in it, rings closed onto it."""
        names = self.core_names
        atom_map = decomposition.atom_map
        cut = decomposition.cut
        bonds = [
            Difference(
                "core", wording.extra_core_bond(names[atom_map[a]], names[atom_map[b]]), (a, b)
            )
            for a, b in cut.extra_bonds
        ]
        rings = [
            Difference(
                "core",
                wording.ring_closed_onto_core([names[m] for m in closure.at]),
                tuple(sorted(closure.atoms)),
            )
            for closure in cut.closures
        ]
        return (*bonds, *rings)

    def _explain(
        self,
        decomposition: Decomposition,
        assignment: Assignment,
        core: tuple[Difference, ...],
        most: int | None = None,
    ) -> _Outcome | None:
        """Explain every region of one decomposition, and every group no region took.

        None as soon as there are more than ``most`` differences (None: no bound).
        """
        unclaimed = sum(1 for m, _ in assignment.leftovers if m not in self.claimed)
        found = len(core) + unclaimed
        if most is not None and found > most:
            return None
        modifications: list[Modification] = []
        differences: list[Difference] = list(core)
        sub_regions: list[tuple[str, frozenset[int]]] = []
        also: set[str] = set()
        for region in self.scaffold.regions:
            outcome = self._explain_region(region, decomposition, assignment)
            found += len(outcome.differences)
            if most is not None and found > most:
                return None
            modifications.extend(outcome.modifications)
            differences.extend(outcome.differences)
            sub_regions.append((region.id, decomposition.shown[region.id] | outcome.atoms))
            sub_regions.extend(outcome.sub_regions)
            also |= outcome.also
        for map_number, group in assignment.leftovers:
            if map_number not in self.claimed:
                sentence = wording.group_on_core(self._describe(group), self.core_names[map_number])
                differences.append(Difference("core", sentence, tuple(sorted(group.atoms))))
        return _Outcome(
            modifications=tuple(modifications),
            differences=tuple(differences),
            sub_regions=tuple(sub_regions),
            also=frozenset(also),
        )

    def _explain_region(
        self, region: Region, decomposition: Decomposition, assignment: Assignment
    ) -> _Outcome:
        cut = decomposition.cut
        if region.take == "bridge":
            return self._explain_one(region, cut.bridged.get(region.id), ())
        if region.take == "one":
            group = assignment.groups.get(region.id)
            if group is None and set(region.from_atoms) & cut.closed_at:
                # The ring closed onto this atom already accounts for the region.
                return _Outcome()
            return self._explain_one(region, group, ())
        atom_map = decomposition.atom_map
        mine = tuple(
            (g, atom_map[g.anchor]) for m, g in assignment.leftovers if m in region.from_atoms
        )
        # The assignments of a decomposition, and the readings of a rule, share most of it.
        key = (self.many_keys[region.id], mine)
        memo = self.cache.explained
        if key not in memo:
            memo[key] = self._explain_many(region, [g for g, _ in mine], atom_map)
        return cast(_Outcome, memo[key])

    # -- regions --------------------------------------------------------------------------------

    def _clauses(self, region: Region) -> list[Clause]:
        return self.by_region.get(region.id, [])

    def _describe(self, group: Group) -> str:
        return wording.describe_substituent(self.cache.smiles(group), self.cache.kinds(group))

    def _explain_many(
        self, region: Region, groups: list[Group], atom_map: Mapping[int, int]
    ) -> _Outcome:
        """A region made of any number of substituents on core atoms (the piperidine ring).

        Args:
            region: the region.
            groups: the groups bonded to its core atoms that no other region took.
            atom_map: atom index -> core map number, in the decomposition being explained.
        """
        clauses = [c for c in self._clauses(region) if c.substitute]
        outcomes = []
        if region.reference is not None:
            # The reference has a group here (etonitazene's 5-nitro): kept in place, it is
            # no change; gone, it is one that a clause must allow ("unsubstituted").
            kept = next(
                (
                    g
                    for g in groups
                    if atom_map[g.anchor] == region.reference_at
                    and self.cache.smiles(g) == region.reference
                ),
                None,
            )
            if kept is None:
                outcomes.append(self._reference_removed(region))
            else:
                groups = [g for g in groups if g is not kept]
                outcomes.append(_Outcome(atoms=kept.atoms))
        for group in groups:
            position = atom_map[group.anchor]
            allowed = [
                c
                for c in clauses
                if (not c.at or position in c.at)
                and substituent_allowed(self.cache.kinds(group), c.substitute)
            ]
            outcomes.append(
                self._substituent_outcome(region, group, allowed, clauses, where=position)
            )
        return _combine(outcomes)

    def _reference_removed(self, region: Region) -> _Outcome:
        """The reference's group of a many-group region is gone: allowed by a "hydrogen"."""
        here = self._clauses(region)
        labels = sorted({c.label for c in here for r in c.replace if r.kind in ABSENT_KINDS})
        if labels:
            sentence = wording.replacement_allowed(
                "hydrogen",
                labels[0],
                region=region.name,
                reference=region.reference_name,
                closes_ring=False,
            )
            return _Outcome(modifications=(Modification(region.id, (labels[0],), sentence, ()),))
        tried = tuple(sorted({c.label for c in here}))
        sentence = wording.region_removed(region.reference_name)
        return _Outcome(differences=(Difference(region.id, sentence, (), tried),))

    def _substituent_outcome(
        self,
        region: Region,
        group: Group,
        allowed: list[Clause],
        tried: list[Clause],
        where: int | None = None,
    ) -> _Outcome:
        what = self._describe(group)
        atom = None if where is None else self.core_names[where]
        atoms = tuple(sorted(group.atoms))
        if allowed:
            labels = tuple(sorted({c.label for c in allowed}))
            sentence = wording.substituent_allowed(what, region.name, atom, labels)
            return _Outcome(
                modifications=(Modification(region.id, labels, sentence, atoms),),
                atoms=group.atoms,
            )
        tried_labels = tuple(sorted({c.label for c in tried}))
        sentence = wording.substituent_not_allowed(what, region.name, atom, tried_labels)
        return _Outcome(
            differences=(Difference(region.id, sentence, atoms, tried_labels),),
            atoms=group.atoms,
        )

    def _explain_one(
        self, region: Region, group: Group | None, inherited: tuple[Clause, ...]
    ) -> _Outcome:
        # Shared by every fit of this molecule: the outcome depends only on the group and
        # on the clauses of the region, its slots and those it inherits (by identity: a
        # rule set's clauses live as long as it does).
        number = self.single_keys[region.id]
        key = (number, group, tuple(map(id, inherited))) if inherited else (number, group)
        memo = self.cache.explained
        if key not in memo:
            memo[key] = self._explain_shared(region, group, inherited)
        return cast(_Outcome, memo[key])

    def _explain_shared(
        self, region: Region, group: Group | None, inherited: tuple[Clause, ...]
    ) -> _Outcome:
        """The outcome found for the same group in an earlier molecule, its atoms mapped.

        Shared only where it cannot differ from what this molecule would give: the group
        hangs off its anchor alone, the region's queries read nothing beyond the group and
        its anchor, and no match list of theirs was cut short in this molecule (a bounded
        list depends on the whole molecule).
        """
        if group is None or not self._complete(region):
            return self._explain_one_uncached(region, group, inherited)
        group_key = self.cache.key(group)
        if group_key is None:
            return self._explain_one_uncached(region, group, inherited)
        key = (self.single_keys[region.id], tuple(map(id, inherited)), group_key)
        found = _EXPLAINED.get(key)
        atoms = tuple(sorted(group.atoms))
        if found is not None:
            positional, last, _ = cast(
                tuple[_Outcome, list[tuple[tuple[int, ...], _Outcome]], object], found
            )
            seen_atoms, seen = last[0]  # one read: another thread may replace it
            if seen_atoms != atoms:  # a library repeats a group at the same atoms often
                seen = _renumbered(positional, atoms.__getitem__)
                last[0] = (atoms, seen)
            return seen
        outcome = self._explain_one_uncached(region, group, inherited)
        position = {a: k for k, a in enumerate(atoms)}
        try:
            positional = _renumbered(outcome, position.__getitem__)
        except KeyError:
            return outcome  # it names an atom outside the group: kept for this molecule only
        # The region and the clauses are kept alive with the answer, so that the ids in
        # its key cannot be taken by other objects while it is held. The answer last
        # given, with its atoms, is kept too: outcomes are immutable, so it is shared.
        keep = (region, self.judging[region.id], inherited)
        _EXPLAINED.put(key, (positional, [(atoms, outcome)], keep))
        return outcome

    def _complete(self, region: Region) -> bool:
        """True when the region's queries read only the group, and found every match here."""
        # A molecule's cache lives while its rule set does: a region's id stays its own.
        most = self.limits.max_skeleton_matches * 50
        key = (id(region), most)
        done = self.cache.complete
        if key not in done:
            queries = _region_queries(region)
            done[key] = queries is not None and all(
                len(self.cache.matches(query, most)) < most for query in queries
            )
        return done[key]

    def _explain_one_uncached(
        self, region: Region, group: Group | None, inherited: tuple[Clause, ...]
    ) -> _Outcome:
        here = self._clauses(region)
        below = [c for slot in region.descendants() for c in self._clauses(slot)]
        tried = tuple(sorted({c.label for c in (*here, *below, *inherited)}))
        if group is None:
            if region.reference is None:
                return _Outcome()
            sentence = wording.region_removed(region.reference_name)
            return _Outcome(differences=(Difference(region.id, sentence, (), tried),))
        smiles = self.cache.smiles(group)
        atoms = tuple(sorted(group.atoms))
        if smiles == region.reference:
            return _Outcome(atoms=group.atoms)
        name = wording.name_group(smiles, region.names)
        candidates: list[_Outcome] = []
        for clause in here:
            for replacement in clause.replace:
                if replacement.kind in SKELETON_KINDS:
                    continue  # judged below, with the slot kept
                if replacement_fits(self.mol, group, replacement.kind, replacement.options):
                    sentence = wording.replacement_allowed(
                        name,
                        clause.label,
                        region=region.name,
                        reference=region.reference_name,
                        closes_ring=region.take == "bridge",
                    )
                    candidates.append(
                        _Outcome(
                            modifications=(
                                Modification(region.id, (clause.label,), sentence, atoms),
                            ),
                            atoms=group.atoms,
                        )
                    )
                    break
        substituting = (*inherited, *[c for c in here if c.substitute])
        query = _region_query(region)
        if query is not None:
            candidates.extend(self._skeleton_outcomes(region, group, query, substituting))
        candidates.extend(self._skeleton_replaced(region, group, here, inherited, query))
        if not any(not c.differences for c in candidates):
            sentence = wording.replacement_not_allowed(
                region.reference_name,
                name,
                [(c.not_covered, c.label) for c in here if c.replace and c.not_covered],
                region.skeleton_lost,
                tried,
            )
            candidates.append(
                _Outcome(
                    differences=(Difference(region.id, sentence, atoms, tried),),
                    atoms=group.atoms,
                    generic=True,
                )
            )
        candidates.sort(key=_Outcome.rank)
        best = candidates[0]
        if not best.differences:
            also = set(best.also)
            used = {c for m in best.modifications for c in m.clauses}
            for other in candidates[1:]:
                if not other.differences:
                    also |= {c for m in other.modifications for c in m.clauses} - used
                    also |= set(other.also)
            best = best._replace(also=frozenset(also))
        return best

    def _skeleton_outcomes(
        self, region: Region, group: Group, query: Chem.Mol, substituting: tuple[Clause, ...]
    ) -> Iterator[_Outcome]:
        """Keep the region's skeleton; explain slots and every added substituent."""
        within = group.atoms | {group.anchor}
        map_index = _map_index(query)
        seen: set[frozenset[int]] = set()
        matches = self.cache.matches(query, self.limits.max_skeleton_matches * 50)
        tried = 0
        for match in matches:
            if match[0] != group.anchor or match[1] != group.root:
                continue
            if not set(match) <= within:
                continue
            if self._bonds_among(match) != query.GetNumBonds():
                # A bond the skeleton lacks joins two of its atoms: the ring of
                # 2,3-dihydrobenzofuran-5-yl holds every atom of 4-ethoxyphenyl, yet it is
                # not 4-ethoxyphenyl kept.
                continue
            skeleton = frozenset(match[1:])
            slot_anchors: dict[str, int] = {}
            for slot in region.slots:
                assert slot.at is not None  # the loader gives every slot its skeleton atom
                slot_anchors[slot.id] = match[map_index[slot.at]]
            signature = skeleton | frozenset(slot_anchors.values())
            if signature in seen:
                continue
            seen.add(signature)
            tried += 1
            if tried > self.limits.max_skeleton_matches:
                break
            pieces = substituents_of(self.mol, group.atoms, skeleton)
            options = []
            for slot in region.slots:
                anchor = slot_anchors[slot.id]
                options.append([p for p in pieces if p.anchor == anchor] + [None])
            for chosen in itertools.product(*options):
                used = {p.root for p in chosen if p is not None}
                parts: list[_Outcome] = []
                subs: list[tuple[str, frozenset[int]]] = []
                for slot, piece in zip(region.slots, chosen, strict=True):
                    outcome = self._explain_one(slot, piece, substituting)
                    parts.append(outcome)
                    subs.append((slot.id, outcome.atoms))
                for piece in pieces:
                    if piece.root in used:
                        continue
                    if piece.anchor == -1:
                        parts.append(self._fused_ring(region, piece))
                        continue
                    allowed = [
                        c
                        for c in substituting
                        if substituent_allowed(self.cache.kinds(piece), c.substitute)
                    ]
                    parts.append(
                        self._substituent_outcome(region, piece, allowed, list(substituting))
                    )
                combined = _combine(parts)
                yield combined._replace(
                    atoms=group.atoms, sub_regions=(*subs, *combined.sub_regions)
                )

    def _skeleton_replaced(
        self,
        region: Region,
        group: Group,
        here: list[Clause],
        inherited: tuple[Clause, ...],
        query: Chem.Mol | None,
    ) -> Iterator[_Outcome]:
        """The region's skeleton replaced by an allowed kind, its one slot judged on its own.

        Every bond of the group outside a ring is a place where the slot's group may begin:
        the part on the anchor's side is tested as the skeleton's replacement, the other
        part is explained by the slot's clauses ("a C1-C2 hydrocarbyl in place of the
        methylene, the aryl replaced or not").
        """
        allowed = [
            (clause, replacement)
            for clause in here
            for replacement in clause.replace
            if replacement.kind in SKELETON_KINDS
        ]
        if not allowed or len(region.slots) != 1:
            return
        (slot,) = region.slots
        ring_info = self.mol.GetRingInfo()
        bonded = neighbours(self.mol)
        for far_end in sorted(group.atoms):
            for root in bonded[far_end]:
                if root not in group.atoms or root == group.root:
                    continue
                bond = self.mol.GetBondBetweenAtoms(far_end, root)
                if ring_info.NumBondRings(bond.GetIdx()):
                    continue
                piece = self._side(group.atoms, root, far_end)
                if group.root in piece:
                    continue
                linker = Group(group.atoms - piece, group.root, group.anchor)
                if self._is_reference_skeleton(linker, query, root):
                    continue  # the skeleton is kept: _skeleton_outcomes explains it
                fitting = [
                    clause
                    for clause, replacement in allowed
                    if skeleton_fits(
                        self.mol, linker, far_end, replacement.kind, replacement.options
                    )
                ]
                if not fitting:
                    continue
                clause = fitting[0]
                name = wording.name_group(linker_smiles(self.mol, linker, far_end, root), "linker")
                sentence = wording.replacement_allowed(
                    name,
                    clause.label,
                    region=region.name,
                    reference=region.skeleton_name or region.reference_name,
                    closes_ring=False,
                )
                inside = self._explain_one(slot, Group(piece, root, far_end), inherited)
                mine = Modification(
                    region.id, (clause.label,), sentence, tuple(sorted(linker.atoms))
                )
                yield _Outcome(
                    modifications=(mine, *inside.modifications),
                    differences=inside.differences,
                    atoms=group.atoms,
                    sub_regions=((slot.id, inside.atoms), *inside.sub_regions),
                    also=inside.also,
                )

    def _bonds_among(self, atoms: Sequence[int]) -> int:
        """How many bonds of the molecule join two of ``atoms``."""
        chosen = set(atoms)
        bonded = neighbours(self.mol)
        return sum(1 for i in chosen for j in bonded[i] if j in chosen and i < j)

    def _side(self, atoms: frozenset[int], start: int, cut_from: int) -> frozenset[int]:
        """The atoms of ``atoms`` reached from ``start`` without crossing back to ``cut_from``."""
        seen = {start}
        frontier = [start]
        bonded = neighbours(self.mol)
        while frontier:
            i = frontier.pop()
            for j in bonded[i]:
                if j in atoms and j not in seen and not (i == start and j == cut_from):
                    seen.add(j)
                    frontier.append(j)
        return frozenset(seen)

    def _is_reference_skeleton(self, linker: Group, query: Chem.Mol | None, root: int) -> bool:
        """True when ``linker`` is exactly the region's skeleton, with the slot at ``root``."""
        if query is None:
            return False
        within = linker.atoms | {linker.anchor}
        for match in self.cache.matches(query, self.limits.max_skeleton_matches * 50):
            if match[0] == linker.anchor and set(match[1:]) == set(linker.atoms):
                return bool(set(match) <= within)
        return False

    def _fused_ring(self, region: Region, piece: Group) -> _Outcome:
        smiles = Chem.MolFragmentToSmiles(self.mol, sorted(piece.atoms), isomericSmiles=False)
        return _Outcome(
            differences=(
                Difference(
                    region.id,
                    wording.ring_fused_to(smiles, region.name),
                    tuple(sorted(piece.atoms)),
                ),
            ),
            atoms=piece.atoms,
        )


_CORE_CATALOGS = SharedMemo(256)
_NO_CORE = SharedMemo(1024)


def _look_for_cores(mol: Chem.Mol, rule: ClassRule, cache: MolCache) -> None:
    """Settle at once the scaffolds of a rule whose cores and near misses are all absent.

    One search of a catalogue of every core and known near miss of the rule's scaffolds
    (seven reference forms of synthetic cannabinoids) costs about what one search costs
    from Python. When nothing matches, each scaffold's fit is its plain absent fit. Asked
    of rules with several reference forms only (one form is searched on its own), once a
    molecule.
    """
    if len(rule.scaffolds) < 2 or rule.id in cache.screened:
        return
    cache.screened.add(rule.id)
    if any(s.id in cache.core_matches or s.id in cache.absent for s in rule.scaffolds):
        return
    found = _CORE_CATALOGS.get(id(rule))
    if found is None:
        queries = [q for s in rule.scaffolds for q in (s.core, *(p.query for p in s.near_misses))]
        catalog = query_catalog(catalog_entry(n, q) for n, q in enumerate(queries))
        found = (catalog, rule)  # the rule kept with its id
        _CORE_CATALOGS.put(id(rule), found)
    if not cast(tuple[FilterCatalog.FilterCatalog, ClassRule], found)[0].HasMatch(mol):
        for scaffold in rule.scaffolds:
            cache.absent[scaffold.id] = _no_core(scaffold)


def _no_core(scaffold: Scaffold) -> Fit:
    """The fit of a structure with neither the scaffold's core nor a near miss of it."""
    found = _NO_CORE.get(id(scaffold))
    if found is None:
        fit = Fit(differences=(Difference("core", scaffold.absent, ()),), core_found=False)
        found = (fit, scaffold)
        _NO_CORE.put(id(scaffold), found)
    return cast(tuple[Fit, Scaffold], found)[0]


_NEAR_MISS_CATALOGS = SharedMemo(256)


def _absent_fit(mol: Chem.Mol, scaffold: Scaffold) -> Fit:
    """The fit of a structure without the scaffold's core: a known near miss of it, or none."""
    if len(scaffold.near_misses) > 1:
        # Most structures hold none: one search of them all says so (the nitazenes' four).
        found = _NEAR_MISS_CATALOGS.get(id(scaffold))
        if found is None:
            queries = (p.query for p in scaffold.near_misses)
            found = (query_catalog(catalog_entry(n, q) for n, q in enumerate(queries)), scaffold)
            _NEAR_MISS_CATALOGS.put(id(scaffold), found)  # the scaffold kept with its id
        if not cast(tuple[FilterCatalog.FilterCatalog, Scaffold], found)[0].HasMatch(mol):
            return _no_core(scaffold)
    for pattern in scaffold.near_misses:
        if mol.HasSubstructMatch(pattern.query):
            atoms = mol.GetSubstructMatch(pattern.query)
            return Fit(
                differences=(Difference("core", pattern.says, tuple(sorted(atoms))),),
                core_found=False,
                near=True,
            )
    return _no_core(scaffold)


def fit_scaffold(
    mol: Chem.Mol,
    scaffold: Scaffold,
    clauses: Sequence[Clause],
    limits: Limits = DEFAULT_LIMITS,
    cache: MolCache | None = None,
) -> Fit:
    """Fit ``mol`` to ``scaffold`` under ``clauses``.

    Args:
        mol: the standardised parent.
        scaffold: the reference structure, cut into core and regions.
        clauses: the clauses of one definition (as written or under a reading).
        limits: bounds on the search.
        cache: per-molecule results shared by several fits of the same molecule.

    Returns:
        The best decomposition found: member when it has no unexplained difference.
    """
    if cache is not None and cache.mol is mol:
        # Without the core, the answer depends on the molecule and the scaffold only.
        if scaffold.id not in cache.absent and not cache.core_matches_of(scaffold, limits):
            cache.absent[scaffold.id] = _absent_fit(mol, scaffold)
        if scaffold.id in cache.absent:
            return cast(Fit, cache.absent[scaffold.id])
    fitter = _Fitter(mol, scaffold, clauses, limits, cache)
    return fitter.fit()


def fit_rule(
    mol: Chem.Mol,
    rule: ClassRule,
    day: dt.date | None = None,
    reading: Reading | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cache: MolCache | None = None,
) -> Fit:
    """Fit ``mol`` to a definition: each of its reference forms, with the clauses of ``day``.

    Args:
        mol: the standardised parent.
        rule: the definition.
        day: the day whose clauses apply (None: every clause the file has).
        reading: a named reading to apply, or None for the default reading.
        limits: bounds on the search.
        cache: per-molecule results shared across fits.

    Returns:
        The best fit over the definition's scaffolds (a member if any scaffold takes it in).
    """
    clauses = rule.clauses_at(day, reading)
    cache = cache if cache is not None else MolCache(mol)
    _look_for_cores(mol, rule, cache)
    member = rule.reference_is_member
    best: tuple[tuple[bool, bool, int], Fit] | None = None
    for scaffold in rule.scaffolds:
        fit = fit_scaffold(mol, scaffold, clauses, limits, cache)
        matched = (
            fit.core_found
            and not fit.differences
            and bool(fit.modifications or member or fit.reference_is_member)
        )
        rank = (not matched, not fit.core_found, len(fit.differences))
        if best is None or rank < best[0]:
            best = (rank, fit)
    assert best is not None
    fit = best[1]
    return _as_member(fit) if member else fit


def _as_member(fit: Fit) -> Fit:
    """The fit of a family that includes its parent: the plain absent fit made once."""
    if fit.core_found or fit.near:
        return replace(fit, reference_is_member=True)
    found = _NO_CORE_MEMBER.get(id(fit))
    if found is None or cast(tuple[Fit, Fit], found)[1] is not fit:
        found = (replace(fit, reference_is_member=True), fit)  # the fit kept with its id
        _NO_CORE_MEMBER.put(id(fit), found)
    return cast(tuple[Fit, Fit], found)[0]


_NO_CORE_MEMBER = SharedMemo(1024)


def takes_in(
    mol: Chem.Mol, rule: ClassRule, clauses: Sequence[Clause], cache: MolCache, limits: Limits
) -> bool:
    """``fit_rule(...).verdict is Verdict.MATCH``, found without wording an explanation.

    What a reading would decide is all that a review note needs.

    Args:
        mol: the standardised parent.
        rule: the definition.
        clauses: its clauses, on a day and under a reading (``ClassRule.clauses_at``).
        cache: per-molecule results shared across fits.
        limits: bounds on the search.
    """
    _look_for_cores(mol, rule, cache)
    for scaffold in rule.scaffolds:
        if scaffold.id in cache.absent:
            continue  # the core is absent: no member
        fitter = _Fitter(mol, scaffold, clauses, limits, cache)
        if fitter.takes_in(rule.reference_is_member):
            return True
    return False
