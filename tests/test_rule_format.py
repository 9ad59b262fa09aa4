"""A rule file cannot be misread: strict keys, typed items, no aliases, a published format.

The format is declared once (``_schema.py``); these tests hold every shipped file to it,
misspell every key of every shipped file in turn, feed the reader untrusted YAML, and keep
``docs/rule-format.md`` and ``docs/rule-file.schema.json`` equal to the declarations.
"""

from __future__ import annotations

import os
import re
import time

import jsonschema_rs
import pytest
from conftest import FIXTURES, ROOT

from classwide import RuleFileError, classify, load_rules
from classwide._rules import _packaged_files, file_kind
from classwide._schema import (
    MapOf,
    Shape,
    Tagged,
    check_file,
    json_schema,
    json_schema_text,
    reference_markdown,
)
from classwide._vocabulary import KINDS, VOCABULARY
from classwide._yaml import parse_yaml

REGENERATE = os.environ.get("CLASSWIDE_REGENERATE_GOLDEN") == "1"
PACKAGED = dict(_packaged_files())
FIXTURE_FILES = {f"tests/fixtures/{p.name}": p.read_bytes() for p in FIXTURES.glob("*.yaml")}
ALL_FILES = {**PACKAGED, **FIXTURE_FILES}
GB = FIXTURES / "gb-fentanyl-generic.yaml"


def _parsed(name: str) -> object:
    return parse_yaml(name, ALL_FILES[name])


# --- the published format ---------------------------------------------------------------------


def test_rule_format_doc_holds_the_generated_reference():
    path = ROOT / "docs" / "rule-format.md"
    text = path.read_text(encoding="utf-8")
    begin, end = "<!-- generated reference: begin -->\n", "<!-- generated reference: end -->"
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    expected = head + begin + "\n" + reference_markdown() + "\n" + end + tail
    if REGENERATE:
        path.write_text(expected, encoding="utf-8")
    assert text == expected or REGENERATE, "regenerate docs/rule-format.md (see test_golden.py)"


