"""Named substances: a registry of verified structures, and the legal lists that cite them.

``rules/substances/*.yaml`` holds each substance once: names, synonyms, CAS number, a
structure and the formula a public source gives for it (the loader recomputes the formula
and refuses a file where they differ). ``rules/<JURISDICTION>/*.yaml`` files of
``kind: list`` are legal lists (a schedule, a precursor table): each entry cites a
substance with its dates, code, instrument and source.

Lists are matched through an index on the standardised parent without stereo, so a
look-up costs one canonical SMILES and a dictionary access, and every salt, charged form
and stereoisomer of a listed substance finds its listing (schedules cover "isomers, salts
and salts of isomers"; where a list covers only some isomers, the entry says so).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from classwide._provenance import Provenance, in_span, load_header
from classwide._standardize import parent_key, parse_structure, standardize
from classwide._yaml import Reader
from classwide.errors import InputError

__all__ = [
    "CAS_PATTERN",
    "ListEntry",
    "ListRule",
    "Substance",
    "cas_is_valid",
    "load_list",
    "load_substances",
    "parent_key",
]

CAS_PATTERN = re.compile(r"^\d{2,7}-\d{2}-\d$")


def cas_is_valid(cas: str) -> bool:
    """Check a CAS registry number's form and check digit.

    >>> cas_is_valid("1609-66-1"), cas_is_valid("1609-66-5")
    (True, False)
    """
    if not CAS_PATTERN.match(cas):
        return False
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (i + 1) for i, d in enumerate(reversed(body)))
    return total % 10 == check


# What a substance without one structure is (found by name and CAS number, never by a
# structure): opium, coca leaf, the cannabis plant, poppy straw, a preparation.
STRUCTURELESS_KINDS = ("plant", "preparation", "mixture", "class", "no-structure")
STEREO_MODES = ("any", "as-drawn", "unspecified")  # "unresolved" is a match's, not an entry's
SCOPE_WORDS = (
    "salts",
    "isomers",
    "optical isomers",
    "positional isomers",
    "geometric isomers",
    "esters",
    "ethers",
)


@dataclass(frozen=True)
class Substance:
    """One substance, its names and its checked structure (or none, for a plant)."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    cas: str | None
    smiles: str | None
    formula: str
    formula_source: str
    structure: str  # "verified", "name-only" or "unverified"
    note: str
    key: str | None  # the parent key (``parent_key``); None without a structure
    path: str
    isomeric_key: str | None = None  # the parent's canonical SMILES with its stereo
    structure_kind: str = "single"  # or one of STRUCTURELESS_KINDS
    chemical_name: str = ""
    name_zh: str = ""
    smiles_source: str = ""
    second_source: str = ""
    second_check: str = ""

    def names(self) -> tuple[str, ...]:
        """Every name it may be looked up by."""
        names = (self.name, *self.synonyms, self.id)
        extra = tuple(n for n in (self.chemical_name, self.name_zh) if n)
        return names + extra

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "id": self.id,
            "name": self.name,
            "synonyms": list(self.synonyms),
            "cas": self.cas,
            "smiles": self.smiles,
            "formula": self.formula,
            "formula_source": self.formula_source,
            "structure": self.structure,
            "structure_kind": self.structure_kind,
            "chemical_name": self.chemical_name or None,
            "name_zh": self.name_zh or None,
        }


