"""The rule-file format, declared once: it checks files, and it writes the JSON Schema and docs.

Every key a rule file may hold is declared here with its type and one sentence of meaning.
The loader checks each file against these declarations before it reads a value, so a
misspelled or misplaced key (``att:`` for ``at:``, ``untill:`` for ``until:``) is refused
with the file, the dotted path and the keys that are known there, and a list item of the
wrong type is refused with its index. ``json_schema()`` turns the same declarations into
the JSON Schema that editors use (``docs/rule-file.schema.json``), and
``reference_markdown()`` into the key tables of ``docs/rule-format.md``; a test keeps both
files equal to what this module generates.

The words of the law that clauses may use ("alkyl", "monocycle" ...) come from the
vocabulary registry (``_vocabulary.KINDS``), so a new word is one registry entry.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from classwide._lists import SCOPE_WORDS, STEREO_MODES, STRUCTURELESS_KINDS
from classwide._vocabulary import KINDS, VOCABULARY
from classwide._yaml import dotted
from classwide.errors import RuleFileError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Spec:
    """What a value must be: checks it and describes it."""

    def check(self, value: Any, path: str, where: str) -> None:
        """Raise ``RuleFileError`` when ``value`` does not fit."""
        raise NotImplementedError

    def words(self) -> str:
        """A short description for the docs ("text", "list of dates")."""
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the value."""
        raise NotImplementedError

    def fits(self, value: Any) -> bool:
        """True when ``value`` fits (used to choose among alternatives)."""
        try:
            self.check(value, "", "")
        except RuleFileError:
            return False
        return True


def _fail(path: str, where: str, problem: str) -> RuleFileError:
    return RuleFileError(path, where or "(top)", problem)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Scalar(Spec):
    """Text, a whole number, true/false, or a date written YYYY-MM-DD."""

    kind: str  # "text", "integer", "boolean", "date", "null"

    def check(self, value: Any, path: str, where: str) -> None:
        ok = {
            "text": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "date": isinstance(value, dt.date) or (isinstance(value, str) and _is_date(value)),
            "null": value is None,
        }[self.kind]
        if not ok:
            if self.kind == "date" and isinstance(value, str):
                raise _fail(path, where, f"not a date (YYYY-MM-DD): {value!r}")
            raise _fail(path, where, f"expected {self.words()}, got {_type_name(value)}")

    def words(self) -> str:
        return {
            "text": "text",
            "integer": "a whole number",
            "boolean": "true or false",
            "date": "a date (YYYY-MM-DD)",
            "null": "null",
        }[self.kind]

    def schema(self) -> dict[str, Any]:
        if self.kind == "date":
            return {"type": "string", "pattern": _DATE.pattern, "format": "date"}
        return {"type": {"text": "string"}.get(self.kind, self.kind)}


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


TEXT, INTEGER, BOOLEAN, DATE, NULL = (
    Scalar("text"),
    Scalar("integer"),
    Scalar("boolean"),
    Scalar("date"),
    Scalar("null"),
)


@dataclass(frozen=True)
class Choice(Spec):
    """One word of a fixed set (the set may come from the vocabulary, read when checked)."""

    values: tuple[str, ...] | Callable[[], tuple[str, ...]]
    what: str = "word"

    def allowed(self) -> tuple[str, ...]:
        """The words allowed."""
        return self.values() if callable(self.values) else self.values

    def check(self, value: Any, path: str, where: str) -> None:
        allowed = self.allowed()
        if not isinstance(value, str) or value not in allowed:
            shown = repr(value) if isinstance(value, str) else _type_name(value)
            raise _fail(path, where, f"unknown {self.what} {shown} (known: {', '.join(allowed)})")

    def words(self) -> str:
        allowed = self.allowed()
        if len(allowed) > 6:
            return f"a {self.what} of the vocabulary"
        return " or ".join(f"`{v}`" for v in allowed)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.allowed())}


