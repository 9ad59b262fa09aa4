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


def in_span(day: dt.date, start: dt.date, end: dt.date | None) -> bool:
    """True when ``day`` falls on or after ``start`` and before ``end`` (None: open)."""
    return start <= day and (end is None or day < end)


def parent_key(mol: Chem.Mol) -> str:
    """The index key of a standardised parent: canonical SMILES without stereo."""
    return Chem.MolToSmiles(mol, isomericSmiles=False)


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


@dataclass(frozen=True)
class ListRule:
    """A legal list: a schedule, a precursor table, a catalogue."""

    id: str
    title: str
    jurisdiction: str
    status: str  # "listed" or "precursor"
    match_kind: str  # the contract's `kind`: "listed" or "precursor"
    citation: str
    entries: tuple[ListEntry, ...]
    sources: tuple[tuple[tuple[str, str], ...], ...]
    schedule: str | None = None
    list_name: str | None = None
    isomers: str = ""
    overridden_reason: str = "a stronger control applies"
    aliases: tuple[str, ...] = ()
    path: str = ""
    revised: str = ""

    def summary(self) -> dict[str, Any]:
        """Id, jurisdiction, title, citation and dates, for listings."""
        dates = sorted(e.since for e in self.entries)
        return {
            "id": self.id,
            "jurisdiction": self.jurisdiction,
            "kind": self.match_kind,
            "status": self.status,
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
            "sources": [dict(s) for s in self.sources],
            "path": self.path,
        }


def load_substances(path: str, data: Mapping[str, Any], standardize_key) -> list[Substance]:  # type: ignore[no-untyped-def]
    """Load one registry file, checking each structure against its recorded formula."""
    from classwide._rules import _Reader

    top = _Reader(path, data)
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
        structure = sub.get("structure", str)
        if structure not in ("verified", "name-only", "unverified"):
            raise sub.fail("structure", "must be verified, name-only or unverified")
        found.append(
            Substance(
                id=sub.get("id", str),
                name=sub.get("name", str),
                synonyms=tuple(str(s) for s in sub.get("synonyms", list, [])),
                cas=cas,
                smiles=smiles,
                formula=formula,
                formula_source=sub.get("formula_source", str, ""),
                structure=structure,
                note=sub.get("note", str, ""),
                key=standardize_key(smiles),
                path=path,
            )
        )
    return found


def load_list(path: str, data: Mapping[str, Any], substances: Mapping[str, Substance]) -> ListRule:
    """Load one list file; every entry must cite a substance of the registry."""
    from classwide._rules import _choice, _Reader

    top = _Reader(path, data)
    entries = []
    for i, item in enumerate(top.get("entries", list)):
        sub = top.sub(f"entries[{i}]", item)
        ref = sub.get("substance", str)
        if ref not in substances:
            raise sub.fail("substance", f"no substance {ref!r} in rules/substances/")
        since = sub.date("since")
        until = sub.date("until", None)
        if since is None:
            raise sub.fail("since", "missing")
        if until is not None and until <= since:
            raise sub.fail("until", "must come after 'since'")
        verified = sub.get("verified", str)
        if verified not in ("V", "P", "U"):
            raise sub.fail("verified", "must be V (seen in the source), P (partly) or U (not seen)")
        code = sub.get("code", (str, int, type(None)), None)
        entries.append(
            ListEntry(
                substance=substances[ref],
                name=sub.get("name", str, substances[ref].name),
                since=since,
                until=until,
                instrument=sub.get("instrument", str),
                url=sub.get("source", str),
                verified=verified,
                code=str(code) if code is not None else None,
                schedule=sub.get("schedule", (str, type(None)), None),
                list_name=sub.get("list", (str, type(None)), None),
                since_exact=sub.get("since_exact", bool, True),
                note=sub.get("note", str, ""),
            )
        )
    revised = top.date("revised")
    return ListRule(
        id=top.get("id", str),
        title=top.get("title", str),
        jurisdiction=top.get("jurisdiction", str),
        status=_choice(top, "status", ("listed", "precursor"), "listed"),
        match_kind=_choice(top, "match_kind", ("listed", "precursor"), "listed"),
        citation=top.get("citation", str),
        entries=tuple(entries),
        sources=tuple(
            tuple(sorted((str(k), str(v)) for k, v in top.sub(f"sources[{i}]", s).data.items()))
            for i, s in enumerate(top.get("sources", list))
        ),
        schedule=top.get("schedule", (str, type(None)), None),
        list_name=top.get("list", (str, type(None)), None),
        isomers=top.get("isomers", str, ""),
        overridden_reason=top.get("overridden_reason", str, "a stronger control applies"),
        aliases=tuple(top.get("aliases", list, [])),
        path=path,
        revised=revised.isoformat() if revised else "",
    )
