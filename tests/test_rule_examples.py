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


def test_every_rule_has_examples_of_both_kinds(rules):
    for rule in rules.rules:
        assert any(e.match for e in rule.examples), rule.id
        assert any(not e.match for e in rule.examples), rule.id


def test_reference_structure_fits_its_scaffold_unchanged(rules):
    assert run_rule_examples(rules) == []
