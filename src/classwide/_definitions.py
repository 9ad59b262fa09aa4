"""Class definitions: a reference structure cut into core and regions, and clauses that change it.

A rule file of ``kind: definition`` is one legal definition (``rules/<JURISDICTION>/<id>.yaml``).
A class defined as "a reference structure changed in listed ways" names a *scaffold*
(``rules/scaffolds/<name>.yaml``): the reference structure cut into a fixed core and
regions. The definition lists its clauses, each allowing one kind of change in one region,
and its named readings, each a patch to clauses. Nothing here knows a jurisdiction: a new
law of the same shape is a new file. The keys a file may hold are declared in
``_schema.py`` and checked before these loaders run; the loaders check what the keys mean
(a region that exists, a core atom that is mapped, an example that parses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rdkit import Chem

from classwide._provenance import Period, Provenance, load_header
from classwide._standardize import parse_structure
from classwide._vocabulary import ABSENT_KINDS, SKELETON_KINDS, VOCABULARY
from classwide._yaml import Reader
from classwide.errors import InputError


@dataclass(frozen=True)
class Replacement:
    """One kind of group allowed to take the place of a whole region."""

    kind: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def options(self) -> dict[str, Any]:
        """The kind's parameters as a dict."""
        return dict(self.params)


@dataclass(frozen=True)
class Clause:
    """One clause of a legal definition: a change allowed in one region.

    Attributes:
        label: the clause's label in the legal text ("A", "1").
        text: the clause's short legal wording.
        region: the region (or slot) it changes.
        replace: kinds of group that may take the region's place.
        substitute: kinds of substituent that may be added to the region's skeleton
            (and to the skeletons of its slots: "in or on the phenethyl group").
        at: core atoms (map numbers) where ``substitute`` applies; empty: anywhere.
        not_covered: the phrase that says why a replacement does not fit ("not an acyl group").
    """

    label: str
    text: str
    region: str
    replace: tuple[Replacement, ...] = ()
    substitute: tuple[str, ...] = ()
    at: tuple[int, ...] = ()
    not_covered: str = ""
    since: dt.date | None = None  # a part of a definition that took effect later

    def in_force(self, day: dt.date | None) -> bool:
        """True when the clause is part of the law on ``day`` (None: always)."""
        return day is None or self.since is None or self.since <= day


@dataclass(frozen=True)
class Region:
    """A part of the reference structure that clauses may change.

    A region is either the group(s) bonded to some core atoms (``from_atoms``) or a slot:
    the group bonded to atom ``at`` of its parent region's skeleton.
    """

    id: str
    name: str
    from_atoms: tuple[int, ...]
    # "one" (a single group), "all" (every group left), "bridge" (a ring closed onto these
    # atoms by two or more bonds: a cyclic acetal's -CH2CH2-, a cyclic amine's -(CH2)4-)
    take: str
    reference: str | None  # canonical SMILES with '*', None when the reference has only H
    reference_name: str
    names: str  # which table of group-names.yaml names groups found here
    skeleton: Chem.Mol | None = None
    skeleton_lost: str = ""
    slots: tuple[Region, ...] = ()
    at: int | None = None  # for a slot: the map number of its anchor in the parent skeleton
    shows: tuple[int, ...] = ()  # core atoms drawn as part of this region
    # For a region that takes all groups: the core atom that bears the reference's group.
    reference_at: int | None = None
    skeleton_name: str = ""  # how explanations name the reference's skeleton ("methylene")

    def descendants(self) -> list[Region]:
        """Every slot below this region, depth first."""
        found = []
        stack = list(reversed(self.slots))
        while stack:
            slot = stack.pop()
            found.append(slot)
            stack.extend(reversed(slot.slots))
        return found


@dataclass(frozen=True)
class NearMissPattern:
    """A known way to miss the core, with the sentence that says so."""

    query: Chem.Mol
    says: str


