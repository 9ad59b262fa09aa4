"""Names and CAS numbers as input: through the substance data first, then OPSIN.

A name or CAS number that the substance data knows resolves to its verified structure.
Any other systematic name goes to OPSIN (the ``py2opsin`` package carries OPSIN; it needs
a Java runtime). Trivial names that OPSIN does not know and that are not in the data
cannot be resolved, and say so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass

from rdkit import Chem, rdBase

from classwide._lists import CAS_PATTERN
from classwide._rules import RuleSet
from classwide._standardize import detect_notation
from classwide.errors import ParseError


@dataclass(frozen=True)
class Resolved:
    """The structure text to parse, and how it was obtained from the input."""

    structure: str
    input_type: str  # smiles, inchi, molblock, name, cas or opsin
    substance: str | None = None
    structureless: bool = False  # a plant or a preparation: found by name, no structure


def looks_like_name(text: str) -> bool:
    """Letters enough to be a chemical name rather than a broken SMILES.

    >>> looks_like_name("furan-2-carboxamide"), looks_like_name("C1CC(N")
    (True, False)
    """
    letters = sum(ch.isalpha() for ch in text)
    lower = sum(ch.islower() for ch in text)
    return letters >= 4 and lower >= 3 and not text.strip().startswith(("[", "("))


# OPSIN reads one name per line: a name holding a line break would become two names.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def one_line(name: str) -> bool:
    """True when a name holds no line break (OPSIN takes one name per line).

    >>> one_line("ethanol"), one_line("ethanol" + chr(10) + "methanol")
    (True, False)
    """
    return not _LINE_BREAKS.intersection(name)


def java_available() -> bool:
    """OPSIN runs on Java."""
    return shutil.which("java") is not None


def opsin_smiles(names: list[str]) -> list[str | None]:
    """Parse systematic names with OPSIN, one JVM start for the whole list.

    Raises:
        ParseError: when Java or py2opsin is missing.
    """
    if not names:
        return []
    if not java_available():
        raise ParseError(
            "cannot parse chemical names: OPSIN needs a Java runtime "
            "(install one, e.g. 'apt-get install default-jre-headless')"
        )
    try:
        from py2opsin import py2opsin
    except ImportError:  # pragma: no cover - a dependency of the package
        raise ParseError("cannot parse chemical names: the py2opsin package is missing") from None
    if not all(one_line(name) for name in names):
        raise ParseError("a chemical name must be one line")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = py2opsin(list(names), tmp_fpath=os.path.join(tmp, "names.txt"))
    if isinstance(result, str):
        result = [result]
    if len(result) != len(names):
        raise ParseError(f"OPSIN gave {len(result)} answers for {len(names)} names")
    return [smiles or None for smiles in result]


def resolve(text: str, rules: RuleSet, *, use_opsin: bool = True) -> Resolved:
    """Turn an input into structure text: a SMILES, InChI, MOL block, name or CAS number.

    Args:
        text: the input as given.
        rules: the rule set whose substance data knows names and CAS numbers.
        use_opsin: try OPSIN for a name the data does not know.

    Returns:
        What to parse, and how it was found.

    Raises:
        ParseError: for a CAS number or name that cannot be resolved.
    """
    stripped = text.strip()
    notation = detect_notation(text)
    if notation != "smiles" or not stripped:
        return Resolved(text, notation)
    substance = rules.lookup_name(stripped)
    if substance is not None:
        kind = "cas" if CAS_PATTERN.match(stripped) else "name"
        if substance.smiles is None:
            return Resolved("", kind, substance.id, structureless=True)
        return Resolved(substance.smiles, kind, substance.id)
    if CAS_PATTERN.match(stripped):
        raise ParseError(f"CAS number {stripped} is not in classwide's substance data")
    with rdBase.BlockLogs():
        parsed = Chem.MolFromSmiles(stripped, sanitize=False)
    if parsed is not None or not use_opsin or not looks_like_name(stripped):
        return Resolved(text, "smiles")
    if not one_line(stripped):
        raise ParseError("not a SMILES, and a chemical name must be one line")
    (smiles,) = opsin_smiles([stripped])
    if smiles is None:
        raise ParseError(
            f"not a SMILES, and not a name in classwide's substance data or one OPSIN can parse: "
            f"'{stripped[:60]}'"
        )
    return Resolved(smiles, "opsin")
