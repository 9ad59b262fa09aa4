"""Rule files: load them strictly, compile them once, and fail naming the file and field.

A rule file is one legal definition (``rules/<JURISDICTION>/<id>.yaml``). A class defined as
"a reference structure changed in listed ways" names a *scaffold*
(``rules/scaffolds/<name>.yaml``): the reference structure cut into a fixed core and
regions. The definition then lists its clauses, each allowing one kind of change in one
region, and its named readings, each a patch to clauses. Nothing in the engine knows a
jurisdiction: a new law of the same shape is a new file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rdkit import Chem, rdBase

from classwide._lists import (
    ListEntry,
    ListRule,
    Substance,
    in_span,
    load_list,
    load_substances,
    parent_key,
)
from classwide._vocabulary import (
    ALLOWABLE_SUBSTITUENT_KINDS,
    REPLACEMENT_KINDS,
    REPLACEMENT_PARAMETERS,
    canonical_fragment,
)
from classwide.errors import RuleFileError, UnknownRuleError

SCAFFOLD_DIR = "scaffolds"


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text, so a bad date is reported with its field."""


_YamlLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# --- the model --------------------------------------------------------------------------------


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

    def atom_name(self, map_number: int) -> str:
        """The name of a core atom."""
        return dict(self.core_atoms)[map_number]


@dataclass(frozen=True)
class Period:
    """A span during which a rule is in force, and the instrument that made it so."""

    start: dt.date
    end: dt.date | None  # exclusive
    instrument: str

    def contains(self, day: dt.date) -> bool:
        """True when ``day`` falls in the period."""
        return in_span(day, self.start, self.end)


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


@dataclass(frozen=True)
class ClassRule:
    """A class-wide legal definition, loaded from one file."""

    id: str
    title: str
    jurisdiction: str
    class_name: str
    status: str
    citation: str
    sources: tuple[tuple[tuple[str, str], ...], ...]
    periods: tuple[Period, ...]
    scaffolds: tuple[Scaffold, ...]
    clauses: tuple[Clause, ...]
    readings: tuple[Reading, ...]
    examples: tuple[Example, ...]
    interpretation: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    schedule: str | None = None
    list_name: str | None = None
    match_kind: str = "class"  # the contract's `kind` of a match: "class" or "precursor"
    reference_is_member: bool = False  # a family ("4-AP and its amides") includes its parent
    overridden_reason: str = "a stronger control applies"
    path: str = ""
    revised: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def scaffold(self) -> Scaffold:
        """The first (usually the only) reference structure of the definition."""
        return self.scaffolds[0]

    def clauses_at(self, day: dt.date | None, reading: Reading | None = None) -> tuple[Clause, ...]:
        """The clauses in force on ``day``, as written or under a reading."""
        return tuple(c for c in self.clauses_under(reading) if c.in_force(day))

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
        """Id, jurisdiction, title, citation and dates, for listings."""
        return {
            "id": self.id,
            "jurisdiction": self.jurisdiction,
            "kind": self.match_kind,
            "status": self.status,
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
                {"label": c.label, "text": c.text, "from": c.since.isoformat() if c.since else None}
                for c in self.clauses
            ],
            "readings": [
                {"id": r.id, "default": r.default, "alternative": r.alternative}
                for r in self.readings
            ],
            "sources": [dict(s) for s in self.sources],
            "path": self.path,
        }


@dataclass(frozen=True)
class RuleSet:
    """Every loaded rule and list, looked up by id, alias, jurisdiction or structure."""

    rules: tuple[ClassRule, ...]
    version: str
    lists: tuple[ListRule, ...] = ()
    substances: Mapping[str, Substance] = field(default_factory=dict, compare=False)
    index: Mapping[str, tuple[tuple[ListRule, ListEntry], ...]] = field(
        default_factory=dict, compare=False
    )
    names: Mapping[str, Substance] = field(default_factory=dict, compare=False)

    def jurisdictions(self) -> tuple[str, ...]:
        """Jurisdiction codes, in alphabetical order."""
        return tuple(sorted({r.jurisdiction for r in (*self.rules, *self.lists)}))

    def for_jurisdiction(self, code: str) -> tuple[ClassRule, ...]:
        """The class and family rules of one jurisdiction."""
        return tuple(r for r in self.rules if r.jurisdiction == code)

    def get(self, rule_id: str) -> ClassRule | ListRule:
        """A rule or list by id or alias."""
        for rule in (*self.rules, *self.lists):
            if rule_id == rule.id or rule_id in rule.aliases:
                return rule
        raise UnknownRuleError(f"no rule with id or alias {rule_id!r}")

    def listings(self, key: str) -> tuple[tuple[ListRule, ListEntry], ...]:
        """Every list entry whose substance has this parent key (see ``parent_key``)."""
        return self.index.get(key, ())

    def lookup_name(self, text: str) -> Substance | None:
        """A substance by name, synonym, id or CAS number (case and spacing ignored)."""
        return self.names.get(_name_key(text))

    def summaries(self) -> list[dict[str, Any]]:
        """Every rule and list, for `classwide rules`."""
        items = [r.summary() for r in self.rules] + [lst.summary() for lst in self.lists]
        return sorted(items, key=lambda x: (x["jurisdiction"], x["id"]))


