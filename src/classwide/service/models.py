"""The shapes of the REST answers, so that the OpenAPI document publishes the record.

They mirror the ``to_dict()`` of the core's result types field for field and in the same
order, so that ``/check`` answers exactly the JSON record of ``classwide check --json``
(keys a record leaves out, such as ``reason`` on a match that applies, stay out: the routes
answer with ``response_model_exclude_unset``). ``extra="forbid"`` keeps them honest: a
field the core adds and these models lack is a server error in the tests, not a silent
drop.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StatusWord = Literal["listed", "class", "precursor", "not_controlled"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ModificationOut(_Strict):
    """A difference from the reference that a clause allows."""

    region: str
    clauses: list[str]
    change: str
    atoms: list[int] = Field(description="atom indices in `standardized`")


class DifferenceOut(_Strict):
    """A difference from the reference that no clause allows."""

    region: str
    difference: str
    clauses_tried: list[str]
    atoms: list[int]


class ClassMatchOut(_Strict):
    """A class definition or a precursor family that the structure satisfies."""

    kind: Literal["class", "precursor"]
    name: str | None = None
    class_: str = Field(alias="class")
    rule: str
    clauses: list[str] = Field(description="clause labels of the legal text (US A-E, CN 1-4)")
    applies: bool
    schedule: str | None = None
    list_: str | None = Field(None, alias="list")
    reason: str | None = Field(None, description="why it does not apply (a stronger control)")
    explanation: str
    since: str
    instrument: str
    source: str
    modifications: list[ModificationOut]
    regions: dict[str, list[int]]


class ListedMatchOut(_Strict):
    """A named listing of the structure's parent (a schedule, a catalogue, a precursor table)."""

    kind: Literal["listed", "precursor", "derivative"]
    rule: str
    name: str
    schedule: str | None = None
    list_: str | None = Field(None, alias="list")
    since: str
    source: str
    applies: bool
    reason: str | None = None
    instrument: str
    url: str
    code: str | None
    cas: str | None
    substance: str
    listing_verified: Literal["V", "P", "U"]
    since_exact: bool
    category: str | None = Field(None, description="the jurisdiction's own words")
    item: str | None = Field(None, description="where the instrument names it")
    narcotic: bool | None = Field(None, description="the US narcotic flag")
    stereo: Literal["as-drawn", "unspecified", "unresolved"] | None = Field(
        None,
        description="matched with stereo: only this stereoisomer (as-drawn), only without "
        "stereo (unspecified), or the input gives no stereo for a one-isomer listing "
        "(unresolved)",
    )
    relation: str | None = Field(None, description='for a derivative: "ester of morphine"')
    atoms: list[int] | None = Field(None, description="for a derivative: the ester or ether groups")


class NearMissOut(_Strict):
    """A class whose core the structure has, with what keeps it outside."""

    class_: str = Field(alias="class")
    rule: str
    reason: str
    differences: list[DifferenceOut]
    allowed_modifications: list[ModificationOut]
    regions: dict[str, list[int]]


class ReviewOut(_Strict):
    """A named reading whose alternative would change a class match."""

    reading: str
    rule: str
    class_match_would_be: bool
    status_would_be: StatusWord
    alternative: str


class VerdictOut(_Strict):
    """The control that applies in one jurisdiction, and every rule that spoke."""

    controlled: bool
    status: StatusWord
    matches: list[ListedMatchOut | ClassMatchOut]
    near_misses: list[NearMissOut]
    review: list[ReviewOut]
    component: str | None = Field(
        None,
        description="in a mixture, the component that decided here when it is not "
        "`standardized`; this verdict's atom indices point into it",
    )


class ComponentOut(_Strict):
    """One organic component of a mixture or salt, judged on its own."""

    smiles: str = Field(description="the component's standardised parent")
    status: dict[str, StatusWord] = Field(description="its status alone, per jurisdiction")
    decides: list[str] = Field(description="the jurisdictions whose verdict it gave")