@dataclass(frozen=True)
class ListOf(Spec):
    """A list whose every item fits ``item``."""

    item: Spec

    def check(self, value: Any, path: str, where: str) -> None:
        if not isinstance(value, list):
            raise _fail(path, where, f"expected a list, got {_type_name(value)}")
        for i, item in enumerate(value):
            self.item.check(item, path, dotted(where, i))

    def words(self) -> str:
        return f"list of {self.item.words()}"

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema()}


@dataclass(frozen=True)
class Either(Spec):
    """Any one of several specs (the first that fits)."""

    options: tuple[Spec, ...]

    def check(self, value: Any, path: str, where: str) -> None:
        for option in self.options:
            if option.fits(value):
                return
        # Report the problem of the option whose container type fits, for a precise path.
        for option in self.options:
            if _same_container(option, value):
                option.check(value, path, where)
        raise _fail(path, where, f"expected {self.words()}, got {_type_name(value)}")

    def words(self) -> str:
        return " or ".join(o.words() for o in self.options)

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [o.schema() for o in self.options]}


def _same_container(spec: Spec, value: Any) -> bool:
    if isinstance(spec, (ListOf,)):
        return isinstance(value, list)
    if isinstance(spec, (Shape, MapOf, Tagged)):
        return isinstance(value, Mapping)
    if isinstance(spec, Choice):
        return isinstance(value, str)
    return False


def optional(spec: Spec) -> Spec:
    """The spec, or null."""
    return Either((spec, NULL))


@dataclass(frozen=True)
class Key:
    """One key of a mapping: its value's spec, whether it is required, and what it means."""

    name: str
    spec: Spec
    means: str
    required: bool = False
    default: str = ""  # how the engine reads an absent key, for the docs


@dataclass(frozen=True)
class Shape(Spec):
    """A mapping with a fixed set of keys: unknown keys are refused."""

    name: str
    means: str
    keys: tuple[Key, ...]
    example: str = ""

    def known(self) -> list[str]:
        """The key names, in declaration order."""
        return [k.name for k in self.keys]

    def check(self, value: Any, path: str, where: str) -> None:
        if not isinstance(value, Mapping):
            raise _fail(path, where, f"expected a mapping ({self.name}), got {_type_name(value)}")
        known = self.known()
        for key in value:
            if key not in known:
                raise _fail(
                    path,
                    dotted(where, str(key)),
                    f"unknown key {str(key)!r} in {self.name} (known: {', '.join(sorted(known))})",
                )
        for key in self.keys:
            if key.name not in value:
                if key.required:
                    raise _fail(path, dotted(where, key.name), "missing")
                continue
            key.spec.check(value[key.name], path, dotted(where, key.name))

    def words(self) -> str:
        return f"[{self.name}](#{_anchor(self.name)})"

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{_anchor(self.name)}"}

    def definition(self) -> dict[str, Any]:
        """The JSON Schema of the mapping itself, for ``$defs``."""
        properties = {}
        for key in self.keys:
            prop = key.spec.schema()
            prop = {**prop, "description": key.means} if "$ref" not in prop else prop
            properties[key.name] = prop
        out: dict[str, Any] = {
            "type": "object",
            "description": self.means,
            "properties": properties,
            "additionalProperties": False,
        }
        required = [k.name for k in self.keys if k.required]
        if required:
            out["required"] = required
        return out


@dataclass(frozen=True)
class MapOf(Spec):
    """A mapping whose keys are free (of one type) and whose values fit one spec."""

    key: Spec
    value: Spec
    key_words: str

    def check(self, value: Any, path: str, where: str) -> None:
        if not isinstance(value, Mapping):
            raise _fail(path, where, f"expected a mapping, got {_type_name(value)}")
        for k, v in value.items():
            self.key.check(k, path, dotted(where, str(k)))
            self.value.check(v, path, dotted(where, str(k)))

    def words(self) -> str:
        return f"mapping of {self.key_words} to {self.value.words()}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "additionalProperties": self.value.schema()}
        if self.key == INTEGER:
            out["propertyNames"] = {"pattern": "^[0-9]+$"}
        return out


