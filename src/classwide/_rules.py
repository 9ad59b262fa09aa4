"""The rule set: every rule file loaded, checked and indexed, and the packaged default.

Rule files are YAML of four kinds (``_schema.FILE_KINDS``): a *definition* of a class or
family by structure, a named *list*, a *scaffold* (a reference structure cut into core and
regions), and a registry of *substances*. A file says its kind with ``kind:``; files in a
``scaffolds/`` or ``substances/`` folder may leave it out. Each file is checked against the
format (``_schema.py``: an unknown key, a word not in the vocabulary or a list item of the
wrong type is refused with the file and the dotted path) before its loader reads it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from classwide import _cache
from classwide._definitions import (
    ClassRule,
    Clause,
    Example,
    NearMissPattern,
    Reading,
    Region,
    Replacement,
    Scaffold,
    load_definition,
    load_scaffold,
)
from classwide._derivatives import heavy_formula_of_smiles
from classwide._lists import ListEntry, ListRule, Substance, load_list, load_substances
from classwide._provenance import Period, Provenance
from classwide._schema import FILE_KINDS, FOLDER_KINDS, check_file
from classwide._yaml import parse_yaml
from classwide.errors import RuleFileError, UnknownRuleError

__all__ = [
    "ClassRule",
    "Clause",
    "Example",
    "ListEntry",
    "ListRule",
    "NearMissPattern",
    "Period",
    "Reading",
    "Region",
    "Replacement",
    "RuleSet",
    "Scaffold",
    "Substance",
    "default_rules",
    "file_kind",
    "load_rules",
    "read_rule_file",
]


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
    files: tuple[str, ...] = ()  # the names of the files loaded, in loading order
    # The cache key of the files and code it was compiled from ("": built otherwise).
    compiled_key: str = field(default="", compare=False)

    @cached_property
    def derivative_scope(self) -> bool:
        """True when some list covers the esters or ethers of its substances."""
        return any(
            {"esters", "ethers"} & set(entry.scope)
            for listed in self.lists
            for entry in listed.entries
        )

    @cached_property
    def derivative_formulas(self) -> frozenset[str]:
        """Heavy formulas of the substances whose lists cover their esters or ethers."""
        return frozenset(self.derivative_graphs)

    @cached_property
    def derivative_graphs(self) -> Mapping[str, tuple[str, ...]]:
        """Per heavy formula, the substances (as SMILES) whose lists cover their esters or ethers.

        A piece of a structure can be one of them only if the structure holds its graph
        (``undo_esters_and_ethers``).
        """
        found = set()
        for listed in self.lists:
            for entry in listed.entries:
                key = entry.substance.key
                if key is not None and {"esters", "ethers"} & set(entry.scope):
                    found.add(key)
        graphs: dict[str, list[str]] = {}
        for key in sorted(found):
            graphs.setdefault(heavy_formula_of_smiles(key), []).append(key)
        return {formula: tuple(keys) for formula, keys in graphs.items()}

    def jurisdictions(self) -> tuple[str, ...]:
        """Jurisdiction codes, in alphabetical order."""
        return tuple(sorted({r.jurisdiction for r in (*self.rules, *self.lists)}))

    def for_jurisdiction(self, code: str) -> tuple[ClassRule, ...]:
        """The class and family rules of one jurisdiction."""
        return self._of_jurisdiction.get(code, ())

    @cached_property
    def _of_jurisdiction(self) -> dict[str, tuple[ClassRule, ...]]:
        found: dict[str, list[ClassRule]] = {}
        for rule in self.rules:
            found.setdefault(rule.jurisdiction, []).append(rule)
        return {code: tuple(rules) for code, rules in found.items()}

    def get(self, rule_id: str) -> ClassRule | ListRule:
        """A rule or list by id or alias."""
        found = self._by_name.get(rule_id)
        if found is None:
            raise UnknownRuleError(f"no rule with id or alias {rule_id!r}")
        return found

    @cached_property
    def _by_name(self) -> dict[str, ClassRule | ListRule]:
        # By id and by alias: the first rule or list to carry a name is the one it names.
        found: dict[str, ClassRule | ListRule] = {}
        every: tuple[ClassRule | ListRule, ...] = (*self.rules, *self.lists)
        for rule in every:
            for name in (rule.id, *rule.aliases):
                found.setdefault(name, rule)
        return found

    def listings(self, key: str) -> tuple[tuple[ListRule, ListEntry], ...]:
        """Every list entry whose substance has this parent key (``_standardize.parent_key``)."""
        return self.index.get(key, ())

    def entries_of(self, substance_id: str) -> tuple[tuple[ListRule, ListEntry], ...]:
        """Every list entry of one substance (how a plant or a preparation is found)."""
        return tuple(
            (listed, entry)
            for listed in self.lists
            for entry in listed.entries
            if entry.substance.id == substance_id
        )

    def lookup_name(self, text: str) -> Substance | None:
        """A substance by name, synonym, id or CAS number (case and spacing ignored)."""
        return self.names.get(_name_key(text))

    def find_substances(self, text: str) -> list[Substance]:
        """Substances whose name, synonym, id or CAS number contains ``text`` (all for "")."""
        needle = text.strip().lower()
        return [
            substance
            for substance in self.substances.values()
            if not needle
            or any(needle in label.lower() for label in (*substance.names(), substance.cas or ""))
        ]

    def listings_of(self, substance_id: str) -> list[dict[str, Any]]:
        """Every listing of one substance, in every jurisdiction, with its dates."""
        return [
            {
                "rule": listed.id,
                "jurisdiction": listed.jurisdiction,
                "since": entry.since.isoformat(),
                "until": entry.until.isoformat() if entry.until else None,
                "schedule": entry.schedule or listed.schedule,
                "list": entry.list_name or listed.list_name,
                "verified": entry.verified,
            }
            for listed, entry in self.entries_of(substance_id)
        ]

    def summaries(self) -> list[dict[str, Any]]:
        """Every rule and list, for `classwide rules`."""
        items = [r.summary() for r in self.rules] + [lst.summary() for lst in self.lists]
        return sorted(items, key=lambda x: (x["jurisdiction"], x["id"]))


def _name_key(text: str) -> str:
    return " ".join(text.replace("\u2032", "'").strip().lower().split())


# --- loading ---------------------------------------------------------------------------------


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


def read_rule_file(path: str | Path) -> tuple[str, bytes]:
    """Read one rule file given by a user.

    Raises:
        RuleFileError: for a missing file, a folder, or a file that cannot be read.
    """
    p = Path(path)
    if p.is_dir():
        raise RuleFileError(str(p), "(file)", "a folder, not a rule file")
    try:
        return str(p), p.read_bytes()
    except FileNotFoundError:
        raise RuleFileError(str(p), "(file)", "no such file") from None
    except OSError as exc:
        raise RuleFileError(str(p), "(file)", f"cannot be read: {exc.strerror or exc}") from None


def file_kind(name: str, data: Any) -> str:
    """What a parsed rule file is: its ``kind:``, or the kind its folder implies.

    Raises:
        RuleFileError: for a file whose kind is unknown, missing or contradicts its folder.
    """
    if not isinstance(data, Mapping):
        raise RuleFileError(name, "(top)", "expected a mapping")
    folder = Path(name).parent.name
    implied = FOLDER_KINDS.get(folder)
    kinds = ", ".join(FILE_KINDS)
    if "kind" in data:
        kind = data["kind"]
        if kind not in FILE_KINDS:
            raise RuleFileError(name, "kind", f"unknown file kind {kind!r} (known: {kinds})")
        if implied is not None and kind != implied:
            raise RuleFileError(
                name, "kind", f"a {kind} file in a {folder}/ folder (which holds {implied} files)"
            )
        return str(kind)
    if implied is not None:
        return implied
    raise RuleFileError(
        name,
        "kind",
        f"missing: say what the file is with 'kind:' ({kinds}), or put a scaffold in a "
        "scaffolds/ folder and a substance registry in a substances/ folder",
    )


def load_rules(
    extra: Iterable[str | Path] = (),
    *,
    packaged: bool = True,
    texts: Iterable[tuple[str, bytes]] = (),
) -> RuleSet:
    """Load the packaged rule files and any extra ones, checking each strictly.

    Args:
        extra: paths of further rule files (see ``docs/rule-format.md``). A definition or
            list with the id of a packaged one replaces it.
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
    files.extend(read_rule_file(path) for path in extra)
    files.extend((str(name), bytes(content)) for name, content in texts)
    cache_key = _cache.key(files)
    cached = _cache.load(cache_key)
    if isinstance(cached, RuleSet):
        return cached
    ruleset = _compile(files, cache_key)
    _cache.store(cache_key, ruleset)
    return ruleset