class DepictionOut(_Strict):
    """An SVG drawing with the regions coloured by clause, and its legend."""

    svg: str
    legend: dict[str, str]


class CheckResponse(_Strict):
    """The record of the output contract (``docs/output-format.md``), with drawings on request."""

    id: str
    input: str
    error: str | None
    standardized: str | None
    components: list[ComponentOut] | None = Field(
        None,
        description="a mixture or salt whose components other than the largest have "
        "something to say: every distinct organic component judged",
    )
    jurisdictions: dict[str, VerdictOut]
    input_type: str
    decided_by: Literal["full", "prefilter"]
    as_of: str
    rules_version: str
    depictions: dict[str, DepictionOut] | None = None


class JobResults(_Strict):
    """Where a finished job's records are."""

    jsonl: str
    csv: str


class JobOut(_Strict):
    """A batch job's state and progress."""

    id: str
    state: Literal["queued", "running", "done", "failed"]
    filename: str
    jurisdictions: list[str]
    as_of: str
    records: int
    total: int | None
    errors: int
    message: str | None
    created: str
    results: JobResults | None


class PeriodOut(_Strict):
    """A period in force."""

    from_: str | None = Field(alias="from")
    until: str | None
    instrument: str


class WordOut(_Strict):
    """A word of the vocabulary that a clause uses, with its meaning."""

    kind: str
    means: str


class ClauseOut(_Strict):
    """A clause of a definition."""

    label: str
    text: str
    region: str
    from_: str | None = Field(alias="from")
    words: list[WordOut]


class ReadingOut(_Strict):
    """A named reading."""

    id: str
    default: str
    alternative: str


class EntryOut(_Strict):
    """An entry of a list."""

    name: str
    substance: str
    cas: str | None
    code: str | None
    since: str
    until: str | None
    instrument: str
    source: str
    verified: Literal["V", "P", "U"]


class DefinitionOut(_Strict):
    """A class or family definition: its clauses, their words and the readings."""

    id: str
    jurisdiction: str
    kind: Literal["class", "precursor"]
    status: StatusWord
    aliases: list[str] = Field(description="old ids that still resolve to this one")
    class_: str = Field(alias="class")
    title: str
    citation: str
    effective: list[PeriodOut]
    clauses: list[ClauseOut]
    readings: list[ReadingOut]
    interpretation: list[str]
    sources: list[dict[str, str]]
    path: str


class ListCounts(_Strict):
    """How many entries a list has, and how their structures were checked."""

    entries: int
    substances: int
    verified_structures: int = Field(description="checked two independent ways")
    unverified_structures: int = Field(description="one source only")
    without_structure: int = Field(description="plants, preparations: found by name only")


class ListOut(_Strict):
    """A named list and its entries."""

    id: str
    jurisdiction: str
    kind: Literal["listed", "precursor"]
    status: StatusWord
    aliases: list[str] = Field(description="old ids that still resolve to this one")
    counts: ListCounts
    title: str
    citation: str
    schedule: str | None
    list_: str | None = Field(alias="list")
    effective: list[PeriodOut]
    entries: list[EntryOut]
    interpretation: list[str]
    sources: list[dict[str, str]]
    path: str


class RulesResponse(_Strict):
    """Every definition and list that answers."""

    rules_version: str
    rules: list[DefinitionOut | ListOut]


class ParameterOut(_Strict):
    """An option of a kind."""

    name: str
    type: str
    means: str


class KindOut(_Strict):
    """One word of the vocabulary."""

    kind: str
    means: str
    usable_as: list[Literal["substitute", "replace", "skeleton"]]
    parameters: list[ParameterOut]


class VocabularyResponse(_Strict):
    """Every word that rule files may use, with its one-sentence meaning."""

    kinds: list[KindOut]


class ErrorBody(_Strict):
    """What went wrong, and the limit a request went over."""

    type: str
    message: str
    limit: str | None = None


class ErrorResponse(_Strict):
    """Every error answer: a 4xx (or a 5xx without internals)."""

    error: ErrorBody