def _name_key(text: str) -> str:
    return " ".join(text.replace("\u2032", "'").strip().lower().split())


# --- loading ---------------------------------------------------------------------------------


class _Reader:
    """Field access on one YAML mapping that reports the file and the dotted field."""

    def __init__(self, path: str, data: Any, where: str = "") -> None:
        self.path, self.data, self.where = path, data, where
        if not isinstance(data, Mapping):
            raise RuleFileError(path, where or "(top)", "expected a mapping")

    def _field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> RuleFileError:
        return RuleFileError(self.path, self._field(key), problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.fail(key, f"expected {names}, got {type(value).__name__}")
        return value

    def sub(self, key: str, value: Any = ...) -> _Reader:
        return _Reader(self.path, self.data[key] if value is ... else value, self._field(key))

    def date(self, key: str, default: Any = ...) -> dt.date | None:
        value = self.get(key, (str, dt.date, type(None)), default)
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"not a date (YYYY-MM-DD): {value!r}") from None


def _smarts(reader: _Reader, key: str) -> Chem.Mol:
    text = reader.get(key, str)
    with rdBase.BlockLogs():
        query = Chem.MolFromSmarts(text)
    if query is None:
        raise reader.fail(key, f"invalid SMARTS {text!r}")
    return query


def _fragment(reader: _Reader, key: str) -> str | None:
    text = reader.get(key, (str, type(None)), None)
    if text is None:
        return None
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(text)
    if mol is None or not any(a.GetAtomicNum() == 0 for a in mol.GetAtoms()):
        raise reader.fail(key, f"expected a SMILES with '*' for the attachment, got {text!r}")
    return canonical_fragment(text)


def _load_region(reader: _Reader, core_maps: set[int] | None) -> Region:
    take = reader.get("take", str, "one")
    if take not in ("one", "all", "bridge"):
        raise reader.fail("take", "must be 'one', 'all' or 'bridge'")
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
    else:
        from_atoms = ()
        at = reader.get("at", int)
    skeleton = None
    slots: tuple[Region, ...] = ()
    if "skeleton" in reader.data:
        skeleton = _smarts(reader, "skeleton")
        if skeleton.GetAtomWithIdx(0).GetAtomicNum() != 0:
            raise reader.fail("skeleton", "must start with '*', the atom the region hangs off")
        skeleton_maps = {a.GetAtomMapNum() for a in skeleton.GetAtoms() if a.GetAtomMapNum()}
        slot_list = reader.get("slots", list, [])
        loaded = []
        for i, item in enumerate(slot_list):
            slot = _load_region(reader.sub(f"slots[{i}]", item), None)
            if slot.at not in skeleton_maps:
                raise reader.sub(f"slots[{i}]", item).fail(
                    "at", f"map number {slot.at} not in skeleton"
                )
            loaded.append(slot)
        slots = tuple(loaded)
    elif "slots" in reader.data:
        raise reader.fail("slots", "slots need a skeleton")
    reference = _fragment(reader, "reference")
    return Region(
        id=reader.get("id", str),
        name=reader.get("name", str),
        from_atoms=from_atoms,
        take=take,
        reference=reference,
        reference_name=reader.get("reference_name", str, reader.get("name", str)),
        names=reader.get("names", str, "substituent"),
        skeleton=skeleton,
        skeleton_lost=reader.get("skeleton_lost", str, ""),
        slots=slots,
        at=at,
        shows=tuple(reader.get("shows", list, [])),
    )


