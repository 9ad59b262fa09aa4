"""What a decision returns: frozen dataclasses that serialise unchanged to JSON.

The same objects feed the CLI, the batch writers and the Python API, so an explanation is
never a log line or a joined string: it carries the rule, the clause labels of the legal
text, the atoms (indices into the reported ``standardized`` SMILES) and a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from classwide import _wording as wording


class Status(StrEnum):
    """Per jurisdiction, the strongest control that applies (strongest first)."""

    LISTED = "listed"
    CLASS = "class"
    PRECURSOR = "precursor"
    NOT_CONTROLLED = "not_controlled"

    @property
    def rank(self) -> int:
        """0 for the strongest status."""
        return list(Status).index(self)


class Verdict(StrEnum):
    """Whether one definition takes in one structure."""

    MATCH = "match"
    NO_MATCH = "no_match"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class Modification:
    """One difference from the reference structure that a clause allows."""

    region: str
    clauses: tuple[str, ...]
    description: str
    atoms: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "region": self.region,
            "clauses": list(self.clauses),
            "change": self.description,
            "atoms": list(self.atoms),
        }


@dataclass(frozen=True)
class Difference:
    """One difference from the reference structure that no clause allows."""

    region: str
    description: str
    atoms: tuple[int, ...]
    clauses_tried: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "region": self.region,
            "difference": self.description,
            "clauses_tried": list(self.clauses_tried),
            "atoms": list(self.atoms),
        }


@dataclass(frozen=True)
class Fit:
    """How one structure lines up with a scaffold definition.

    Attributes:
        modifications: the allowed changes found.
        also: clause labels that explain the same changes another way (A or B).
        differences: the changes no clause allows (empty for a member).
        regions: region id -> atom indices of that region in the structure.
        core_found: False when the scaffold's core is absent altogether.
        near: the core is absent, but a known near miss of it is present.
    """

    modifications: tuple[Modification, ...] = ()
    differences: tuple[Difference, ...] = ()
    regions: tuple[tuple[str, tuple[int, ...]], ...] = ()
    core_found: bool = True
    near: bool = False
    also: tuple[str, ...] = ()
    reference_is_member: bool = False

    @property
    def verdict(self) -> Verdict:
        """MATCH when every difference is allowed and there is at least one."""
        if (
            self.core_found
            and not self.differences
            and (self.modifications or self.reference_is_member)
        ):
            return Verdict.MATCH
        return Verdict.NO_MATCH

    @property
    def clauses(self) -> tuple[str, ...]:
        """The clause labels used, in the order the legal text gives them."""
        used = {c for m in self.modifications for c in m.clauses} | set(self.also)
        return tuple(sorted(used))

    def explanation(self) -> str:
        """One line naming each modification, or why the structure is outside."""
        return wording.fit_explanation(
            [d.description for d in self.differences],
            [m.description for m in self.modifications],
            self.reference_is_member,
        )


@dataclass(frozen=True)
class ClassMatch:
    """A class definition that the structure satisfies (``applies`` False when overridden)."""

    rule: str
    class_name: str
    clauses: tuple[str, ...]
    applies: bool
    explanation: str
    since: str
    instrument: str
    citation: str
    modifications: tuple[Modification, ...]
    regions: tuple[tuple[str, tuple[int, ...]], ...]
    reason: str | None = None
    kind: str = "class"  # "precursor" for a structural precursor family
    status: Status = Status.CLASS
    name: str | None = None
    schedule: str | None = None
    list_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise in the shape of the output contract."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.name:
            out["name"] = self.name
        out.update(
            {
                "class": self.class_name,
                "rule": self.rule,
                "clauses": list(self.clauses),
                "applies": self.applies,
            }
        )
        if self.schedule:
            out["schedule"] = self.schedule
        if self.list_name:
            out["list"] = self.list_name
        if self.reason is not None:
            out["reason"] = self.reason
        out.update(
            {
                "explanation": self.explanation,
                "since": self.since,
                "instrument": self.instrument,
                "source": self.citation,
                "modifications": [m.to_dict() for m in self.modifications],
                "regions": {name: list(atoms) for name, atoms in self.regions},
            }
        )
        return out


@dataclass(frozen=True)
class ListedMatch:
    """A named listing of the structure's parent: a schedule entry or a listed chemical."""

    kind: str  # "listed" or "precursor"
    rule: str
    name: str
    substance: str
    since: str
    instrument: str
    citation: str
    url: str
    verified: str
    status: Status
    schedule: str | None = None
    list_name: str | None = None
    code: str | None = None
    cas: str | None = None
    applies: bool = True
    reason: str | None = None
    since_exact: bool = True
    category: str | None = None  # the jurisdiction's own words ("Schedule II, opiates")
    item: str | None = None  # where the instrument names it ("1308.12(c)(18)", "item 107")
    narcotic: bool | None = None  # the US narcotic/non-narcotic flag
    stereo: str = "any"  # "as-drawn": only this stereoisomer; "unspecified": no stereo given
    relation: str | None = None  # for a derivative: "ester of morphine"
    atoms: tuple[int, ...] = ()  # for a derivative: the atoms of the ester or ether groups

    @property
    def clauses(self) -> tuple[str, ...]:
        """A listing names the substance; it has no clauses."""
        return ()

    @property
    def explanation(self) -> str:
        """One line: what list names it, since when."""
        return wording.listing(
            name=self.name,
            rule=self.rule,
            since=self.since,
            since_exact=self.since_exact,
            schedule=self.schedule,
            list_name=self.list_name,
            citation=self.citation,
            category=self.category,
            code=self.code,
            narcotic=self.narcotic,
            stereo=self.stereo,
            relation=self.relation,
        )

    def to_dict(self) -> dict[str, Any]:
        """Serialise in the shape of the output contract."""
        out: dict[str, Any] = {"kind": self.kind, "rule": self.rule, "name": self.name}
        if self.schedule:
            out["schedule"] = self.schedule
        if self.list_name:
            out["list"] = self.list_name
        out.update({"since": self.since, "source": self.citation, "applies": self.applies})
        if self.reason is not None:
            out["reason"] = self.reason
        out.update(
            {
                "instrument": self.instrument,
                "url": self.url,
                "code": self.code,
                "cas": self.cas,
                "substance": self.substance,
                "listing_verified": self.verified,
                "since_exact": self.since_exact,
            }
        )
        # Added for the full national lists; absent where a list does not say them, so
        # records of lists without these fields keep their bytes.
        if self.category:
            out["category"] = self.category
        if self.item:
            out["item"] = self.item
        if self.narcotic is not None:
            out["narcotic"] = self.narcotic
        if self.stereo != "any":
            out["stereo"] = self.stereo
        if self.relation:
            out["relation"] = self.relation
            out["atoms"] = list(self.atoms)
        return out