@dataclass(frozen=True)
class Scaffold:
    """A reference structure cut into a core and regions."""

    id: str
    title: str
    reference_name: str
    reference_smiles: str
    core: Chem.Mol
    core_atoms: tuple[tuple[int, str], ...]  # map number -> name
    core_map_to_query: tuple[tuple[int, int], ...]
    absent: str
    regions: tuple[Region, ...]
    near_misses: tuple[NearMissPattern, ...]

    @cached_property
    def single_regions_at(self) -> tuple[tuple[int, tuple[Region, ...]], ...]:
        """Each core map number, ascending, with the regions that take one group there."""
        numbers = sorted(m for m, _ in self.core_atoms)
        return tuple(
            (m, tuple(r for r in self.regions if r.take == "one" and m in r.from_atoms))
            for m in numbers
        )

    @cached_property
    def shown_at(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """Each region's id with the core query atoms drawn as part of it."""
        return tuple(
            (r.id, tuple(q for m, q in self.core_map_to_query if m in r.shows))
            for r in self.regions
        )

    @cached_property
    def query_index(self) -> Mapping[int, int]:
        """Core map number -> the core query's atom index."""
        return dict(self.core_map_to_query)

    @cached_property
    def region_query_atoms(self) -> tuple[tuple[int, ...], ...]:
        """Per region, in order, the core query atoms of the map numbers it is drawn from."""
        return tuple(tuple(self.query_index[m] for m in r.from_atoms) for r in self.regions)

    @cached_property
    def core_bonds(self) -> tuple[tuple[int, int], ...]:
        """The core query's bonds as pairs of query atom indices."""
        return tuple((b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in self.core.GetBonds())

    def region(self, region_id: str) -> Region:
        """Find a region or slot by id."""
        for region in self.all_regions():
            if region.id == region_id:
                return region
        raise KeyError(region_id)

    def all_regions(self) -> Iterable[Region]:
        """Every region and, depth first, its slots."""
        stack = list(reversed(self.regions))
        while stack:
            region = stack.pop()
            yield region
            stack.extend(reversed(region.slots))

    def has_region(self, region_id: str) -> bool:
        """True when a region or slot of that id is part of the scaffold."""
        return any(region.id == region_id for region in self.all_regions())


@dataclass(frozen=True)
class Reading:
    """A named reading of an ambiguous word, and the clauses it would change."""

    id: str
    title: str
    default: str
    alternative: str
    patch: tuple[Clause, ...]  # the clauses as the alternative reading writes them


@dataclass(frozen=True)
class Example:
    """A structure the rule file says is (or is not) in the class, and why."""

    smiles: str
    why: str
    clauses: tuple[str, ...] | None = None
    match: bool = True
    as_of: dt.date | None = None  # the law of that day (None: every clause of the file)


def _direction(written: Clause | None, patched: Clause) -> str | None:
    """Whether ``patched`` allows a superset ("wider") or a subset ("narrower") of ``written``.

    None when neither, or when it changes anything else that decides (its atoms, its date).
    """
    if written is None or (written.at, written.since) != (patched.at, patched.since):
        return None
    allowed, allowing = set(written.substitute), set(patched.substitute)
    if allowed == allowing:
        substitute = "same"
    elif allowed <= allowing or "any" in allowing:
        substitute = "wider"
    elif allowing <= allowed or "any" in allowed:
        substitute = "narrower"
    else:
        return None
    return _joined([substitute, _replace_direction(written.replace, patched.replace)])


def _replace_direction(
    written: tuple[Replacement, ...], patched: tuple[Replacement, ...]
) -> str | None:
    before, after = set(written), set(patched)
    if before == after:
        return "same"
    if before <= after:
        return "wider"
    if after <= before:
        return "narrower"
    if len(written) != len(patched):
        return None
    return _joined([_option_direction(a, b) for a, b in zip(written, patched, strict=True)])


def _option_direction(written: Replacement, patched: Replacement) -> str | None:
    """Options given or taken away, each by its declared effect (``Parameter.effect``)."""
    if written.kind != patched.kind:
        return None
    effects = {p.name: p.effect for p in VOCABULARY[written.kind].parameters}
    before, after = dict(written.params), dict(patched.params)
    found = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new or not (old or new):
            continue  # the same, or not given either way (false and absent alike)
        if (old and new) or not effects.get(name):
            return None  # a value changed (one list for another), or an effect not said
        given = bool(new)
        found.append("wider" if (effects[name] == "widens") == given else "narrower")
    return _joined(found)


def _joined(directions: Sequence[str | None]) -> str | None:
    """One direction for changes made together: "same" when none changes anything."""
    changed = {d for d in directions if d != "same"}
    if not changed:
        return "same"
    return changed.pop() if len(changed) == 1 and None not in changed else None


# Days whose clauses a rule keeps at hand (a service asked about many days starts afresh).
_DAYS_KEPT = 64


@dataclass(frozen=True, kw_only=True)
class ClassRule(Provenance):
    """A class-wide legal definition (a class, or a precursor family), loaded from one file."""

    class_name: str
    periods: tuple[Period, ...]
    scaffolds: tuple[Scaffold, ...]
    clauses: tuple[Clause, ...]
    readings: tuple[Reading, ...] = ()
    examples: tuple[Example, ...] = ()
    reference_is_member: bool = False  # a family ("4-AP and its amides") includes its parent

    @property
    def match_kind(self) -> str:
        """The contract's ``kind`` of a match: "precursor" for a family, else "class"."""
        return "precursor" if self.status == "precursor" else "class"

    @property
    def scaffold(self) -> Scaffold:
        """The first (usually the only) reference structure of the definition."""
        return self.scaffolds[0]

    @cached_property
    def patched_regions(self) -> Mapping[str, frozenset[str]]:
        """Per reading id, the regions whose judgement its patch can change.

        A patched clause's region, the slots below it, and the region whose slot it is.
        """
        found = {}
        for reading in self.readings:
            patched: set[str] = set()
            for clause in reading.patch:
                for scaffold in self.scaffolds:
                    if not scaffold.has_region(clause.region):
                        continue  # the clause's region belongs to another reference form
                    region = scaffold.region(clause.region)
                    patched.add(region.id)
                    patched.update(slot.id for slot in region.descendants())
                    for parent in scaffold.all_regions():
                        if any(s.id == region.id for s in parent.slots):
                            patched.add(parent.id)
            found[reading.id] = frozenset(patched)
        return found

    @cached_property
    def reading_direction(self) -> Mapping[str, str | None]:
        """Per reading id, whether its patch only widens or only narrows the clauses.

        "wider" when it only adds to what the clauses allow, "narrower" when it only takes
        away, else None. A wider reading keeps every member a member: each region's
        explanation under it has every candidate it had, and an account that changes
        nothing reads the same under any clauses. So it can only bring a structure in,
        and a narrower one only leave one out.
        """
        found: dict[str, str | None] = {}
        for reading in self.readings:
            written = {(c.label, c.region): c for c in self.clauses}
            joined = _joined(
                [_direction(written.get((c.label, c.region)), c) for c in reading.patch]
            )
            # A patch that changes nothing keeps every answer: "wider" says as much.
            found[reading.id] = "wider" if joined == "same" else joined
        return found

    def clauses_at(self, day: dt.date | None, reading: Reading | None = None) -> tuple[Clause, ...]:
        """The clauses in force on ``day``, as written or under a reading."""
        key = (day, id(reading))
        found = self._clauses_on.get(key)
        if found is None or found[0] is not reading:
            if len(self._clauses_on) >= _DAYS_KEPT:
                self._clauses_on.clear()
            clauses = tuple(c for c in self.clauses_under(reading) if c.in_force(day))
            found = self._clauses_on[key] = (reading, clauses)  # the reading kept with its id
        return found[1]

    @cached_property
    def _clauses_on(
        self,
    ) -> dict[tuple[dt.date | None, int], tuple[Reading | None, tuple[Clause, ...]]]:
        # Every record of a run asks for the clauses of the same day and readings.
        return {}

    def period_at(self, day: dt.date) -> Period | None:
        """The period in force on ``day``, or None."""
        for period in self.periods:
            if period.contains(day):
                return period
        return None

    def since(self, day: dt.date) -> dt.date | None:
        """The first day of the unbroken control that covers ``day``."""
        current = self.period_at(day)
        if current is None:
            return None
        start = current.start
        for period in sorted(self.periods, key=lambda p: p.start, reverse=True):
            if period.end == start:
                start = period.start
        return start

    def clauses_under(self, reading: Reading | None) -> tuple[Clause, ...]:
        """The clauses as written, or as a named reading patches them."""
        if reading is None:
            return self.clauses
        patched = {(c.label, c.region): c for c in reading.patch}
        return tuple(patched.get((c.label, c.region), c) for c in self.clauses)

    def summary(self) -> dict[str, Any]:
        """Id, jurisdiction, title, citation, dates, clauses with their words, readings."""
        return {
            **self.header_summary(),
            "class": self.class_name,
            "title": self.title,
            "citation": self.citation,
            "effective": [
                {
                    "from": p.start.isoformat(),
                    "until": p.end.isoformat() if p.end else None,
                    "instrument": p.instrument,
                }
                for p in self.periods
            ],
            "clauses": [
                {
                    "label": c.label,
                    "text": c.text,
                    "region": c.region,
                    "from": c.since.isoformat() if c.since else None,
                    "words": [
                        {"kind": kind, "means": VOCABULARY[kind].means}
                        for kind in dict.fromkeys([*(r.kind for r in c.replace), *c.substitute])
                    ],
                }
                for c in self.clauses
            ],
            "readings": [
                {"id": r.id, "default": r.default, "alternative": r.alternative}
                for r in self.readings
            ],
            **self.sources_summary(),
        }


# --- loading ---------------------------------------------------------------------------------


def load_region(reader: Reader, core_maps: set[int] | None) -> Region:
    """Load a region (``core_maps`` given) or a slot (``core_maps`` None)."""
    take = reader.choice("take", ("one", "all", "bridge"), "one")
    if core_maps is not None:
        from_atoms = tuple(reader.get("from", list))
        unknown = [a for a in from_atoms if a not in core_maps]
        if unknown:
            raise reader.fail("from", f"core atoms {unknown} are not mapped in core.smarts")
        if take == "one" and len(from_atoms) != 1:
            raise reader.fail("from", "a region that takes one group hangs off one core atom")
        if take == "bridge" and not from_atoms:
            raise reader.fail("from", "a bridge is bonded to core atoms")
        at = None
        shows = tuple(reader.get("shows", list, []))
        unshown = [a for a in shows if a not in core_maps]
        if unshown:
            raise reader.fail("shows", f"core atoms {unshown} are not mapped in core.smarts")
    else:
        from_atoms = ()
        at = reader.get("at", int)
        shows = ()
    reference_at = None
    if "reference_at" in reader.data:
        if take != "all":
            raise reader.fail("reference_at", "only a region that takes all groups has one")
        reference_at = reader.get("reference_at", int)
        if reference_at not in from_atoms:
            raise reader.fail("reference_at", f"core atom {reference_at} is not in 'from'")
        if reader.data.get("reference") is None:
            raise reader.fail("reference", "a region with 'reference_at' needs its reference")
    elif take == "all" and reader.data.get("reference") is not None:
        raise reader.fail("reference_at", "a region that takes all groups names the core atom")
    skeleton = None
    slots: tuple[Region, ...] = ()
    if "skeleton" in reader.data:
        skeleton = reader.smarts("skeleton")
        if skeleton.GetAtomWithIdx(0).GetAtomicNum() != 0:
            raise reader.fail("skeleton", "must start with '*', the atom the region hangs off")
        skeleton_maps = {a.GetAtomMapNum() for a in skeleton.GetAtoms() if a.GetAtomMapNum()}
        loaded = []
        for i, item in enumerate(reader.get("slots", list, [])):
            slot_reader = reader.sub(f"slots[{i}]", item)
            slot = load_region(slot_reader, None)
            if slot.at not in skeleton_maps:
                raise slot_reader.fail("at", f"map number {slot.at} not in skeleton")
            loaded.append(slot)
        slots = tuple(loaded)
    elif "slots" in reader.data:
        raise reader.fail("slots", "slots need a skeleton")
    return Region(
        id=reader.get("id", str),
        name=reader.get("name", str),
        from_atoms=from_atoms,
        take=take,
        reference=reader.fragment("reference"),
        reference_name=reader.get("reference_name", str, reader.get("name", str)),
        names=reader.get("names", str, "substituent"),
        skeleton=skeleton,
        skeleton_lost=reader.get("skeleton_lost", str, ""),
        slots=slots,
        at=at,
        shows=shows,
        reference_at=reference_at,
        skeleton_name=reader.get("skeleton_name", str, ""),
    )


def load_scaffold(path: str, data: Any) -> Scaffold:
    """Load one scaffold file (its keys already checked against the format)."""
    top = Reader(path, data)
    core = top.sub("core")
    query = core.smarts("smarts")
    map_to_query = {a.GetAtomMapNum(): a.GetIdx() for a in query.GetAtoms() if a.GetAtomMapNum()}
    atom_names = {int(k): str(v) for k, v in core.get("atoms", Mapping).items()}
    missing = set(map_to_query) - set(atom_names)
    if missing:
        raise core.fail("atoms", f"no name for mapped core atoms {sorted(missing)}")
    extra = set(atom_names) - set(map_to_query)
    if extra:
        raise core.fail("atoms", f"map numbers {sorted(extra)} are not in core.smarts")
    regions = tuple(
        load_region(top.sub(f"regions[{i}]", item), set(map_to_query))
        for i, item in enumerate(top.get("regions", list))
    )
    seen: set[str] = set()
    for region in regions:
        for r in (region, *region.descendants()):
            if r.id in seen:
                raise top.fail("regions", f"duplicate region id {r.id!r}")
            seen.add(r.id)
    near = []
    for i, item in enumerate(top.get("near_misses", list, [])):
        sub = top.sub(f"near_misses[{i}]", item)
        near.append(NearMissPattern(sub.smarts("smarts"), sub.get("says", str)))
    reference = top.sub("reference")
    ref_smiles = reference.get("smiles", str)
    if Chem.MolFromSmiles(ref_smiles) is None:
        raise reference.fail("smiles", f"invalid SMILES {ref_smiles!r}")
    return Scaffold(
        id=top.get("scaffold", str),
        title=top.get("title", str),
        reference_name=reference.get("name", str),
        reference_smiles=ref_smiles,
        core=query,
        core_atoms=tuple(sorted(atom_names.items())),
        core_map_to_query=tuple(sorted(map_to_query.items())),
        absent=core.get("absent", str),
        regions=regions,
        near_misses=tuple(near),
    )


def _load_clause(
    reader: Reader, scaffolds: tuple[Scaffold, ...], label: str | None = None
) -> Clause:
    label = label or str(reader.get("label", (str, int)))
    region_id = reader.get("region", str)
    owners = [s for s in scaffolds if s.has_region(region_id)]
    if not owners:
        names = ", ".join(s.id for s in scaffolds)
        raise reader.fail("region", f"no region {region_id!r} in scaffold {names}")
    replacements = []
    for i, item in enumerate(reader.get("replace", list, [])):
        sub = reader.sub(f"replace[{i}]", item if isinstance(item, Mapping) else {"kind": item})
        params = {k: v for k, v in sub.data.items() if k != "kind"}
        if isinstance(params.get("benzene_substituents"), list):
            params["benzene_substituents"] = tuple(params["benzene_substituents"])
        kind = sub.get("kind", str)
        for scaffold in owners:
            region = scaffold.region(region_id)
            if kind in SKELETON_KINDS and len(region.slots) != 1:
                raise sub.fail(
                    "kind", f"{kind!r} replaces a skeleton: region {region_id!r} needs one slot"
                )
            if kind in ABSENT_KINDS and region.take != "all":
                # A hydrogen in place of a single group would also undo the rule-derived
                # prefilter's promise that such a region is never empty.
                raise sub.fail(
                    "kind", f"{kind!r} only in a region that takes all groups ('take: all')"
                )
        replacements.append(Replacement(kind, tuple(sorted(params.items()))))
    substitute = tuple(reader.get("substitute", list, []))
    if not replacements and not substitute:
        raise reader.fail("replace", "a clause must allow a replacement or a substitution")
    at = tuple(reader.get("at", list, []))
    for scaffold in owners:
        mapped = {m for m, _ in scaffold.core_atoms}
        stray = [m for m in at if m not in mapped]
        if stray:
            raise reader.fail("at", f"core atoms {stray} are not mapped in scaffold {scaffold.id}")
    if at and not substitute:
        raise reader.fail("at", "'at' limits 'substitute', and this clause has none")
    return Clause(
        label=label,
        text=reader.get("text", str),
        region=region_id,
        replace=tuple(replacements),
        substitute=substitute,
        at=at,
        not_covered=reader.get("not_covered", str, ""),
        since=reader.date("from", None),
    )


def _load_readings(
    definition: Reader, by_label: Mapping[str, list[Clause]], scaffolds: tuple[Scaffold, ...]
) -> tuple[Reading, ...]:
    readings = []
    ids: set[str] = set()
    for i, item in enumerate(definition.get("readings", list, [])):
        sub = definition.sub(f"readings[{i}]", item)
        reading_id = sub.get("id", str)
        if reading_id in ids:
            raise sub.fail("id", f"duplicate reading id {reading_id!r}")
        ids.add(reading_id)
        patched = []
        for label, changes in sub.get("patch", Mapping).items():
            label = str(label)
            if label not in by_label:
                raise sub.fail("patch", f"no clause {label!r} to patch")
            for original in by_label[label]:
                merged = {
                    "label": label,
                    "text": original.text,
                    "region": original.region,
                    "not_covered": original.not_covered,
                    "replace": [dict(kind=r.kind, **r.options) for r in original.replace],
                    "substitute": list(original.substitute),
                    "at": list(original.at),
                    "from": original.since.isoformat() if original.since else None,
                }
                merged.update(changes)
                patched.append(_load_clause(sub.sub(f"patch.{label}", merged), scaffolds, label))
        readings.append(
            Reading(
                id=reading_id,
                title=sub.get("title", str),
                default=sub.get("default", str),
                alternative=sub.get("alternative", str),
                patch=tuple(patched),
            )
        )
    return tuple(readings)


def _load_examples(top: Reader, labels: set[str]) -> tuple[Example, ...]:
    examples = []
    block = top.sub("examples")
    for flag, key in ((True, "match"), (False, "no_match")):
        items = block.get(key, list)
        if not items:
            raise block.fail(key, "every rule needs examples of both kinds")
        for i, item in enumerate(items):
            sub = block.sub(f"{key}[{i}]", item)
            given = sub.get("clauses", (list, str, type(None)), None)
            if isinstance(given, str):
                given = [c for c in given.replace(",", " ").split() if c]
            clauses = tuple(str(c) for c in given) if given is not None else None
            unknown = sorted(set(clauses or ()) - labels)
            if unknown:
                raise sub.fail("clauses", f"no clause labelled {unknown} in this definition")
            smiles = sub.get("smiles", str)
            try:
                parse_structure(smiles)
            except InputError as exc:
                raise sub.fail("smiles", str(exc)) from None
            examples.append(
                Example(
                    smiles=smiles,
                    why=sub.get("why", str),
                    clauses=clauses,
                    match=flag,
                    as_of=sub.date("as_of", None),
                )
            )
    return tuple(examples)


def load_definition(path: str, data: Any, scaffolds: Mapping[str, Scaffold]) -> ClassRule:
    """Load one definition file (its keys already checked against the format).

    Raises:
        RuleFileError: naming the file and field of a value that means nothing (a region
            or scaffold that does not exist, an unmapped core atom, an unreadable example).
    """
    top = Reader(path, data)
    definition = top.sub("definition")
    named = definition.get("scaffold", (str, list))
    scaffold_ids = [named] if isinstance(named, str) else list(named)
    for scaffold_id in scaffold_ids:
        if scaffold_id not in scaffolds:
            known = ", ".join(sorted(scaffolds)) or "none loaded"
            raise definition.fail("scaffold", f"no scaffold {scaffold_id!r} (known: {known})")
    used = tuple(scaffolds[i] for i in scaffold_ids)
    loaded: list[Clause] = []
    for i, item in enumerate(definition.get("clauses", list)):
        sub = definition.sub(f"clauses[{i}]", item)
        regions = sub.get("region", (str, list))
        # One clause of the law may allow the same change in several regions ("amides" on
        # either nitrogen): it becomes one clause per region, under one label.
        for region in [regions] if isinstance(regions, str) else regions:
            loaded.append(
                _load_clause(Reader(sub.path, {**item, "region": region}, sub.where), used)
            )
    clauses = tuple(loaded)
    pairs = [(c.label, c.region) for c in clauses]
    if len(set(pairs)) != len(pairs):
        raise definition.fail("clauses", "duplicate clause label for one region")
    by_label: dict[str, list[Clause]] = {}
    for clause in clauses:
        by_label.setdefault(clause.label, []).append(clause)
    periods = []
    for i, item in enumerate(top.get("effective", list)):
        sub = top.sub(f"effective[{i}]", item)
        start = sub.date("from")
        end = sub.date("until", None)
        if start is None or (end is not None and end <= start):
            raise sub.fail("until", "must come after 'from'")
        periods.append(Period(start, end, sub.get("instrument", str)))
    ordered = sorted(periods, key=lambda p: p.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.end is None or before.end > after.start:
            raise top.fail("effective", f"periods overlap at {after.start.isoformat()}")
    return ClassRule(
        **load_header(top, ("class", "precursor", "listed")),
        class_name=top.get("class", str),
        periods=tuple(ordered),
        scaffolds=used,
        clauses=clauses,
        readings=_load_readings(definition, by_label, used),
        examples=_load_examples(top, set(by_label)),
        reference_is_member=top.get("reference_is_member", bool, False),
    )