def test_json_schema_file_is_generated_from_the_declarations():
    path = ROOT / "docs" / "rule-file.schema.json"
    if REGENERATE:
        path.write_text(json_schema_text(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == json_schema_text()


def _as_json(value):
    """YAML data as JSON sees it (mapping keys are text)."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_every_shipped_file_fits_the_json_schema(name):
    """Editors validate with the JSON Schema: it must accept what the loader accepts."""
    validator = jsonschema_rs.validator_for(json_schema())
    errors = list(validator.iter_errors(_as_json(_parsed(name))))
    assert not errors, str(errors[0])


def test_json_schema_refuses_a_misspelled_key():
    validator = jsonschema_rs.validator_for(json_schema())
    text = GB.read_bytes().replace(b"      at: [4]", b"      att: [4]")
    assert not validator.is_valid(_as_json(parse_yaml("x.yaml", text)))


# --- every key of every shipped file, misspelled -------------------------------------------------


def _key_paths(value, path=()):
    """(path, key) of every key of a fixed-key mapping, one per place (list items merged)."""
    seen = set()
    out = []

    def walk(node, where, pattern):
        if isinstance(node, dict):
            for key, child in node.items():
                place = (*pattern, key)
                if place not in seen:
                    seen.add(place)
                    out.append(((*where, key), key))
                walk(child, (*where, key), place)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, (*where, i), (*pattern, "[]"))

    walk(value, path, ())
    return out


def _free_keys(name: str) -> set[str]:
    """Mappings whose keys are data, not format: core atom names, a reading's clause labels."""
    return {"atoms", "patch"}


def _misspell(data, path):
    """A deep copy of ``data`` with the key at ``path`` misspelled (its last letter doubled)."""
    if len(path) == 1:
        return {(k + k[-1] if k == path[0] else k): v for k, v in data.items()}
    head = path[0]
    if isinstance(data, list):
        return [(_misspell(v, path[1:]) if i == head else v) for i, v in enumerate(data)]
    return {k: (_misspell(v, path[1:]) if k == head else v) for k, v in data.items()}


MISSPELLINGS = [
    pytest.param(name, path, id=f"{name}::{'.'.join(str(p) for p in path)}")
    for name in sorted(ALL_FILES)
    for path, key in _key_paths(_parsed(name))
    if isinstance(key, str) and not (set(path[:-1]) & _free_keys(name))
]


@pytest.mark.parametrize(("name", "path"), MISSPELLINGS)
def test_a_misspelled_key_anywhere_is_refused_by_name(name, path):
    data = _parsed(name)
    kind = file_kind(name, data)
    check_file(name, kind, data)  # the file as shipped fits
    broken = _misspell(data, path)
    wrong = path[-1] + path[-1][-1]
    with pytest.raises(RuleFileError) as info:
        # Without its `kind:` a file outside a scaffolds/ or substances/ folder is refused
        # for that; one inside is refused for the misspelled key.
        check_file(name, file_kind(name, broken), broken)
    if path == ("kind",) and "kind: missing" in str(info.value):
        return
    message = str(info.value)
    assert f"unknown key {wrong!r}" in message and name in message


def test_the_misspellings_cover_every_level():
    """Top level, clause, reading, patch, example, period, source, list entry, substance, region."""
    places = {
        tuple(p for p in path if not isinstance(p, int))[:-1]
        for _, path in [(m.values[0], m.values[1]) for m in MISSPELLINGS]
    }
    for expected in [
        (),
        ("definition", "clauses"),
        ("definition", "readings"),
        ("examples", "match"),
        ("effective",),
        ("sources",),
        ("entries",),
        ("substances",),
        ("regions",),
        ("regions", "slots"),
    ]:
        assert expected in places, expected


# --- untrusted YAML -------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_at_once():
    lines = ['- &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"- &a{level} [{refs}]")
    bomb = "interpretation:\n  " + "\n  ".join(lines) + "\ndefinition:\n"
    text = GB.read_text().replace("definition:\n", bomb, 1)
    started = time.perf_counter()
    with pytest.raises(RuleFileError, match="aliases"):
        parse_yaml("bomb.yaml", text.encode())
    assert time.perf_counter() - started < 1.0


def test_a_key_given_twice_is_refused(tmp_path):
    text = GB.read_text().replace(
        "      at: [4]\n", "      at: [4]\n      at: [2, 3, 4, 5, 6]\n", 1
    )
    with pytest.raises(RuleFileError, match="given twice"):
        parse_yaml("twice.yaml", text.encode())


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("      at: [4]", '      at: ["4"]', "at[0]"),
        ("      at: [4]", "      at: [9]", "at"),
        (
            "definition:\n",
            "interpretation:\n  - [nested, list]\ndefinition:\n",
            "interpretation[0]",
        ),
        ("substitute: [alkyl, alkenyl]", "substitute: [alkyl, {kind: alkenyl}]", "substitute[1]"),
        ("kind: monocycle, hetero: true", "kind: monocycle, hetero: yes please", "hetero"),
        ("kind: monocycle, hetero: true", "kind: monocycle, heteroo: true", "heteroo"),
        ("clauses: [i]", "clauses: [vii]", "clauses"),
        ("revised: 2026-11-29", "revised: 29/11/2026", "revised"),
    ],
)
def test_values_and_list_items_are_type_checked(tmp_path, old, new, field):
    text = GB.read_text()
    assert old in text, old
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(old, new, 1))
    with pytest.raises(RuleFileError) as info:
        load_rules([broken])
    assert "broken.yaml" in str(info.value) and field in str(info.value)


def test_an_unreadable_example_is_a_rule_file_error(tmp_path):
    text = GB.read_text()
    broken = tmp_path / "bad-example.yaml"
    broken.write_text(
        text.replace('smiles: "CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1"', 'smiles: "C1CC("', 1)
    )
    with pytest.raises(RuleFileError, match=r"examples\.match\[0\]\.smiles"):
        load_rules([broken])