@dataclass(frozen=True)
class NearMiss:
    """A class definition whose core the structure has, with what keeps it outside."""

    rule: str
    class_name: str
    reason: str
    differences: tuple[Difference, ...]
    modifications: tuple[Modification, ...]
    regions: tuple[tuple[str, tuple[int, ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "class": self.class_name,
            "rule": self.rule,
            "reason": self.reason,
            "differences": [d.to_dict() for d in self.differences],
            "allowed_modifications": [m.to_dict() for m in self.modifications],
            "regions": {name: list(atoms) for name, atoms in self.regions},
        }


@dataclass(frozen=True)
class ReviewNote:
    """A named reading of the law whose alternative would change a class match."""

    reading: str
    rule: str
    class_match_would_be: bool
    status_would_be: Status
    alternative: str

    def to_dict(self) -> dict[str, Any]:
        """Serialise in the shape of the output contract."""
        return {
            "reading": self.reading,
            "rule": self.rule,
            "class_match_would_be": self.class_match_would_be,
            "status_would_be": self.status_would_be.value,
            "alternative": self.alternative,
        }


@dataclass(frozen=True)
class JurisdictionVerdict:
    """The control that applies in one jurisdiction, and every rule that spoke."""

    jurisdiction: str
    status: Status
    matches: tuple[ListedMatch | ClassMatch, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    review: tuple[ReviewNote, ...] = ()
    # In a mixture, the component that decided here when it is not the record's
    # ``standardized``; the atom indices of this verdict then point into this SMILES.
    component: str | None = None

    @property
    def controlled(self) -> bool:
        """True for any status but ``not_controlled``."""
        return self.status is not Status.NOT_CONTROLLED

    def class_matches(self, kind: str = "class") -> tuple[ClassMatch, ...]:
        """The structural matches of one kind ("class" or "precursor"), applying or not."""
        return tuple(m for m in self.matches if isinstance(m, ClassMatch) and m.kind == kind)

    def listings(self) -> tuple[ListedMatch, ...]:
        """The named listings of the structure in this jurisdiction."""
        return tuple(m for m in self.matches if isinstance(m, ListedMatch))

    def to_dict(self) -> dict[str, Any]:
        """Serialise in the shape of the output contract."""
        out: dict[str, Any] = {
            "controlled": self.controlled,
            "status": self.status.value,
            "matches": [m.to_dict() for m in self.matches],
            "near_misses": [n.to_dict() for n in self.near_misses],
            "review": [r.to_dict() for r in self.review],
        }
        if self.component is not None:
            out["component"] = self.component
        return out


@dataclass(frozen=True)
class Component:
    """One distinct organic component of a mixture or salt, and what it is on its own.

    Attributes:
        smiles: the component's standardised parent (canonical SMILES, stereo kept).
        statuses: per jurisdiction asked, the status of this component alone.
        decides: the jurisdictions whose verdict this component gave.
    """

    smiles: str
    statuses: tuple[tuple[str, Status], ...]
    decides: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types."""
        return {
            "smiles": self.smiles,
            "status": {code: status.value for code, status in self.statuses},
            "decides": list(self.decides),
        }


@dataclass(frozen=True)
class Classification:
    """The record for one input structure: its parent and a verdict per jurisdiction."""

    id: str
    input: str
    error: str | None
    standardized: str | None
    jurisdictions: tuple[JurisdictionVerdict, ...]
    rules_version: str
    as_of: str
    input_type: str = "smiles"
    decided_by: str = "full"  # or "prefilter": proven out of scope, parent not computed
    # A mixture or salt with more than one organic component, when another component
    # than the largest is controlled or decides: every component judged (empty otherwise,
    # so that the record of a single structure keeps its bytes).
    components: tuple[Component, ...] = ()

    def verdict(self, jurisdiction: str) -> JurisdictionVerdict:
        """Return the verdict for one jurisdiction code."""
        for verdict in self.jurisdictions:
            if verdict.jurisdiction == jurisdiction:
                return verdict
        raise KeyError(jurisdiction)

    def to_dict(self) -> dict[str, Any]:
        """Serialise in the shape of the output contract (key order is stable)."""
        out: dict[str, Any] = {
            "id": self.id,
            "input": self.input,
            "error": self.error,
            "standardized": self.standardized,
        }
        if self.components:
            out["components"] = [c.to_dict() for c in self.components]
        out.update(
            {
                "jurisdictions": {v.jurisdiction: v.to_dict() for v in self.jurisdictions},
                "input_type": self.input_type,
                "decided_by": self.decided_by,
                "as_of": self.as_of,
                "rules_version": self.rules_version,
            }
        )
        return out