def _load_scaffold(path: str, data: Any) -> Scaffold:
    top = _Reader(path, data)
    core = top.sub("core")
    query = _smarts(core, "smarts")
    map_to_query = {a.GetAtomMapNum(): a.GetIdx() for a in query.GetAtoms() if a.GetAtomMapNum()}
    names = core.get("atoms", Mapping)
    atom_names = {int(k): str(v) for k, v in names.items()}
    missing = set(map_to_query) - set(atom_names)
    if missing:
        raise core.fail("atoms", f"no name for mapped core atoms {sorted(missing)}")
    regions = tuple(
        _load_region(top.sub(f"regions[{i}]", item), set(map_to_query))
        for i, item in enumerate(top.get("regions", list))
    )
    seen: set[str] = set()
    scaffold_regions = []
    for region in regions:
        stack = [region]
        while stack:
            r = stack.pop()
            if r.id in seen:
                raise top.fail("regions", f"duplicate region id {r.id!r}")
            seen.add(r.id)
            stack.extend(r.slots)
        scaffold_regions.append(region)
    near = []
    for i, item in enumerate(top.get("near_misses", list, [])):
        sub = top.sub(f"near_misses[{i}]", item)
        near.append(NearMissPattern(_smarts(sub, "smarts"), sub.get("says", str)))
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
        regions=tuple(scaffold_regions),
        near_misses=tuple(near),
    )


def _load_clause(
    reader: _Reader, scaffolds: tuple[Scaffold, ...], label: str | None = None
) -> Clause:
    label = label or str(reader.get("label", (str, int)))
    region_id = reader.get("region", str)
    if not any(_has_region(s, region_id) for s in scaffolds):
        names = ", ".join(s.id for s in scaffolds)
        raise reader.fail("region", f"no region {region_id!r} in scaffold {names}")
    replacements = []
    for i, item in enumerate(reader.get("replace", list, [])):
        sub = reader.sub(f"replace[{i}]", item if isinstance(item, Mapping) else {"kind": item})
        kind = sub.get("kind", str)
        if kind not in REPLACEMENT_KINDS and kind not in ALLOWABLE_SUBSTITUENT_KINDS:
            known = sorted(set(REPLACEMENT_KINDS) | ALLOWABLE_SUBSTITUENT_KINDS)
            raise sub.fail("kind", f"unknown replacement kind {kind!r} (known: {known})")
        params = {k: v for k, v in sub.data.items() if k != "kind"}
        unknown = set(params) - REPLACEMENT_PARAMETERS.get(kind, frozenset())
        if unknown:
            raise sub.fail(sorted(unknown)[0], f"not a parameter of {kind!r}")
        if isinstance(params.get("benzene_substituents"), list):
            params["benzene_substituents"] = tuple(params["benzene_substituents"])
        replacements.append(Replacement(kind, tuple(sorted(params.items()))))
    substitute = tuple(reader.get("substitute", list, []))
    unknown_kinds = [k for k in substitute if k not in ALLOWABLE_SUBSTITUENT_KINDS]
    if unknown_kinds:
        raise reader.fail("substitute", f"unknown substituent kinds {unknown_kinds}")
    if not replacements and not substitute:
        raise reader.fail("replace", "a clause must allow a replacement or a substitution")
    return Clause(
        label=label,
        text=reader.get("text", str),
        region=region_id,
        replace=tuple(replacements),
        substitute=substitute,
        at=tuple(reader.get("at", list, [])),
        not_covered=reader.get("not_covered", str, ""),
        since=reader.date("from", None),
    )


def _has_region(scaffold: Scaffold, region_id: str) -> bool:
    try:
        scaffold.region(region_id)
    except KeyError:
        return False
    return True