@dataclass(frozen=True)
class Tagged(Spec):
    """A mapping whose ``tag`` key picks its other keys (a kind and its parameters).

    A bare word stands for ``{tag: word}``.
    """

    name: str
    means: str
    tag: str
    variants: Callable[[], Mapping[str, tuple[Key, ...]]]

    def check(self, value: Any, path: str, where: str) -> None:
        variants = self.variants()
        if isinstance(value, str):
            value = {self.tag: value}
        if not isinstance(value, Mapping):
            raise _fail(path, where, f"expected a word or a mapping, got {_type_name(value)}")
        if self.tag not in value:
            known = sorted({self.tag, *(k.name for keys in variants.values() for k in keys)})
            for key in value:
                if key not in known:
                    raise _fail(
                        path,
                        dotted(where, str(key)),
                        f"unknown key {str(key)!r} in {self.name} (known: {', '.join(known)})",
                    )
            raise _fail(path, dotted(where, self.tag), "missing")
        Choice(tuple(variants), self.tag).check(value[self.tag], path, dotted(where, self.tag))
        keys = variants[value[self.tag]]
        Shape(
            f"{self.name} {value[self.tag]!r}", self.means, (Key(self.tag, TEXT, ""), *keys)
        ).check(value, path, where)

    def words(self) -> str:
        return f"[{self.name}](#{_anchor(self.name)})"

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{_anchor(self.name)}"}

    def definition(self) -> dict[str, Any]:
        """A word, or a mapping per variant."""
        options: list[dict[str, Any]] = [{"type": "string", "enum": list(self.variants())}]
        for word, keys in self.variants().items():
            properties: dict[str, Any] = {self.tag: {"const": word}}
            for key in keys:
                properties[key.name] = {**key.spec.schema(), "description": key.means}
            options.append(
                {
                    "type": "object",
                    "properties": properties,
                    "required": [self.tag],
                    "additionalProperties": False,
                    "description": VOCABULARY[word].means if word in VOCABULARY else "",
                }
            )
        return {"description": self.means, "anyOf": options}


def _anchor(name: str) -> str:
    return name.lower().replace(" ", "-")


# --- the vocabulary, as the format sees it -----------------------------------------------------


def _substitute_words() -> tuple[str, ...]:
    return tuple(k.name for k in KINDS if k.substitute)


def _replacement_variants() -> dict[str, tuple[Key, ...]]:
    substituent_kinds = ListOf(Choice(_substitute_words, "substituent kind"))
    out: dict[str, tuple[Key, ...]] = {}
    for kind in KINDS:
        if not (kind.replace or kind.skeleton):
            continue
        keys = []
        for parameter in kind.parameters:
            spec = {"boolean": BOOLEAN, "whole number": INTEGER}.get(
                parameter.type, substituent_kinds
            )
            keys.append(Key(parameter.name, spec, parameter.means))
        out[kind.name] = tuple(keys)
    return out


SUBSTITUENT = Choice(_substitute_words, "substituent kind")
REPLACEMENT = Tagged(
    "replacement",
    "A kind of group allowed in place of a whole region (a `skeleton` word: in place of the "
    "region's skeleton, its slot kept): a word of the vocabulary, or a mapping with `kind` "
    "and that kind's parameters.",
    "kind",
    _replacement_variants,
)
TEXT_OR_TEXTS = Either((TEXT, ListOf(TEXT)))

# --- the shapes ---------------------------------------------------------------------------------

SOURCE = Shape(
    "source",
    "A public page where the legal text or the fact can be read.",
    (
        Key("title", TEXT, "What the page is.", required=True),
        Key("url", TEXT, "Its address.", required=True),
        Key("note", TEXT, "What the page shows, or how far it supports the file."),
    ),
    example="- {title: Public Law 119-26, url: https://www.congress.gov/119/plaws/publ26/}",
)

PERIOD = Shape(
    "period",
    "A span during which the definition is in force, and the instrument that made it so.",
    (
        Key("from", DATE, "First day in force.", required=True),
        Key("until", DATE, "First day no longer in force.", default="still in force"),
        Key("instrument", TEXT, "The legal instrument of this period.", required=True),
    ),
    example="- {from: 2019-05-01, instrument: MPS/NHC/NMPA joint announcement of 2019-04-01}",
)

