"""What every legal file says about itself: who, where, since when, and on what authority.

A class definition and a named list share one header: the id and its old aliases, the
jurisdiction, the citation and public sources, the status a match gives, the schedule or
list, why a match yields to a stronger control, how the words are read, and when the file
was last checked. ``Provenance`` holds it; ``ClassRule`` and ``ListRule`` extend it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from classwide._yaml import Reader


def in_span(day: dt.date, start: dt.date, end: dt.date | None) -> bool:
    """True when ``day`` falls on or after ``start`` and before ``end`` (None: open).

    >>> in_span(dt.date(2020, 5, 15), dt.date(2020, 5, 15), None)
    True
    """
    return start <= day and (end is None or day < end)


@dataclass(frozen=True)
class Period:
    """A span during which a rule is in force, and the instrument that made it so."""

    start: dt.date
    end: dt.date | None  # exclusive
    instrument: str

    def contains(self, day: dt.date) -> bool:
        """True when ``day`` falls in the period."""
        return in_span(day, self.start, self.end)


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """The header shared by class definitions and named lists."""

    id: str
    title: str
    jurisdiction: str
    status: str  # "listed", "class" or "precursor": the status a match gives
    citation: str
    sources: tuple[tuple[tuple[str, str], ...], ...]
    schedule: str | None = None
    list_name: str | None = None
    overridden_reason: str = "a stronger control applies"
    aliases: tuple[str, ...] = ()
    interpretation: tuple[str, ...] = ()
    path: str = ""
    revised: str = ""

    @property
    def match_kind(self) -> str:
        """The contract's ``kind`` of a match of this rule."""
        raise NotImplementedError

    def header_summary(self) -> dict[str, Any]:
        """The header's part of ``summary()``: id, jurisdiction, kind, status, title, citation."""
        return {
            "id": self.id,
            "jurisdiction": self.jurisdiction,
            "kind": self.match_kind,
            "status": self.status,
            "aliases": list(self.aliases),
        }

    def sources_summary(self) -> dict[str, Any]:
        """The closing part of ``summary()``: how it is read, its sources and its file."""
        return {
            "interpretation": list(self.interpretation),
            "sources": [dict(s) for s in self.sources],
            "path": self.path,
        }


def load_header(top: Reader, statuses: tuple[str, ...]) -> dict[str, Any]:
    """The header keys of one file, as keyword arguments of a ``Provenance`` subclass."""
    revised = top.date("revised")
    return {
        "id": top.get("id", str),
        "title": top.get("title", str),
        "jurisdiction": top.get("jurisdiction", str),
        "status": top.choice("status", statuses, statuses[0]),
        "citation": top.get("citation", str),
        "sources": tuple(
            tuple(sorted((str(k), str(v)) for k, v in top.sub(f"sources[{i}]", s).data.items()))
            for i, s in enumerate(top.get("sources", list))
        ),
        "schedule": top.get("schedule", (str, type(None)), None),
        "list_name": top.get("list", (str, type(None)), None),
        "overridden_reason": top.get("overridden_reason", str, "a stronger control applies"),
        "aliases": tuple(top.get("aliases", list, [])),
        "interpretation": tuple(top.get("interpretation", list, [])),
        "path": top.path,
        "revised": revised.isoformat() if revised else "",
    }