def test_until_misspelled_cannot_keep_a_repealed_period_in_force(tmp_path):
    text = GB.read_text().replace(
        "  - {from: 1986-12-01,",
        "  - {from: 1980-01-01, until: 1986-12-01, instrument: old}\n  - {from: 1986-12-01,",
    )
    good = tmp_path / "good.yaml"
    good.write_text(text)
    rules = load_rules([good])
    ester = "CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1"
    assert classify(ester, "GB", "1985-01-01", rules=rules).verdict("GB").status.value == "class"
    broken = tmp_path / "untill.yaml"
    broken.write_text(text.replace("until: 1986-12-01", "untill: 1986-12-01"))
    with pytest.raises(RuleFileError, match=r"effective\[0\]\.untill: unknown key 'untill'"):
        load_rules([broken])


def test_the_probe_misspelling_att_is_refused(tmp_path):
    """D10: `att:` for `at: [4]` made an ester on C3 a class member, silently."""
    broken = tmp_path / "att.yaml"
    broken.write_text(GB.read_text().replace("      at: [4]", "      att: [4]"))
    with pytest.raises(RuleFileError) as info:
        load_rules([broken])
    assert re.search(
        r"att\.yaml: definition\.clauses\[\d\]\.att: unknown key 'att'", str(info.value)
    )
    assert "known: at, from, label" in str(info.value)


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_a_missing_file_or_a_folder_is_a_rule_file_error(tmp_path, what):
    path = tmp_path / "nope.yaml" if what == "missing" else tmp_path
    with pytest.raises(RuleFileError, match="no such file" if what == "missing" else "a folder"):
        load_rules([path])


def test_a_file_must_say_its_kind(tmp_path):
    unsaid = tmp_path / "law.yaml"
    unsaid.write_text(GB.read_text().replace("kind: definition\n", ""))
    with pytest.raises(RuleFileError, match="kind: missing"):
        load_rules([unsaid])
    folder = tmp_path / "scaffolds"
    folder.mkdir()
    misplaced = folder / "law.yaml"
    misplaced.write_text(GB.read_text())
    with pytest.raises(RuleFileError, match="a definition file in a scaffolds/ folder"):
        load_rules([misplaced])


def test_an_unmodified_copy_of_every_shipped_file_is_accepted(tmp_path):
    paths = []
    for name, content in PACKAGED.items():
        if name.startswith(("rules/scaffolds/", "rules/substances/")):
            continue  # a second copy of a registry would define its substances twice
        path = tmp_path / name.replace("/", "__")
        path.write_bytes(content)
        paths.append(path)
    rules = load_rules(paths)
    assert {r.id for r in rules.rules} == {r.id for r in load_rules().rules}


# --- the vocabulary ------------------------------------------------------------------------------


def test_every_word_has_a_meaning_and_every_word_used_is_in_the_registry():
    for kind in KINDS:
        assert kind.means.strip(), kind.name
    used = set()
    for rule in load_rules([GB]).rules:
        for clause in rule.clauses + tuple(c for r in rule.readings for c in r.patch):
            used |= {r.kind for r in clause.replace} | set(clause.substitute)
    assert used <= set(VOCABULARY)
    assert {"acyl", "monocycle", "alkyl", "halo", "ester", "amide_acyl"} <= used


def test_the_reference_lists_every_shape_and_every_usable_word():
    text = reference_markdown()
    for shape in ("definition file", "clause", "reading", "entry", "substance", "region", "slot"):
        assert f"### {shape}\n" in text
    for kind in KINDS:
        assert (f"| `{kind.name}` |" in text) == kind.usable


def test_shapes_are_reached_from_the_file_kinds():
    from classwide._schema import FILE_KINDS, _shapes

    names = {s.name for s in _shapes()}
    assert {s.name for s in FILE_KINDS.values()} <= names
    assert all(isinstance(s, (Shape, Tagged)) for s in _shapes())
    assert not any(isinstance(s, MapOf) for s in _shapes())