CLAUSE_KEYS = (
    Key(
        "text",
        TEXT,
        "The clause's wording in the law (short, verbatim where possible).",
        required=True,
    ),
    Key(
        "replace",
        ListOf(REPLACEMENT),
        "Kinds of group that may take the place of the whole region.",
        default="none",
    ),
    Key(
        "substitute",
        ListOf(SUBSTITUENT),
        "Kinds of substituent that may be added to the region's skeleton (and its slots').",
        default="none",
    ),
    Key(
        "at",
        ListOf(INTEGER),
        "Core atoms (map numbers of the scaffold's core SMARTS) where `substitute` applies.",
        default="anywhere in the region",
    ),
    Key(
        "not_covered",
        TEXT,
        "The phrase that says why a replacement does not fit (`not an acyl group`).",
        default="no clause allows it",
    ),
    Key("from", DATE, "A part of the definition that took effect later.", default="always"),
)

CLAUSE = Shape(
    "clause",
    "One clause of the law: one kind of change allowed in one region. A clause needs "
    "`replace` or `substitute`.",
    (
        Key(
            "label",
            Either((TEXT, INTEGER)),
            "The clause's label in the legal text (`A`, `1`).",
            required=True,
        ),
        Key(
            "region",
            TEXT_OR_TEXTS,
            "The region (or slot) it changes; a list makes one clause per region.",
            required=True,
        ),
        *CLAUSE_KEYS,
    ),
    example="""- label: E
  text: replacement of the N-propionyl group by another acyl group
  region: acyl
  replace: [{kind: acyl}]
  not_covered: not an acyl group R-C(=O)-""",
)

CLAUSE_PATCH = Shape(
    "clause patch",
    "The keys of a clause that a reading writes differently; the others stay as written.",
    CLAUSE_KEYS[1:] + (Key("text", TEXT, "The clause's wording under the reading."),),
    example="E: {replace: [{kind: acyl}, {kind: thioacyl}, {kind: sulfonyl}]}",
)

READING = Shape(
    "reading",
    "A named reading of an ambiguous word: the default, the alternative, and the clauses "
    "as the alternative writes them. `review` reports it when the alternative would "
    "change a verdict.",
    (
        Key("id", TEXT, "Stable id of the reading (`acyl-iupac-broad`).", required=True),
        Key("title", TEXT, "The word and the question, in a few words.", required=True),
        Key("default", TEXT, "The reading applied.", required=True),
        Key("alternative", TEXT, "The other reading.", required=True),
        Key(
            "patch",
            MapOf(Either((TEXT, INTEGER)), CLAUSE_PATCH, "clause label"),
            "Clause label to the keys the alternative changes.",
            required=True,
        ),
    ),
    example="""- id: acyl-iupac-broad
  title: '"acyl group" in IUPAC's broad sense'
  default: acyl means a group bonded through C(=O)
  alternative: acyl also takes in thioacyl, sulfonyl and phosphoryl
  patch:
    E: {replace: [{kind: acyl}, {kind: thioacyl}, {kind: sulfonyl}, {kind: phosphoryl}]}""",
)

DEFINITION = Shape(
    "definition",
    "How the law defines the class: a reference structure (scaffold) and its clauses.",
    (
        Key(
            "type",
            Choice(("scaffold",)),
            "`scaffold`: the reference structure changed in listed ways.",
            required=True,
        ),
        Key(
            "scaffold",
            TEXT_OR_TEXTS,
            "The scaffold id(s): the reference structure in one or more forms.",
            required=True,
        ),
        Key("clauses", ListOf(CLAUSE), "The clauses, in the law's order.", required=True),
        Key("readings", ListOf(READING), "Named readings of ambiguous words.", default="none"),
    ),
)