@dataclass(frozen=True)
class ListEntry:
    """A substance on a legal list, from ``since`` (until ``until``, when it left)."""

    substance: Substance
    name: str
    since: dt.date
    until: dt.date | None
    instrument: str
    url: str
    verified: str  # "V" seen in the source, "P" partly, "U" not seen
    code: str | None = None
    schedule: str | None = None  # an entry may sit in another schedule than the list's default
    list_name: str | None = None  # or in a category of its own
    since_exact: bool = True
    note: str = ""
    item: str | None = None  # where the instrument names it
    category: str | None = None  # the jurisdiction's own words for its category
    narcotic: bool | None = None  # the US narcotic flag
    stereo: str = "any"  # "as-drawn" or "unspecified": matched with stereo (STEREO_MODES)
    scope: tuple[str, ...] = ()  # the law's scope words (SCOPE_WORDS)

    def in_force(self, day: dt.date) -> bool:
        """True when the listing applies on ``day``."""
        return in_span(day, self.since, self.until)

    def takes(self, isomeric: str, flat: str) -> str | None:
        """How a parent of this stereo matches the entry: its stereo mode, or None.

        A listing that names one stereoisomer (levomethorphan) takes that stereoisomer,
        and a structure whose stereo is not given at all, as "unresolved" (it is listed if
        it is that stereoisomer); one that names the racemate (racemethorphan) takes only
        a structure without stereo; any other takes every stereoisomer.

        Args:
            isomeric: the parent's canonical SMILES with stereo.
            flat: the parent's canonical SMILES without stereo (``parent_key``).
        """
        if self.stereo == "any":
            return "any"
        if isomeric == self.substance.isomeric_key:
            return self.stereo
        if self.stereo == "as-drawn" and isomeric == flat:
            return "unresolved"
        return None


@dataclass(frozen=True, kw_only=True)
class ListRule(Provenance):
    """A legal list: a schedule, a precursor table, a catalogue."""

    entries: tuple[ListEntry, ...]
    isomers: str = ""
    category: str | None = None  # the default of the entries' category

    @property
    def match_kind(self) -> str:
        """The contract's ``kind`` of a match: "precursor" for a precursor table, else "listed"."""
        return "precursor" if self.status == "precursor" else "listed"

    def summary(self) -> dict[str, Any]:
        """Id, jurisdiction, title, citation and dates, for listings."""
        dates = sorted(e.since for e in self.entries)
        substances = {e.substance.id: e.substance for e in self.entries}
        return {
            **self.header_summary(),
            "counts": {
                "entries": len(self.entries),
                "substances": len(substances),
                "verified_structures": sum(
                    s.smiles is not None and s.structure in ("verified", "name-only")
                    for s in substances.values()
                ),
                "unverified_structures": sum(
                    s.smiles is not None and s.structure == "unverified"
                    for s in substances.values()
                ),
                "without_structure": sum(s.smiles is None for s in substances.values()),
            },
            "title": self.title,
            "citation": self.citation,
            "schedule": self.schedule,
            "list": self.list_name,
            "effective": [
                {
                    "from": dates[0].isoformat() if dates else None,
                    "until": None,
                    "instrument": f"{len(self.entries)} entries, each with its own dates",
                }
            ],
            "entries": [
                {
                    "name": e.name,
                    "substance": e.substance.id,
                    "cas": e.substance.cas,
                    "code": e.code,
                    "since": e.since.isoformat(),
                    "until": e.until.isoformat() if e.until else None,
                    "instrument": e.instrument,
                    "source": e.url,
                    "verified": e.verified,
                }
                for e in self.entries
            ],
            **self.sources_summary(),
        }


def _standard_keys(reader: Reader, smiles: str) -> tuple[str, str]:
    try:
        parent = standardize(parse_structure(smiles))
    except InputError as exc:
        raise reader.fail("smiles", str(exc)) from None
    return parent_key(parent.mol), parent.smiles


