"""Every rule file's own examples, one test each (a rule without examples cannot load)."""

from __future__ import annotations

import pytest

from classwide._rules import default_rules
from classwide.checks import example_failure, run_rule_examples

CASES = [
    pytest.param(rule, example, id=f"{rule.id}::{'match' if example.match else 'no_match'}[{i}]")
    for rule in default_rules().rules
    for i, example in enumerate(e for e in rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example(rule, example):
    assert example_failure(rule, example) is None


def test_a_rule_file_without_negative_examples_is_refused(tmp_path):
    """A rule brings its own tests: the loader refuses one without examples of both kinds."""
    from conftest import FIXTURES

    from classwide import RuleFileError, load_rules

    text = (FIXTURES / "gb-fentanyl-generic.yaml").read_text()
    cut = text.index("  no_match:")
    broken = tmp_path / "no-negatives.yaml"
    broken.write_text(text[:cut] + "  no_match: []\n")
    with pytest.raises(RuleFileError, match="examples.no_match"):
        load_rules([broken])


def test_reference_structure_fits_its_scaffold_unchanged(rules):
    assert run_rule_examples(rules) == []