EXAMPLE = Shape(
    "example",
    "A structure the file says is (or is not) in the class, and why. The tests and "
    "`classwide rules --check` run every example.",
    (
        Key("smiles", TEXT, "The structure.", required=True),
        Key("why", TEXT, "Why it is in or out: the file's own comment.", required=True),
        Key(
            "clauses",
            Either((ListOf(Either((TEXT, INTEGER))), TEXT, NULL)),
            "For a match: exactly the clause labels it uses.",
            default="not checked",
        ),
        Key("as_of", DATE, "Judge under the law of that day.", default="every clause of the file"),
    ),
    example='- {smiles: "CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", clauses: [E], why: acetyl}',
)

EXAMPLES = Shape(
    "examples",
    "The file's own tests: at least one of each kind.",
    (
        Key("match", ListOf(EXAMPLE), "Structures in the class.", required=True),
        Key("no_match", ListOf(EXAMPLE), "Structures outside it.", required=True),
    ),
)


def _header(kind: str) -> tuple[Key, ...]:
    """The keys every definition and list file has: who says what, where, since when."""
    statuses = ("class", "precursor", "listed") if kind == "definition" else ("listed", "precursor")
    return (
        Key(
            "kind",
            Choice((kind,), "file kind"),
            "What the file is (may be left out in a folder that says it).",
        ),
        Key("id", TEXT, "Stable id, never reused (`US-FRS`).", required=True),
        Key("title", TEXT, "The instrument's or the class's name.", required=True),
        Key("jurisdiction", TEXT, "ISO 3166 code, or `UN`.", required=True),
        Key(
            "status",
            Choice(statuses),
            "The status a match gives: `listed`, `class` or `precursor`.",
            default=statuses[0],
        ),
        Key("citation", TEXT, "The legal citation.", required=True),
        Key("sources", ListOf(SOURCE), "Public pages of the legal text.", required=True),
        Key("revised", DATE, "When the file was last checked against its sources.", required=True),
        Key("aliases", ListOf(TEXT), "Old ids that still resolve to this one.", default="none"),
        Key("schedule", optional(TEXT), "The schedule, where the law has one (`I`)."),
        Key("list", optional(TEXT), "The list or category, where the law has one (`List I`)."),
        Key(
            "overridden_reason",
            TEXT,
            "Why a match does not apply when a stronger control does.",
            default="a stronger control applies",
        ),
        Key(
            "interpretation",
            ListOf(TEXT),
            "How the words of the law are read, in prose.",
            default="none",
        ),
    )


DEFINITION_FILE = Shape(
    "definition file",
    "A class or a family defined by structure: `kind: definition`.",
    (
        *_header("definition"),
        Key("class", TEXT, "The class's name in the output (`fentanyl-related`).", required=True),
        Key(
            "effective",
            ListOf(PERIOD),
            "The periods in force, with their instruments.",
            required=True,
        ),
        Key(
            "reference_is_member",
            BOOLEAN,
            "The reference structure itself is a member (a family: `4-AP and its amides`).",
            default="false",
        ),
        Key("definition", DEFINITION, "The structural definition.", required=True),
        Key("examples", EXAMPLES, "The file's own examples.", required=True),
    ),
)

ENTRY_KEYS = (
    Key("name", TEXT, "The name the list gives.", default="the substance's name"),
    Key("since", DATE, "First day listed."),
    Key("until", DATE, "First day no longer listed.", default="still listed"),
    Key("since_exact", BOOLEAN, "False: listed on or before `since`.", default="true"),
    Key("instrument", TEXT, "The instrument that listed it."),
    Key("source", TEXT, "A public page showing the listing (a URL)."),
    Key(
        "verified",
        Choice(("V", "P", "U")),
        "`V` seen in the source, `P` partly or in a secondary source, `U` not seen.",
    ),
    Key("code", Either((TEXT, INTEGER, NULL)), "The law's code for it (DEA code number)."),
    Key("schedule", optional(TEXT), "Its schedule, when not the list's."),
    Key("list", optional(TEXT), "Its list or category, when not the list's."),
    Key("note", TEXT, "Anything a reader should know."),
    Key("item", optional(TEXT), "Where the instrument names it (`1308.12(c)(18)`, `item 107`)."),
    Key(
        "category",
        optional(TEXT),
        "The jurisdiction's own words for its category (`Schedule II, opiates`).",
        default="the list's",
    ),
    Key("narcotic", optional(BOOLEAN), "The US narcotic (true) or non-narcotic (false) flag."),
    Key(
        "stereo",
        Choice(STEREO_MODES),
        "`as-drawn`: only the stereoisomer drawn is listed (levomethorphan); `unspecified`: "
        "only a structure without stereo (a racemate: racemethorphan); `any`: every "
        "stereoisomer.",
        default="any",
    ),
    Key(
        "scope",
        ListOf(Choice(SCOPE_WORDS, "scope word")),
        "The law's scope words for it: salts, isomers, esters, ethers ...",
        default="none",
    ),
)