def _choice(reader: _Reader, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = reader.get(key, str, default)
    if value not in allowed:
        raise reader.fail(key, f"must be one of {', '.join(allowed)}")
    return value


def _load_rule(path: str, data: Any, scaffolds: Mapping[str, Scaffold]) -> ClassRule:
    top = _Reader(path, data)
    definition = top.sub("definition")
    if definition.get("type", str) != "scaffold":
        raise definition.fail("type", "only 'scaffold' definitions are known")
    named = definition.get("scaffold", (str, list))
    scaffold_ids = [named] if isinstance(named, str) else list(named)
    for scaffold_id in scaffold_ids:
        if scaffold_id not in scaffolds:
            raise definition.fail(
                "scaffold", f"no scaffold {scaffold_id!r} in rules/{SCAFFOLD_DIR}/"
            )
    scaffold = tuple(scaffolds[i] for i in scaffold_ids)
    loaded: list[Clause] = []
    for i, item in enumerate(definition.get("clauses", list)):
        sub = definition.sub(f"clauses[{i}]", item)
        regions = sub.get("region", (str, list))
        # One clause of the law may allow the same change in several regions ("amides" on
        # either nitrogen): it becomes one clause per region, under one label.
        for region in [regions] if isinstance(regions, str) else regions:
            loaded.append(
                _load_clause(_Reader(sub.path, {**item, "region": region}, sub.where), scaffold)
            )
    clauses = tuple(loaded)
    pairs = [(c.label, c.region) for c in clauses]
    if len(set(pairs)) != len(pairs):
        raise definition.fail("clauses", "duplicate clause label for one region")
    by_label: dict[str, list[Clause]] = {}
    for clause in clauses:
        by_label.setdefault(clause.label, []).append(clause)
    readings = []
    for i, item in enumerate(definition.get("readings", list, [])):
        sub = definition.sub(f"readings[{i}]", item)
        patch_data = sub.get("patch", Mapping)
        patched = []
        for label, changes in patch_data.items():
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
                patched.append(_load_clause(sub.sub(f"patch.{label}", merged), scaffold, label))
        readings.append(
            Reading(
                id=sub.get("id", str),
                title=sub.get("title", str),
                default=sub.get("default", str),
                alternative=sub.get("alternative", str),
                patch=tuple(patched),
            )
        )
    periods = []
    for i, item in enumerate(top.get("effective", list)):
        sub = top.sub(f"effective[{i}]", item)
        start = sub.date("from")
        end = sub.date("until", None)
        if start is None or (end is not None and end <= start):
            raise sub.fail("until", "must come after 'from'")
        periods.append(Period(start, end, sub.get("instrument", str)))
    examples = []
    example_block = top.sub("examples")
    for flag, key in ((True, "match"), (False, "no_match")):
        items = example_block.get(key, list)
        if not items:
            raise example_block.fail(key, "every rule needs examples of both kinds")
        for i, item in enumerate(items):
            sub = example_block.sub(f"{key}[{i}]", item)
            clauses_given = sub.get("clauses", (list, str, type(None)), None)
            if isinstance(clauses_given, str):
                clauses_given = [c for c in clauses_given.replace(",", " ").split() if c]
            examples.append(
                Example(
                    smiles=sub.get("smiles", str),
                    why=sub.get("why", str),
                    clauses=tuple(str(c) for c in clauses_given)
                    if clauses_given is not None
                    else None,
                    match=flag,
                    as_of=sub.date("as_of", None),
                )
            )
    sources = tuple(
        tuple(sorted((str(k), str(v)) for k, v in top.sub(f"sources[{i}]", s).data.items()))
        for i, s in enumerate(top.get("sources", list))
    )
    revised = top.date("revised")
    return ClassRule(
        id=top.get("id", str),
        title=top.get("title", str),
        jurisdiction=top.get("jurisdiction", str),
        class_name=top.get("class", str),
        status=_choice(top, "status", ("listed", "class", "precursor"), "class"),
        citation=top.get("citation", str),
        sources=sources,
        periods=tuple(sorted(periods, key=lambda p: p.start)),
        scaffolds=scaffold,
        clauses=clauses,
        readings=tuple(readings),
        examples=tuple(examples),
        interpretation=tuple(str(x) for x in top.get("interpretation", list, [])),
        aliases=tuple(top.get("aliases", list, [])),
        schedule=top.get("schedule", (str, type(None)), None),
        list_name=top.get("list", (str, type(None)), None),
        match_kind=_choice(top, "match_kind", ("class", "precursor"), "class"),
        reference_is_member=top.get("reference_is_member", bool, False),
        overridden_reason=top.get("overridden_reason", str, "a stronger control applies"),
        path=path,
        revised=revised.isoformat() if revised else "",
        raw=data,
    )


def _packaged_files() -> list[tuple[str, bytes]]:
    root = resources.files("classwide") / "rules"
    found: list[tuple[str, bytes]] = []

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = f"{prefix}/{child.name}"
            if child.is_dir():
                walk(child, name)
            elif child.name.endswith(".yaml"):
                found.append((name.lstrip("/"), child.read_bytes()))

    walk(root, "rules")
    return found


def load_rules(
    extra: Iterable[str | Path] = (),
    *,
    packaged: bool = True,
    texts: Iterable[tuple[str, bytes]] = (),
) -> RuleSet:
    """Load the packaged rule files and any extra ones.

    Args:
        extra: paths of further rule or scaffold files (a scaffold file has a top-level
            ``scaffold:`` key). A rule with the id of a packaged one replaces it.
        packaged: include the rule files shipped with classwide.
        texts: further rule files given as (name, content), as workers receive them.

    Returns:
        The rule set, with a version made of the latest revision date and a content hash.

    Raises:
        RuleFileError: naming the file and field of the first problem found.

    Example:
        >>> sorted(load_rules().jurisdictions())
        ['CN', 'UN', 'US']
    """
    files = _packaged_files() if packaged else []
    for path in extra:
        p = Path(path)
        files.append((str(p), p.read_bytes()))
    files.extend((str(name), bytes(content)) for name, content in texts)
    parsed = []
    for name, content in files:
        try:
            data = yaml.load(content, Loader=_YamlLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise RuleFileError(name, "(yaml)", " ".join(str(exc).split())) from None
        parsed.append((name, data))
    scaffolds: dict[str, Scaffold] = {}
    substances: dict[str, Substance] = {}
    for name, data in parsed:
        kind = _file_kind(name, data)
        if kind == "scaffold":
            scaffold = _load_scaffold(name, data)
            scaffolds[scaffold.id] = scaffold
        elif kind == "substances":
            for substance in load_substances(name, data, _standard_key):
                if substance.id in substances:
                    raise RuleFileError(
                        name, "substances", f"duplicate substance id {substance.id!r}"
                    )
                substances[substance.id] = substance
    rules: dict[str, ClassRule] = {}
    lists: dict[str, ListRule] = {}
    for name, data in parsed:
        kind = _file_kind(name, data)
        if kind == "list":
            listed = load_list(name, data, substances)
            lists[listed.id] = listed
        elif kind == "rule":
            rule = _load_rule(name, data, scaffolds)
            rules[rule.id] = rule
    ids_and_aliases: dict[str, str] = {}
    for rule in (*rules.values(), *lists.values()):
        for key in (rule.id, *rule.aliases):
            if key in ids_and_aliases and ids_and_aliases[key] != rule.id:
                raise RuleFileError(
                    rule.path, "aliases", f"{key!r} is also used by {ids_and_aliases[key]}"
                )
            ids_and_aliases[key] = rule.id
    digest = hashlib.sha256()
    for name, content in sorted(files):
        digest.update(Path(name).name.encode() + b"\0" + content + b"\0")
    latest = max(
        (r.revised for r in (*rules.values(), *lists.values()) if r.revised), default="0000-00-00"
    )
    version = f"{latest.replace('-', '.')}+{digest.hexdigest()[:7]}"
    ordered = tuple(sorted(rules.values(), key=lambda r: (r.jurisdiction, r.id)))
    ordered_lists = tuple(sorted(lists.values(), key=lambda r: (r.jurisdiction, r.id)))
    index: dict[str, list[tuple[ListRule, ListEntry]]] = {}
    for listed in ordered_lists:
        for entry in listed.entries:
            index.setdefault(entry.substance.key, []).append((listed, entry))
    names: dict[str, Substance] = {}
    for substance in substances.values():
        for label in (*substance.names(), *([substance.cas] if substance.cas else [])):
            key = _name_key(label)
            if key in names and names[key].id != substance.id:
                # A name must never stand for two structures (see the name collisions in
                # the third-party lists): the legal instrument's own chemical name decides.
                raise RuleFileError(
                    substance.path, "synonyms", f"{label!r} also names {names[key].id!r}"
                )
            names[key] = substance
    return RuleSet(
        rules=ordered,
        version=version,
        lists=ordered_lists,
        substances=substances,
        index={k: tuple(v) for k, v in index.items()},
        names=names,
    )


def _file_kind(name: str, data: Any) -> str:
    if not isinstance(data, Mapping):
        raise RuleFileError(name, "(top)", "expected a mapping")
    if "scaffold" in data and "definition" not in data:
        return "scaffold"
    if "substances" in data:
        return "substances"
    if data.get("kind") == "list":
        return "list"
    return "rule"


def _standard_key(smiles: str) -> str:
    from classwide._standardize import parse_structure, standardize

    return parent_key(standardize(parse_structure(smiles)).mol)


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged rule set, loaded once per process."""
    return load_rules()


def with_reading(rule: ClassRule, reading_id: str) -> ClassRule:
    """Return the rule with one named reading applied to its clauses."""
    for reading in rule.readings:
        if reading.id == reading_id:
            return replace(rule, clauses=rule.clauses_under(reading))
    raise UnknownRuleError(f"rule {rule.id} has no reading {reading_id!r}")
