"""Run a rule set's own examples: every rule file says what it takes in and what not."""

from __future__ import annotations

import datetime as dt

from classwide._engine import judge_rule
from classwide._findings import Verdict
from classwide._rules import ClassRule, Example, RuleSet
from classwide._scaffold import fit_scaffold
from classwide._standardize import parse_structure, standardize


def example_failure(rule: ClassRule, example: Example) -> str | None:
    """Return why one example fails, or None when the rule agrees with it."""
    parent = standardize(parse_structure(example.smiles))
    fit = fit_scaffold(parent.mol, rule.scaffold, rule.clauses)
    member = fit.verdict is Verdict.MATCH
    where = f"{rule.path}: {'match' if example.match else 'no_match'} {example.smiles} ({example.why})"
    if member != example.match:
        return f"{where}: engine says {'member' if member else 'not a member'}: {fit.explanation()}"
    if member and example.clauses is not None and set(example.clauses) != set(fit.clauses):
        return f"{where}: clauses {sorted(fit.clauses)} != expected {sorted(example.clauses)}"
    return None


def run_rule_examples(rules: RuleSet) -> list[str]:
    """Check every example of every rule; return the failures (empty when all hold)."""
    failures = []
    for rule in rules.rules:
        for example in rule.examples:
            problem = example_failure(rule, example)
            if problem:
                failures.append(problem)
        # The reference structure itself must be found, unchanged, by the scaffold.
        parent = standardize(parse_structure(rule.scaffold.reference_smiles))
        start = rule.periods[0].start if rule.periods else dt.date.today()
        _, _, _, fit = judge_rule(parent.mol, rule, start)
        if fit.differences or fit.modifications:
            failures.append(f"{rule.path}: the reference structure does not fit its own scaffold")
    return failures