ENTRY = Shape(
    "entry",
    "A substance on the list, with its dates and source. `since`, `instrument`, `source` "
    "and `verified` are required, here or in the list's `defaults`.",
    (Key("substance", TEXT, "The substance id in the registry.", required=True), *ENTRY_KEYS),
    example="""- substance: acetylfentanyl
  code: 9821
  since: 2015-07-17
  instrument: temporary order 80 FR 42381
  source: https://thefederalregister.org/80-FR/42381
  verified: P""",
)

ENTRY_DEFAULTS = Shape(
    "entry defaults",
    "Values every entry of the list takes unless it gives its own.",
    tuple(k for k in ENTRY_KEYS if k.name not in ("name", "code", "item")),
    example="defaults: {instrument: 21 CFR 1308.12, verified: V}",
)

LIST_FILE = Shape(
    "list file",
    "A legal list that names substances (a schedule, a catalogue, a precursor table): "
    "`kind: list`.",
    (
        *_header("list"),
        Key(
            "isomers",
            TEXT,
            "What the list's scope words cover (isomers, esters, salts) and how they are matched.",
            default="none said",
        ),
        Key(
            "category",
            optional(TEXT),
            "The jurisdiction's own words for the entries' category, unless an entry says its own.",
        ),
        Key("defaults", ENTRY_DEFAULTS, "Values shared by every entry.", default="none"),
        Key("entries", ListOf(ENTRY), "The substances listed.", required=True),
    ),
)

SUBSTANCE = Shape(
    "substance",
    "One substance, once: its names and its checked structure.",
    (
        Key("id", TEXT, "Stable id, cited by list entries.", required=True),
        Key("name", TEXT, "The name shown.", required=True),
        Key("synonyms", ListOf(TEXT), "Other names it is found by.", default="none"),
        Key("name_zh", TEXT, "The Chinese name (China's catalogues)."),
        Key("chemical_name", TEXT, "The law's or an IUPAC chemical name."),
        Key("cas", optional(TEXT), "CAS registry number (its check digit is checked)."),
        Key(
            "smiles",
            optional(TEXT),
            "The structure; null for a plant or a preparation (then `structure_kind`).",
            required=True,
        ),
        Key(
            "structure_kind",
            Choice(("single", *STRUCTURELESS_KINDS)),
            "`single`, or what a substance without one structure is: found by name and CAS "
            "number only.",
            default="single",
        ),
        Key("smiles_source", TEXT, "Where the structure was taken from."),
        Key(
            "second_source",
            TEXT,
            "An independent source that agrees with the structure.",
        ),
        Key(
            "second_check",
            TEXT,
            "What agrees: `opsin` (OPSIN's parse of the chemical name), `inchikey`, `formula ...`.",
        ),
        Key(
            "formula",
            TEXT,
            "The formula a public source gives; the loader recomputes it from the structure.",
        ),
        Key("formula_source", TEXT, "The page that gives the formula."),
        Key(
            "structure",
            Choice(("verified", "name-only", "unverified")),
            "`verified`: two independent checks agree; `name-only`: the legal or WHO name was "
            "checked against it; `unverified`: one source only.",
            default="unverified",
        ),
        Key("note", TEXT, "Anything a reader should know."),
    ),
    example="""- id: fentanyl
  name: fentanyl
  cas: 437-38-7
  smiles: CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1
  formula: C22H28N2O
  formula_source: https://...
  structure: verified""",
)

