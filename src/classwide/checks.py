"""Run a rule set's own examples: every rule file says what it takes in and what not."""

from __future__ import annotations

from collections.abc import Collection

from classwide._definitions import ClassRule, Example
from classwide._findings import Verdict
from classwide._rules import RuleSet
from classwide._scaffold import fit_rule, fit_scaffold
from classwide._standardize import parse_structure, standardize


def example_failure(rule: ClassRule, example: Example) -> str | None:
    """Return why one example fails, or None when the rule agrees with it."""
    parent = standardize(parse_structure(example.smiles))
    fit = fit_rule(parent.mol, rule, example.as_of)
    member = fit.verdict is Verdict.MATCH
    where = (
        f"{rule.path}: {'match' if example.match else 'no_match'} {example.smiles} ({example.why})"
    )
    if member != example.match:
        return f"{where}: engine says {'member' if member else 'not a member'}: {fit.explanation()}"
    if member and example.clauses is not None and set(example.clauses) != set(fit.clauses):
        return f"{where}: clauses {sorted(fit.clauses)} != expected {sorted(example.clauses)}"
    return None


def run_rule_examples(rules: RuleSet, paths: Collection[str] | None = None) -> list[str]:
    """Check every example of every rule; return the failures (empty when all hold).

    Args:
        rules: the rule set.
        paths: check only the definitions loaded from these files (None: all).
    """
    failures = []
    for rule in rules.rules:
        if paths is not None and rule.path not in paths:
            continue
        for example in rule.examples:
            problem = example_failure(rule, example)
            if problem:
                failures.append(problem)
        # Each reference structure must be found, unchanged, by its own scaffold.
        for scaffold in rule.scaffolds:
            parent = standardize(parse_structure(scaffold.reference_smiles))
            fit = fit_scaffold(parent.mol, scaffold, rule.clauses)
            if fit.differences or fit.modifications or not fit.core_found:
                failures.append(
                    f"{rule.path}: reference {scaffold.reference_name} "
                    f"does not fit scaffold {scaffold.id}"
                )
    return failures