def _compile(files: list[tuple[str, bytes]], cache_key: str = "") -> RuleSet:
    """Parse, check and compile rule files (name, content) into a rule set."""
    parsed = []
    for name, content in files:
        data = parse_yaml(name, content)
        kind = file_kind(name, data)
        check_file(name, kind, data)
        parsed.append((name, kind, data))
    scaffolds: dict[str, Scaffold] = {}
    substances: dict[str, Substance] = {}
    for name, kind, data in parsed:
        if kind == "scaffold":
            scaffold = load_scaffold(name, data)
            scaffolds[scaffold.id] = scaffold
        elif kind == "substances":
            for substance in load_substances(name, data):
                if substance.id in substances:
                    raise RuleFileError(
                        name, "substances", f"duplicate substance id {substance.id!r}"
                    )
                substances[substance.id] = substance
    rules: dict[str, ClassRule] = {}
    lists: dict[str, ListRule] = {}
    for name, kind, data in parsed:
        if kind == "list":
            listed = load_list(name, data, substances)
            lists[listed.id] = listed
        elif kind == "definition":
            rule = load_definition(name, data, scaffolds)
            rules[rule.id] = rule
    headers: list[Provenance] = [*rules.values(), *lists.values()]
    ids_and_aliases: dict[str, str] = {}
    for header in headers:
        for key in (header.id, *header.aliases):
            if key in ids_and_aliases and ids_and_aliases[key] != header.id:
                raise RuleFileError(
                    header.path, "aliases", f"{key!r} is also used by {ids_and_aliases[key]}"
                )
            ids_and_aliases[key] = header.id
    digest = hashlib.sha256()
    for name, content in sorted(files):
        digest.update(Path(name).name.encode() + b"\0" + content + b"\0")
    latest = max((h.revised for h in headers if h.revised), default="0000-00-00")
    version = f"{latest.replace('-', '.')}+{digest.hexdigest()[:7]}"
    ordered = tuple(sorted(rules.values(), key=lambda r: (r.jurisdiction, r.id)))
    ordered_lists = tuple(sorted(lists.values(), key=lambda r: (r.jurisdiction, r.id)))
    index: dict[str, list[tuple[ListRule, ListEntry]]] = {}
    for listed in ordered_lists:
        for entry in listed.entries:
            # A plant or a preparation has no structure: it is found by name, never here.
            if entry.substance.key is not None:
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
        files=tuple(name for name, _ in files),
        compiled_key=cache_key,
    )


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged rule set, loaded once per process."""
    return load_rules()