SUBSTANCES_FILE = Shape(
    "substances file",
    "The registry of substances that lists cite: `kind: substances`, or any file in a "
    "`substances/` folder.",
    (
        Key("kind", Choice(("substances",), "file kind"), "What the file is."),
        Key("substances", ListOf(SUBSTANCE), "The substances.", required=True),
    ),
)

REGION_KEYS = (
    Key("id", TEXT, "Stable id, used by clauses (`n1_group`).", required=True),
    Key("name", TEXT, "How explanations name it (`phenethyl group`).", required=True),
    Key(
        "reference_name",
        TEXT,
        "How explanations name what the reference has there.",
        default="the name",
    ),
    Key(
        "reference",
        optional(TEXT),
        "The reference's group there, as SMILES with `*` at the attachment; null: hydrogen.",
        default="null",
    ),
    Key(
        "names",
        TEXT,
        "Which table of `vocabulary/group-names.yaml` names groups found here.",
        default="substituent",
    ),
    Key(
        "skeleton",
        TEXT,
        "SMARTS of the part kept by substitution, starting with `*` (the atom it hangs off).",
    ),
    Key("skeleton_lost", TEXT, "What a replacement that loses the skeleton is called."),
    Key(
        "skeleton_name",
        TEXT,
        "How explanations name the reference's skeleton when a clause replaces it (`methylene`).",
        default="the name",
    ),
)

SLOT = Shape(
    "slot",
    "A region hanging off an atom of its parent region's skeleton (the phenyl of phenethyl).",
    (
        *REGION_KEYS,
        Key("at", INTEGER, "The map number of its anchor in the parent's skeleton.", required=True),
    ),
)
# A slot may hold slots of its own.
SLOT = Shape(SLOT.name, SLOT.means, (*SLOT.keys, Key("slots", ListOf(SLOT), "Nested slots.")))

REGION = Shape(
    "region",
    "A part of the reference structure that clauses may change.",
    (
        *REGION_KEYS,
        Key("from", ListOf(INTEGER), "The core atoms (map numbers) it hangs off.", required=True),
        Key(
            "take",
            Choice(("one", "all", "bridge")),
            "`one` group, `all` groups left on those atoms, or a `bridge` (a ring closed onto "
            "them by two or more bonds).",
            default="one",
        ),
        Key("slots", ListOf(SLOT), "Regions on the skeleton's atoms.", default="none"),
        Key("shows", ListOf(INTEGER), "Core atoms drawn as part of the region.", default="none"),
        Key(
            "reference_at",
            INTEGER,
            "For a region that takes all groups: the core atom bearing the reference's group "
            "(`reference`); any other set of groups there is a change.",
            default="none: the reference has only hydrogen there",
        ),
    ),
    example="""- id: acyl
  name: N-acyl group
  reference_name: N-propionyl group
  from: [7]
  take: one
  reference: "*C(=O)CC"
  names: acyl""",
)

SCAFFOLD_FILE = Shape(
    "scaffold file",
    "A reference structure cut into a fixed core and regions: `kind: scaffold`, or any file "
    "in a `scaffolds/` folder.",
    (
        Key("kind", Choice(("scaffold",), "file kind"), "What the file is."),
        Key("scaffold", TEXT, "Stable id, used by definitions.", required=True),
        Key("title", TEXT, "What the scaffold is.", required=True),
        Key(
            "reference",
            Shape(
                "reference",
                "The reference structure.",
                (
                    Key("name", TEXT, "Its name.", required=True),
                    Key("smiles", TEXT, "Its structure.", required=True),
                ),
            ),
            "The reference structure.",
            required=True,
        ),
        Key(
            "core",
            Shape(
                "core",
                "The fixed part, as SMARTS with atom map numbers naming its atoms.",
                (
                    Key("smarts", TEXT, "The core, with map numbers.", required=True),
                    Key(
                        "atoms",
                        MapOf(INTEGER, TEXT, "map number"),
                        "Map number to atom name (`4: C4`).",
                        required=True,
                    ),
                    Key("absent", TEXT, "What to say when the core is absent.", required=True),
                ),
            ),
            "The core.",
            required=True,
        ),
        Key("regions", ListOf(REGION), "The regions.", required=True),
        Key(
            "near_misses",
            ListOf(
                Shape(
                    "near miss",
                    "A known way to miss the core, and the sentence that says so.",
                    (
                        Key("smarts", TEXT, "The pattern.", required=True),
                        Key("says", TEXT, "The sentence.", required=True),
                    ),
                )
            ),
            "Patterns tried in order when the core is absent.",
            default="none",
        ),
    ),
)