def load_substances(path: str, data: Mapping[str, Any]) -> list[Substance]:
    """Load one registry file, checking each structure against its recorded formula."""
    top = Reader(path, data)
    found = []
    for i, item in enumerate(top.get("substances", list)):
        sub = top.sub(f"substances[{i}]", item)
        smiles = sub.get("smiles", (str, type(None)), None)
        kind = sub.choice("structure_kind", ("single", *STRUCTURELESS_KINDS), "single")
        formula = sub.get("formula", str, "")
        key = isomeric = None
        if smiles is None:
            if kind == "single":
                raise sub.fail("smiles", "missing (or say 'structure_kind' for a plant ...)")
        else:
            if kind != "single":
                raise sub.fail("structure_kind", f"a {kind} has no single structure")
            with rdBase.BlockLogs():
                mol = Chem.MolFromSmiles(smiles)
            if mol is None:
                raise sub.fail("smiles", f"invalid SMILES {smiles!r}")
            computed = CalcMolFormula(mol)
            if formula and computed != formula:
                raise sub.fail("formula", f"{formula} recorded, but the structure is {computed}")
            key, isomeric = _standard_keys(sub, smiles)
        cas = sub.get("cas", (str, type(None)), None)
        if cas is not None and not cas_is_valid(cas):
            raise sub.fail("cas", f"{cas!r} is not a valid CAS number (check digit)")
        found.append(
            Substance(
                id=sub.get("id", str),
                name=sub.get("name", str),
                synonyms=tuple(sub.get("synonyms", list, [])),
                cas=cas,
                smiles=smiles,
                formula=formula,
                formula_source=sub.get("formula_source", str, ""),
                structure=sub.choice(
                    "structure", ("verified", "name-only", "unverified"), "unverified"
                ),
                note=sub.get("note", str, ""),
                key=key,
                path=path,
                isomeric_key=isomeric,
                structure_kind=kind,
                chemical_name=sub.get("chemical_name", str, ""),
                name_zh=sub.get("name_zh", str, ""),
                smiles_source=sub.get("smiles_source", str, ""),
                second_source=sub.get("second_source", str, ""),
                second_check=sub.get("second_check", str, ""),
            )
        )
    return found


# An entry must say these, itself or through the list's ``defaults``.
_ENTRY_REQUIRED = ("since", "instrument", "source", "verified")


def load_list(path: str, data: Mapping[str, Any], substances: Mapping[str, Substance]) -> ListRule:
    """Load one list file; every entry must cite a substance of the registry."""
    top = Reader(path, data)
    defaults = dict(top.get("defaults", Mapping, {}))
    entries = []
    for i, item in enumerate(top.get("entries", list)):
        sub = top.sub(f"entries[{i}]", {**defaults, **item})
        for key in _ENTRY_REQUIRED:
            if key not in sub.data:
                raise sub.fail(key, "missing (in the entry or in the list's defaults)")
        ref = sub.get("substance", str)
        if ref not in substances:
            raise sub.fail("substance", f"no substance {ref!r} in the substance registry")
        since = sub.date("since")
        until = sub.date("until", None)
        if since is None:
            raise sub.fail("since", "missing")
        if until is not None and until <= since:
            raise sub.fail("until", "must come after 'since'")
        code = sub.get("code", (str, int, type(None)), None)
        entries.append(
            ListEntry(
                substance=substances[ref],
                name=sub.get("name", str, substances[ref].name),
                since=since,
                until=until,
                instrument=sub.get("instrument", str),
                url=sub.get("source", str),
                verified=sub.choice("verified", ("V", "P", "U"), "U"),
                code=str(code) if code is not None else None,
                schedule=sub.get("schedule", (str, type(None)), None),
                list_name=sub.get("list", (str, type(None)), None),
                since_exact=sub.get("since_exact", bool, True),
                note=sub.get("note", str, ""),
                item=sub.get("item", (str, type(None)), None),
                category=sub.get("category", (str, type(None)), None),
                narcotic=sub.get("narcotic", (bool, type(None)), None),
                stereo=_stereo(sub, substances[ref]),
                scope=tuple(sub.get("scope", list, [])),
            )
        )
    return ListRule(
        **load_header(top, ("listed", "precursor")),
        entries=tuple(entries),
        isomers=top.get("isomers", str, ""),
        category=top.get("category", (str, type(None)), None),
    )


def _stereo(entry: Reader, substance: Substance) -> str:
    """The entry's stereo mode, which needs a structure whose stereo says something."""
    mode = entry.choice("stereo", STEREO_MODES, "any")
    if mode == "any":
        return mode
    if substance.isomeric_key is None:
        raise entry.fail("stereo", "a substance without a structure has no stereo to match")
    has_stereo = substance.isomeric_key != substance.key
    if mode == "as-drawn" and not has_stereo:
        raise entry.fail("stereo", f"'as-drawn', but {substance.id}'s structure has no stereo")
    if mode == "unspecified" and has_stereo:
        raise entry.fail("stereo", f"'unspecified', but {substance.id}'s structure has stereo")
    return mode
