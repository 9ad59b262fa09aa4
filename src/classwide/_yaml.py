"""Read rule files as untrusted input, and report every problem with its file and field.

Rule files are written by hand, by us and by users (``--rules``), so the reader is strict:

* YAML aliases (``*name``, and so ``<<:`` merge keys) are refused: one line of aliases can
  stand for billions of nodes (the "billion laughs"), and a legal text needs none.
* A key written twice in one mapping is refused (YAML would keep the last one silently).
* Dates stay text, so that a bad date is reported with its field rather than by YAML.
* A file over ``MAX_RULE_FILE_BYTES`` is refused before it is parsed.

``Reader`` gives field access on one mapping with the file and the dotted path of the
field in every error (``definition.clauses[4].at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import yaml
from rdkit import Chem, rdBase

from classwide._vocabulary import canonical_fragment
from classwide.errors import RuleFileError

# The largest packaged file is a few hundred kB; a full national catalogue with every
# synonym stays under a few MB. The pure-Python YAML reader costs about 1.4 s per MB.
MAX_RULE_FILE_BYTES = 16_000_000


# libyaml's parser (PyYAML's C extension) reads the national lists ten times faster than the
# pure-Python one; the pure-Python one stays the fallback.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BASE):  # type: ignore[valid-type,misc]
    """Safe YAML without aliases or duplicate keys, and with dates kept as text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Reached only with the pure-Python parser; libyaml composes in C (see parse_yaml).
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"YAML aliases (*{event.anchor}) are not allowed in rule files",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(name: str, content: bytes) -> Any:
    """Parse one rule file's text.

    Raises:
        RuleFileError: for a file too large, not YAML, or using aliases or duplicate keys.
    """
    if len(content) > MAX_RULE_FILE_BYTES:
        raise RuleFileError(
            name, "(file)", f"{len(content)} bytes: over the limit of {MAX_RULE_FILE_BYTES}"
        )
    try:
        if _BASE is not yaml.SafeLoader:
            # libyaml resolves aliases while composing, in C: find them in its event stream
            # first, which costs one linear pass and never expands anything.
            for event in yaml.parse(content, Loader=_BASE):  # noqa: S506 - events only
                if isinstance(event, yaml.AliasEvent):
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        f"YAML aliases (*{event.anchor}) are not allowed in rule files",
                        event.start_mark,
                    )
        return yaml.load(content, Loader=_StrictLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RuleFileError(name, "(yaml)", " ".join(str(exc).split())) from None
    except RecursionError:
        raise RuleFileError(name, "(yaml)", "nested too deeply") from None


def dotted(where: str, key: str | int) -> str:
    """The dotted path of a key or list index below ``where``.

    >>> dotted("definition", "clauses"), dotted("definition.clauses", 4), dotted("", "id")
    ('definition.clauses', 'definition.clauses[4]', 'id')
    """
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


class Reader:
    """Field access on one YAML mapping that reports the file and the dotted field."""

    def __init__(self, path: str, data: Any, where: str = "") -> None:
        self.path, self.data, self.where = path, data, where
        if not isinstance(data, Mapping):
            raise RuleFileError(path, where or "(top)", "expected a mapping")

    def field(self, key: str) -> str:
        """The dotted path of one of this mapping's keys."""
        return dotted(self.where, key)

    def fail(self, key: str, problem: str) -> RuleFileError:
        """The error to raise for a problem with one key."""
        return RuleFileError(self.path, self.field(key), problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        """The value of ``key``, checked against ``kind``; ``default`` when absent."""
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

    def sub(self, key: str, value: Any = ...) -> Reader:
        """A reader for a nested mapping (``value`` given: a list item under ``key``)."""
        return Reader(self.path, self.data[key] if value is ... else value, self.field(key))

    def date(self, key: str, default: Any = ...) -> dt.date | None:
        """A date written YYYY-MM-DD."""
        value = self.get(key, (str, dt.date, type(None)), default)
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"not a date (YYYY-MM-DD): {value!r}") from None

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        """A word from ``allowed``."""
        value = self.get(key, str, default)
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}")
        return value

    def smarts(self, key: str) -> Chem.Mol:
        """A SMARTS pattern, compiled once."""
        text = self.get(key, str)
        with rdBase.BlockLogs():
            query = Chem.MolFromSmarts(text)
        if query is None:
            raise self.fail(key, f"invalid SMARTS {text!r}")
        return query

    def fragment(self, key: str) -> str | None:
        """A group as SMILES with ``*`` at its attachment point, canonicalised."""
        text = self.get(key, (str, type(None)), None)
        if text is None:
            return None
        with rdBase.BlockLogs():
            mol = Chem.MolFromSmiles(text)
        if mol is None or not any(a.GetAtomicNum() == 0 for a in mol.GetAtoms()):
            raise self.fail(key, f"expected a SMILES with '*' for the attachment, got {text!r}")
        return canonical_fragment(text)