FILE_KINDS: dict[str, Shape] = {
    "definition": DEFINITION_FILE,
    "list": LIST_FILE,
    "scaffold": SCAFFOLD_FILE,
    "substances": SUBSTANCES_FILE,
}
# A file in one of these folders may leave out `kind:`.
FOLDER_KINDS = {"scaffolds": "scaffold", "substances": "substances"}


def check_file(path: str, kind: str, data: Any) -> None:
    """Check one parsed file against the format of its kind.

    Raises:
        RuleFileError: naming the file, the dotted path and the problem (for an unknown
            key: the keys known there).
    """
    FILE_KINDS[kind].check(data, path, "")


# --- rendering ------------------------------------------------------------------------------------


def _shapes() -> list[Shape | Tagged]:
    """Every named shape, files first, then in the order they are reached."""
    found: dict[str, Shape | Tagged] = {}

    def visit(spec: Spec) -> None:
        if isinstance(spec, (Shape, Tagged)):
            if spec.name in found:
                return
            found[spec.name] = spec
        if isinstance(spec, Shape):
            for key in spec.keys:
                visit(key.spec)
        elif isinstance(spec, ListOf):
            visit(spec.item)
        elif isinstance(spec, Either):
            for option in spec.options:
                visit(option)
        elif isinstance(spec, MapOf):
            visit(spec.value)

    for shape in FILE_KINDS.values():
        visit(shape)
    return list(found.values())


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file of any kind (draft 2020-12), for editors."""
    definitions = {}
    for shape in _shapes():
        definitions[_anchor(shape.name)] = shape.definition()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:classwide:rule-file",
        "title": "classwide rule file",
        "description": "A definition, a list, a scaffold or a substance registry. Generated "
        "from classwide's format declarations (src/classwide/_schema.py).",
        "anyOf": [shape.schema() for shape in FILE_KINDS.values()],
        "$defs": definitions,
    }


def json_schema_text() -> str:
    """The JSON Schema as the text of ``docs/rule-file.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def key_table(shape: Shape) -> str:
    """A Markdown table of a shape's keys."""
    rows = ["| key | value | required | meaning |", "| --- | --- | --- | --- |"]
    for key in shape.keys:
        need = "yes" if key.required else (f"no (default: {key.default})" if key.default else "no")
        rows.append(f"| `{key.name}` | {key.spec.words()} | {need} | {key.means} |")
    return "\n".join(rows)


def reference_markdown() -> str:
    """The generated reference of ``docs/rule-format.md``: one section per shape, then the words."""
    parts = []
    for shape in _shapes():
        parts.append(f"### {shape.name}\n\n{shape.means}\n")
        if isinstance(shape, Shape):
            parts.append(key_table(shape) + "\n")
            if shape.example:
                parts.append(f"```yaml\n{shape.example}\n```\n")
        else:
            parts.append(_vocabulary_table() + "\n")
    return "\n".join(parts)


def _vocabulary_table() -> str:
    rows = [
        "| word | `substitute` | `replace` | parameters | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind in KINDS:
        if not kind.usable:
            continue
        params = ", ".join(f"`{p.name}` ({p.type}): {p.means}" for p in kind.parameters) or ""
        rows.append(
            f"| `{kind.name}` | {'yes' if kind.substitute else ''} | "
            f"{'yes' if kind.replace else ('skeleton' if kind.skeleton else '')} | {params} | "
            f"{kind.means} |"
        )
    return "\n".join(rows)
