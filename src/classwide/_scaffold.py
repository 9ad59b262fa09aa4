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

It knows nothing of any jurisdiction: the scaffold and the clauses come from rule files.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import yaml
from rdkit import Chem

from classwide._findings import Difference, Fit, Modification, Verdict
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._rules import ClassRule, Clause, Reading, Region, Scaffold
from classwide._vocabulary import (
    KIND_NOUNS,
    Group,
    canonical_fragment,
    group_smiles,
    replacement_fits,
    substituent_allowed,
    substituent_kinds,
    substituents_of,
)


@lru_cache(maxsize=1)
def _group_names() -> dict[str, dict[str, str]]:
    text = (resources.files("classwide") / "vocabulary" / "group-names.yaml").read_text()
    tables = yaml.safe_load(text)
    return {
        table: {canonical_fragment(smiles): name for name, smiles in entries.items()}
        for table, entries in tables.items()
    }


def name_group(smiles: str, table: str) -> str:
    """A name for a group given as canonical SMILES with '*', or the SMILES itself."""
    names = _group_names()
    for key in (table, "substituent", "ring", "acyl", "n1"):
        if smiles in names.get(key, {}):
            return names[key][smiles]
    return smiles


@lru_cache(maxsize=256)
def _reference_query(reference: str) -> Chem.Mol:
    """A query that matches the reference group's atoms and bonds, whatever they carry."""
    mol = Chem.MolFromSmiles(reference)
    # The attachment dummy must match the real atom the group hangs off.
    return Chem.MolFromSmarts(Chem.MolToSmarts(mol).replace("[#0]", "*"))


@dataclass(frozen=True)
class _Outcome:
    """How one region was explained."""

    modifications: tuple[Modification, ...] = ()
    differences: tuple[Difference, ...] = ()
    atoms: frozenset[int] = frozenset()
    sub_regions: tuple[tuple[str, frozenset[int]], ...] = ()
    also: frozenset[str] = field(default_factory=frozenset)
    generic: bool = False  # "replaced by X": used when no more specific account is as short

    def key(self) -> tuple[int, int, int, str]:
        text = (
            "; ".join(m.description for m in self.modifications)
            + "|"
            + "; ".join(d.description for d in self.differences)
        )
        return (len(self.differences), int(self.generic), len(self.modifications), text)


def _combine(outcomes: Sequence[_Outcome], atoms: frozenset[int] = frozenset()) -> _Outcome:
    mods: list[Modification] = []
    diffs: list[Difference] = []
    subs: list[tuple[str, frozenset[int]]] = []
    also: set[str] = set()
    for o in outcomes:
        mods.extend(o.modifications)
        diffs.extend(o.differences)
        atoms = atoms | o.atoms
        subs.extend(o.sub_regions)
        also |= o.also
    return _Outcome(tuple(mods), tuple(diffs), atoms, tuple(subs), frozenset(also))


def _replaced(region: Region, name: str, label: str) -> str:
    """How an allowed replacement reads: a ring closed onto the core reads as such."""
    if region.take == "bridge":
        return f"{region.name}: {name} ({label})"
    return f"{region.reference_name} replaced by {name} ({label})"


def _descendants(region: Region) -> list[Region]:
    found = []
    stack = list(region.slots)
    while stack:
        slot = stack.pop()
        found.append(slot)
        stack.extend(slot.slots)
    return found


class MolCache:
    """What is worth computing once per molecule, across the fits of several rules.

    Group SMILES and substituent kinds depend only on the molecule and the group, not on
    the clauses, so every rule and reading judged on one molecule shares them.
    """

    def __init__(self, mol: Chem.Mol) -> None:
        self.mol = mol
        self._smiles: dict[Group, str] = {}
        self._kinds: dict[Group, tuple[str, ...]] = {}
        self.core_matches: dict[int, tuple[tuple[int, ...], ...]] = {}
        self.cuts: dict[tuple, tuple] = {}
        self.assignments: dict[tuple, tuple] = {}
        self.distinct: dict[tuple, list] = {}

    def smiles(self, group: Group) -> str:
        if group not in self._smiles:
            self._smiles[group] = group_smiles(self.mol, group)
        return self._smiles[group]

    def kinds(self, group: Group) -> tuple[str, ...]:
        if group not in self._kinds:
            self._kinds[group] = substituent_kinds(self.mol, group)
        return self._kinds[group]


