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


@dataclass(frozen=True)
class Substance:
    """One substance, its names and its verified structure."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    cas: str | None
    smiles: str
    formula: str
    formula_source: str
    structure: str  # "verified", "name-only" or "unverified"
    note: str
    key: str
    path: str

    def names(self) -> tuple[str, ...]:
        """Every name it may be looked up by."""
        return (self.name, *self.synonyms, self.id)

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

    def in_force(self, day: dt.date) -> bool:
        """True when the listing applies on ``day``."""
        return in_span(day, self.since, self.until)


@dataclass(frozen=True, kw_only=True)
class ListRule(Provenance):
    """A legal list: a schedule, a precursor table, a catalogue."""

    entries: tuple[ListEntry, ...]
    isomers: str = ""

    @property
    def match_kind(self) -> str:
        """The contract's ``kind`` of a match: "precursor" for a precursor table, else "listed"."""
        return "precursor" if self.status == "precursor" else "listed"

    def summary(self) -> dict[str, Any]:
        """Id, jurisdiction, title, citation and dates, for listings."""
        dates = sorted(e.since for e in self.entries)
        return {
            **self.header_summary(),
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


def _standard_key(reader: Reader, smiles: str) -> str:
    try:
        return parent_key(standardize(parse_structure(smiles)).mol)
    except InputError as exc:
        raise reader.fail("smiles", str(exc)) from None


def load_substances(path: str, data: Mapping[str, Any]) -> list[Substance]:
    """Load one registry file, checking each structure against its recorded formula."""
    top = Reader(path, data)
    found = []
    for i, item in enumerate(top.get("substances", list)):
        sub = top.sub(f"substances[{i}]", item)
        smiles = sub.get("smiles", str)
        with rdBase.BlockLogs():
            mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            raise sub.fail("smiles", f"invalid SMILES {smiles!r}")
        formula = sub.get("formula", str)
        computed = CalcMolFormula(mol)
        if computed != formula:
            raise sub.fail("formula", f"{formula} recorded, but the structure is {computed}")
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
                structure=sub.choice("structure", ("verified", "name-only", "unverified"), ""),
                note=sub.get("note", str, ""),
                key=_standard_key(sub, smiles),
                path=path,
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
            )
        )
    return ListRule(
        **load_header(top, ("listed", "precursor")),
        entries=tuple(entries),
        isomers=top.get("isomers", str, ""),
    )
