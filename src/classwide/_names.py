"""Names and CAS numbers as input: through the substance data first, then OPSIN.

A name or CAS number that the substance data knows resolves to its verified structure.
Any other systematic name goes to OPSIN (the ``py2opsin`` package carries OPSIN; it needs
a Java runtime). Trivial names that OPSIN does not know and that are not in the data
cannot be resolved, and say so.

OPSIN is a Java program: every call starts a JVM (about a second, 100 % of a core). Three
bounds keep one request from holding a server: a name longer than ``MAX_NAME_CHARS`` is
refused before any JVM starts (a 3.6 kB name took OPSIN 10 s, a 12 kB one over 90 s);
a call is killed after ``opsin_timeout(n)`` seconds; and at most ``MAX_JVMS`` JVMs run at
once in a process (the others wait their turn, up to the same timeout).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

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


# The longest systematic name of a controlled drug is about 200 characters; OPSIN's time
# grows fast with length (3.6 kB: 10 s; 12 kB: over 90 s), so a longer name is refused.
MAX_NAME_CHARS = 600
# JVMs at once in one process: each takes a core for about a second, and a server that
# started one per request fell to 0.7 names a second at 10 requests at a time.
MAX_JVMS = max(1, int(os.environ.get("CLASSWIDE_MAX_JVMS", "2")))
_JVMS = threading.BoundedSemaphore(MAX_JVMS)


def opsin_timeout(count: int) -> float:
    """Seconds one OPSIN run over ``count`` names may take: the JVM's start, then per name.

    >>> opsin_timeout(1)
    20.5
    """
    return 20.0 + 0.5 * count


def name_too_long(name: str) -> str | None:
    """Why a name is too long for OPSIN, or None.

    >>> name_too_long("ethanol") is None, "limit" in name_too_long("x" * 700)
    (True, True)
    """
    if len(name) <= MAX_NAME_CHARS:
        return None
    return (
        f"a chemical name of {len(name)} characters is over the limit of {MAX_NAME_CHARS} "
        "(max_name_chars): give a SMILES or an InChI instead"
    )


def _opsin_jar() -> Path:
    """OPSIN's jar, as the py2opsin package carries it (its version is in the file name)."""
    try:
        folder = resources.files("py2opsin")
    except ModuleNotFoundError:  # pragma: no cover - a dependency of the package
        raise ParseError("cannot parse chemical names: the py2opsin package is missing") from None
    jars = sorted(str(p) for p in Path(str(folder)).glob("opsin*.jar"))
    if not jars:  # pragma: no cover - a broken install
        raise ParseError("cannot parse chemical names: OPSIN's jar is missing from py2opsin")
    return Path(jars[-1])


def opsin_smiles(names: list[str]) -> list[str | None]:
    """Parse systematic names with OPSIN, one JVM start for the whole list.

    A name over ``MAX_NAME_CHARS`` is not sent to OPSIN: its answer is None.

    Raises:
        ParseError: when Java or py2opsin is missing, a name holds a line break, or OPSIN
            runs over its time limit.
    """
    if not names:
        return []
    if not java_available():
        raise ParseError(
            "cannot parse chemical names: OPSIN needs a Java runtime "
            "(install one, e.g. 'apt-get install default-jre-headless')"
        )
    if not all(one_line(name) for name in names):
        raise ParseError("a chemical name must be one line")
    asked = [i for i, name in enumerate(names) if name_too_long(name) is None]
    out: list[str | None] = [None] * len(names)
    if not asked:
        return out
    jar = _opsin_jar()
    seconds = opsin_timeout(len(asked))
    if not _JVMS.acquire(timeout=seconds):
        raise ParseError(f"OPSIN is busy: no Java runtime free within {seconds:g} s")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "names.txt"
            source.write_text("".join(names[i] + "\n" for i in asked), encoding="utf-8")
            try:
                done = subprocess.run(
                    ["java", "-jar", str(jar), "-osmi", str(source)],
                    capture_output=True,
                    timeout=seconds,
                    check=False,
                )
            except subprocess.TimeoutExpired:  # run() has killed the JVM
                raise ParseError(
                    f"OPSIN took over {seconds:g} s on {len(asked)} name(s) (timeout)"
                ) from None
    finally:
        _JVMS.release()
    if done.returncode != 0:
        raise ParseError(f"OPSIN failed (exit status {done.returncode})")
    result = done.stdout.decode("utf-8", errors="replace").replace("\r", "").split("\n")
    if result and result[-1] == "":
        result.pop()
    if len(result) != len(asked):
        raise ParseError(f"OPSIN gave {len(result)} answers for {len(asked)} names")
    for i, smiles in zip(asked, result, strict=True):
        out[i] = smiles.strip() or None
    return out


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
    if too_long := name_too_long(stripped):
        raise ParseError(f"not a SMILES, and {too_long}")
    (smiles,) = opsin_smiles([stripped])
    if smiles is None:
        raise ParseError(
            f"not a SMILES, and not a name in classwide's substance data or one OPSIN can parse: "
            f"'{stripped[:60]}'"
        )
    return Resolved(smiles, "opsin")