class _Fitter:
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
        self.by_region: dict[str, list[Clause]] = defaultdict(list)
        for clause in clauses:
            self.by_region[clause.region].append(clause)
        self.memo: dict[tuple, _Outcome] = {}
        self.core_names = dict(scaffold.core_atoms)
        self._map_of_atom: dict[int, int] = {}
        # Core positions that a clause names ("at the 4-position"): symmetric matches that
        # put different atoms there decide differently, so both are kept.
        self.positions = sorted({m for c in clauses for m in c.at})

    # -- the whole structure -----------------------------------------------------------------

    def fit(self) -> Fit:
        key = id(self.scaffold.core)
        if key not in self.cache.core_matches:
            self.cache.core_matches[key] = self.mol.GetSubstructMatches(
                self.scaffold.core, uniquify=False, maxMatches=self.limits.max_core_matches
            )
        matches = self.cache.core_matches[key]
        if not matches:
            return self._absent()
        best: tuple[tuple[int, int, int, str], _Outcome, dict[int, int]] | None = None
        for match, map_of in self._distinct(matches):
            for outcome in self._decompositions(match, map_of):
                key = outcome.key()
                if best is None or key < best[0]:
                    best = (key, outcome, map_of)
        assert best is not None
        _, outcome, map_of = best
        regions = {name: tuple(sorted(atoms)) for name, atoms in outcome.sub_regions}
        return Fit(
            modifications=outcome.modifications,
            differences=outcome.differences,
            regions=tuple(sorted(regions.items())),
            core_found=True,
            also=tuple(sorted(outcome.also)),
        )

    def _distinct(self, matches: Sequence[tuple[int, ...]]) -> list[tuple[tuple, dict[int, int]]]:
        """One match per symmetry class of the core (a piperidine maps onto itself twice).

        Matches that give every region the same atoms, and every position a clause names
        the same atom, decide alike; of those, the one that puts the groups at the lowest
        position numbers is kept, so that a 3-methyl is reported at C3 rather than C5.
        """
        key = (id(self.scaffold.core), "distinct", tuple(self.positions))
        if key in self.cache.distinct:
            return self.cache.distinct[key]
        chosen: dict[tuple, tuple[tuple[int, ...], tuple, dict[int, int]]] = {}
        for match in sorted(matches):
            map_of = {match[q]: m for m, q in self.scaffold.core_map_to_query}
            atom_of = {m: a for a, m in map_of.items()}
            signature = (
                frozenset(match),
                tuple(
                    frozenset(atom_of[m] for m in region.from_atoms)
                    for region in self.scaffold.regions
                ),
                tuple(atom_of.get(m) for m in self.positions),
            )
            cut_key = (id(self.scaffold.core), match)
            if cut_key not in self.cache.cuts:
                self.cache.cuts[cut_key] = self._cut(match, map_of)
            _, at_atom, closed_at, _ = self.cache.cuts[cut_key]
            anchors = tuple(sorted({m for m, groups in at_atom.items() if groups} | closed_at))
            if signature not in chosen or anchors < chosen[signature][1]:
                chosen[signature] = (match, anchors, map_of)
        kept = [(match, map_of) for match, _, map_of in chosen.values()]
        self.cache.distinct[key] = kept
        return kept

    def _absent(self) -> Fit:
        for pattern in self.scaffold.near_misses:
            if self.mol.HasSubstructMatch(pattern.query):
                atoms = self.mol.GetSubstructMatch(pattern.query)
                return Fit(
                    differences=(Difference("core", pattern.says, tuple(sorted(atoms))),),
                    core_found=False,
                    near=True,
                )
        return Fit(differences=(Difference("core", self.scaffold.absent, ()),), core_found=False)

    def _cut(
        self, match: tuple[int, ...], map_of: dict[int, int]
    ) -> tuple[list[Difference], dict[int, list[Group]], set[int], dict[str, Group]]:
        """Cut the molecule around one core match: groups per core atom, and ring closures."""
        core = frozenset(match)
        core_diffs: list[Difference] = []
        query_bonds = {
            frozenset((match[b.GetBeginAtomIdx()], match[b.GetEndAtomIdx()]))
            for b in self.scaffold.core.GetBonds()
        }
        for a in sorted(core):
            for n in self.mol.GetAtomWithIdx(a).GetNeighbors():
                b = n.GetIdx()
                pair = frozenset((a, b))
                if a < b and b in core and pair not in query_bonds:
                    names = " and ".join(self.core_names[map_of[x]] for x in (a, b))
                    core_diffs.append(
                        Difference("core", f"an extra bond joins {names} (a bridged core)", (a, b))
                    )
        at_atom: dict[int, list[Group]] = defaultdict(list)
        closed_at: set[int] = set()
        bridged: dict[str, Group] = {}
        bridges = [r for r in self.scaffold.regions if r.take == "bridge"]
        for group in substituents_of(self.mol, frozenset(range(self.mol.GetNumAtoms())), core):
            if group.anchor == -1:
                links = sorted(
                    (map_of[n.GetIdx()], n.GetIdx(), i)
                    for i in group.atoms
                    for n in self.mol.GetAtomWithIdx(i).GetNeighbors()
                    if n.GetIdx() in core
                )
                touched = sorted({m for m, _, _ in links})
                bridge = next(
                    (r for r in bridges if len(links) >= 2 and set(touched) <= set(r.from_atoms)),
                    None,
                )
                if bridge is not None:
                    # A ring the definition expects, such as a cyclic acetal's -CH2CH2-.
                    _, anchor, root = links[0]
                    bridged[bridge.id] = Group(group.atoms, root, anchor)
                    continue
                closed_at.update(touched)
                names = ", ".join(self.core_names[m] for m in touched)
                core_diffs.append(
                    Difference(
                        "core",
                        f"a ring is closed onto the core at {names}: fused, bridged or spiro "
                        "rings are not among the allowed modifications",
                        tuple(sorted(group.atoms)),
                    )
                )
            else:
                at_atom[map_of[group.anchor]].append(group)
        return core_diffs, at_atom, closed_at, bridged

    def _decompositions(self, match: tuple[int, ...], map_of: dict[int, int]) -> Iterator[_Outcome]:
        key = (id(self.scaffold.core), match)
        if key not in self.cache.cuts:
            self.cache.cuts[key] = self._cut(match, map_of)
        core_diffs, at_atom, closed_at, bridged = self.cache.cuts[key]
        self._map_of_atom = map_of
        if key not in self.cache.assignments:
            # Which group goes to which region depends on the molecule and the scaffold
            # only: every rule and reading on this scaffold shares the list.
            self.cache.assignments[key] = self._assignments(match, map_of, at_atom)
        core_region_atoms, combinations = self.cache.assignments[key]
        for assigned, leftovers in combinations:
            outcomes: list[_Outcome] = [_Outcome(differences=tuple(core_diffs))]
            for region in self.scaffold.regions:
                if region.take == "bridge":
                    outcome = self._explain_one(region, bridged.get(region.id), ())
                elif region.take == "one":
                    group = assigned.get(region.id)
                    if group is None and set(region.from_atoms) & closed_at:
                        # The ring closed onto this atom already accounts for the region.
                        outcome = _Outcome()
                    else:
                        outcome = self._explain_one(region, group, ())
                else:
                    mine = [g for m, g in leftovers if m in region.from_atoms]
                    outcome = self._explain_many(region, mine)
                shown = core_region_atoms[region.id] | outcome.atoms
                outcomes.append(
                    _Outcome(
                        outcome.modifications,
                        outcome.differences,
                        shown,
                        ((region.id, shown), *outcome.sub_regions),
                        outcome.also,
                    )
                )
            claimed = {m for r in self.scaffold.regions if r.take == "all" for m in r.from_atoms}
            for map_number, group in leftovers:
                if map_number not in claimed:
                    outcomes.append(
                        _Outcome(
                            differences=(
                                Difference(
                                    "core",
                                    f"{self._describe_substituent(group)} on "
                                    f"{self.core_names[map_number]}: "
                                    "not a change any clause allows",
                                    tuple(sorted(group.atoms)),
                                ),
                            )
                        )
                    )
            yield _combine(outcomes)

    def _assignments(
        self, match: tuple[int, ...], map_of: dict[int, int], at_atom: dict[int, list[Group]]
    ) -> tuple[dict[str, frozenset[int]], list[tuple[dict[str, Group | None], list]]]:
        core_region_atoms = {
            r.id: frozenset(a for a in match if map_of[a] in r.shows) for r in self.scaffold.regions
        }
        per_atom_options = []
        for map_number in sorted(self.core_names):
            groups = sorted(at_atom.get(map_number, []), key=lambda g: g.root)
            ones = [
                r for r in self.scaffold.regions if r.take == "one" and map_number in r.from_atoms
            ]
            per_atom_options.append(list(self._assign(map_number, ones, groups)))
        combinations = []
        for combination in itertools.product(*per_atom_options):
            assigned: dict[str, Group | None] = {}
            leftovers: list[tuple[int, Group]] = []
            for one_assignment, rest in combination:
                assigned.update(one_assignment)
                leftovers.extend(rest)
            combinations.append((assigned, leftovers))
        return core_region_atoms, combinations

    @staticmethod
    def _assign(
        map_number: int, regions: list[Region], groups: list[Group]
    ) -> Iterator[tuple[dict[str, Group | None], list[tuple[int, Group]]]]:
        """Every way to give each single-group region one of the groups (or none)."""
        # A region is left without a group only when there are fewer groups than regions:
        # a group is never left over while a region that could take it stands empty.
        choices: list[Group | None] = [*groups, *([None] * max(0, len(regions) - len(groups)))]
        seen = set()
        for perm in itertools.permutations(choices, len(regions)):
            key = tuple(g.root if g else -1 for g in perm)
            if key in seen:
                continue
            seen.add(key)
            used = {g.root for g in perm if g is not None}
            rest = [(map_number, g) for g in groups if g.root not in used]
            yield {r.id: g for r, g in zip(regions, perm, strict=True)}, rest

    # -- regions --------------------------------------------------------------------------------

    def _clauses(self, region: Region) -> list[Clause]:
        return self.by_region.get(region.id, [])

    def _explain_many(self, region: Region, groups: list[Group]) -> _Outcome:
        """A region made of any number of substituents on core atoms (the piperidine ring)."""
        clauses = [c for c in self._clauses(region) if c.substitute]
        outcomes = []
        for group in groups:
            position = self._map_of_atom[group.anchor]
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

    def _substituent_outcome(
        self,
        region: Region,
        group: Group,
        allowed: list[Clause],
        tried: list[Clause],
        where: int | None = None,
    ) -> _Outcome:
        what = self._describe_substituent(group)
        place = f"the {region.name}"
        if where is not None:
            place += f" at {self.core_names[where]}"
        atoms = tuple(sorted(group.atoms))
        if allowed:
            labels = tuple(sorted({c.label for c in allowed}))
            return _Outcome(
                modifications=(
                    Modification(
                        region.id, labels, f"{what} on {place} ({', '.join(labels)})", atoms
                    ),
                ),
                atoms=group.atoms,
            )
        tried_labels = tuple(sorted({c.label for c in tried}))
        why = (
            f"not among the listed substituents ({', '.join(tried_labels)})"
            if tried_labels
            else "no clause allows a substituent there"
        )
        return _Outcome(
            differences=(Difference(region.id, f"{what} on {place}: {why}", atoms, tried_labels),),
            atoms=group.atoms,
        )

    def _explain_one(
        self, region: Region, group: Group | None, inherited: tuple[Clause, ...]
    ) -> _Outcome:
        key = (region.id, group, inherited)
        if key not in self.memo:
            self.memo[key] = self._explain_one_uncached(region, group, inherited)
        return self.memo[key]

    def _explain_one_uncached(
        self, region: Region, group: Group | None, inherited: tuple[Clause, ...]
    ) -> _Outcome:
        here = self._clauses(region)
        below = [c for slot in _descendants(region) for c in self._clauses(slot)]
        tried = tuple(sorted({c.label for c in (*here, *below, *inherited)}))
        if group is None:
            if region.reference is None:
                return _Outcome()
            return _Outcome(
                differences=(
                    Difference(
                        region.id,
                        f"{region.reference_name} removed (hydrogen in its place): "
                        "no clause allows it",
                        (),
                        tried,
                    ),
                )
            )
        smiles = self.cache.smiles(group)
        atoms = tuple(sorted(group.atoms))
        if smiles == region.reference:
            return _Outcome(atoms=group.atoms)
        name = name_group(smiles, region.names)
        candidates: list[_Outcome] = []
        for clause in here:
            for replacement in clause.replace:
                if replacement_fits(self.mol, group, replacement.kind, replacement.options):
                    candidates.append(
                        _Outcome(
                            modifications=(
                                Modification(
                                    region.id,
                                    (clause.label,),
                                    _replaced(region, name, clause.label),
                                    atoms,
                                ),
                            ),
                            atoms=group.atoms,
                        )
                    )
                    break
        substituting = (*inherited, *[c for c in here if c.substitute])
        query = region.skeleton
        if query is None and region.reference is not None:
            query = _reference_query(region.reference)
        if query is not None:
            candidates.extend(self._skeleton_outcomes(region, group, query, substituting))
        if not any(not c.differences for c in candidates):
            reasons = [f"{c.not_covered} ({c.label})" for c in here if c.replace and c.not_covered]
            if region.skeleton_lost:
                labels = ", ".join(tried) if tried else "no clause"
                reasons.append(f"{region.skeleton_lost} ({labels})")
            why = "; ".join(reasons) if reasons else "no clause allows it"
            candidates.append(
                _Outcome(
                    differences=(
                        Difference(
                            region.id,
                            f"{region.reference_name} replaced by {name}: {why}",
                            atoms,
                            tried,
                        ),
                    ),
                    atoms=group.atoms,
                    generic=True,
                )
            )
        candidates.sort(key=_Outcome.key)
        best = candidates[0]
        if not best.differences:
            also = set(best.also)
            used = {c for m in best.modifications for c in m.clauses}
            for other in candidates[1:]:
                if not other.differences:
                    also |= {c for m in other.modifications for c in m.clauses} - used
                    also |= set(other.also)
            best = _Outcome(
                best.modifications, best.differences, best.atoms, best.sub_regions, frozenset(also)
            )
        return best

    def _skeleton_outcomes(
        self, region: Region, group: Group, query: Chem.Mol, substituting: tuple[Clause, ...]
    ) -> Iterator[_Outcome]:
        """Keep the region's skeleton; explain slots and every added substituent."""
        within = group.atoms | {group.anchor}
        map_index = {a.GetAtomMapNum(): a.GetIdx() for a in query.GetAtoms() if a.GetAtomMapNum()}
        seen: set[frozenset[int]] = set()
        matches = self.mol.GetSubstructMatches(
            query, uniquify=False, maxMatches=self.limits.max_skeleton_matches * 50
        )
        tried = 0
        for match in matches:
            if match[0] != group.anchor or match[1] != group.root:
                continue
            if not set(match) <= within:
                continue
            skeleton = frozenset(match[1:])
            slot_anchors = {slot.id: match[map_index[slot.at]] for slot in region.slots}
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
                combined = _combine(parts, group.atoms)
                yield _Outcome(
                    combined.modifications,
                    combined.differences,
                    group.atoms,
                    (*subs, *combined.sub_regions),
                    combined.also,
                )

    def _fused_ring(self, region: Region, piece: Group) -> _Outcome:
        smiles = Chem.MolFragmentToSmiles(self.mol, sorted(piece.atoms), isomericSmiles=False)
        return _Outcome(
            differences=(
                Difference(
                    region.id,
                    f"a ring ({smiles}) is fused to the {region.name}: a fused ring system is "
                    "not a substituent",
                    tuple(sorted(piece.atoms)),
                ),
            ),
            atoms=piece.atoms,
        )

    def _describe_substituent(self, group: Group) -> str:
        smiles = self.cache.smiles(group)
        named = name_group(smiles, "substituent")
        kinds = self.cache.kinds(group)
        if named != smiles:
            if kinds and kinds[0] not in named:
                return f"{named} ({kinds[0]})"
            return named
        if kinds:
            return f"{KIND_NOUNS[kinds[0]]} {smiles}"
        return f"group {smiles}"


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
    best: Fit | None = None
    for scaffold in rule.scaffolds:
        fit = fit_scaffold(mol, scaffold, clauses, limits, cache)
        if rule.reference_is_member:
            fit = replace(fit, reference_is_member=True)
        rank = (fit.verdict is not Verdict.MATCH, not fit.core_found, len(fit.differences))
        if best is None or rank < (
            best.verdict is not Verdict.MATCH,
            not best.core_found,
            len(best.differences),
        ):
            best = fit
    assert best is not None
    return best
