"""Golden files: the JSONL records of every bundled input, byte for byte.

The records are contract output (field order, explanations, atom lists), so a refactoring
must leave them unchanged. Each case runs ``classwide screen`` in-process on one input and
compares its output with ``tests/golden/<case>.jsonl``. ``rules_version`` is blanked: it
is the content hash of the rule files and moves with any edit to them, by design.

When the wording or a verdict changes on purpose, regenerate and review the diff::

    CLASSWIDE_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classwide._rules import default_rules
from classwide.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = "2026-11-30"
REGENERATE = os.environ.get("CLASSWIDE_REGENERATE_GOLDEN") == "1"
_VERSION = re.compile(r'"rules_version": "[^"]*"')

# case -> (input file, extra options)
CASES = {
    "catalogue": (ROOT / "examples" / "catalogue.smi", []),
    "catalogue-full": (ROOT / "examples" / "catalogue.smi", ["--full"]),
    "examples-csv": (DATA / "examples.csv", ["--id-col", "id"]),
    "faves-v3": (DATA / "faves_v3_benchmark.csv", ["--id-col", "name"]),
    "fentanyl-hunter": (DATA / "fentanyl_hunter_library.csv", ["--id-col", "name"]),
    "kim2025": (DATA / "kim2025_fentanyl_analogs.csv", ["--id-col", "name"]),
    "moses-sample": (DATA / "moses-train-sample.smi", []),
    "moses-sample-full": (DATA / "moses-train-sample.smi", ["--full"]),
}


def _rule_examples_file(folder: Path) -> Path:
    """Every example SMILES of every packaged rule file, one line each, id = rule::kind[i]."""
    lines = []
    for rule in default_rules().rules:
        counts = {True: 0, False: 0}
        for example in rule.examples:
            kind = "match" if example.match else "no_match"
            lines.append(f"{example.smiles} {rule.id}::{kind}[{counts[example.match]}]\n")
            counts[example.match] += 1
    path = folder / "rule-examples.smi"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _screen(path: Path, options: list[str]) -> str:
    result = CliRunner().invoke(
        app, ["screen", str(path), "--as-of", AS_OF, "--workers", "1", *options]
    )
    assert result.exit_code == 0, result.output
    return _VERSION.sub('"rules_version": "-"', result.stdout)


def _compare(case: str, output: str) -> None:
    golden = GOLDEN / f"{case}.jsonl"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(output, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if output != expected:
        got, want = output.splitlines(), expected.splitlines()
        first = next(
            (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
            min(len(got), len(want)),
        )
        pytest.fail(
            f"{case}: output differs from {golden.name} at record {first + 1} "
            f"({len(got)} records, {len(want)} expected)\n"
            f"got:      {got[first] if first < len(got) else '(none)'}\n"
            f"expected: {want[first] if first < len(want) else '(none)'}"
        )


@pytest.mark.parametrize("case", sorted(CASES))
def test_screen_output_is_unchanged(case):
    path, options = CASES[case]
    _compare(case, _screen(path, options))


@pytest.mark.parametrize("full", [False, True], ids=["prefilter", "full"])
def test_rule_examples_output_is_unchanged(tmp_path, full):
    path = _rule_examples_file(tmp_path)
    case = "rule-examples-full" if full else "rule-examples"
    _compare(case, _screen(path, ["--full"] if full else []))
