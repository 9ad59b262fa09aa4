"""The pure core: a parent structure and a rule set in, a verdict per jurisdiction out.

No file, network or print side effects. Precedence per jurisdiction: the strongest status
of the rules in force on the day asked wins (listed > class > precursor > not controlled).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rdkit import Chem

from classwide._findings import (
    ClassMatch,
    Fit,
    JurisdictionVerdict,
    NearMiss,
    ReviewNote,
    Status,
    Verdict,
)
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._rules import ClassRule, Reading, RuleSet
from classwide._scaffold import MolCache, fit_scaffold


def _explanation(fit: Fit) -> str:
    text = fit.explanation()
    used = {c for m in fit.modifications for c in m.clauses}
    extra = [c for c in fit.also if c not in used]
    if extra and fit.verdict is Verdict.MATCH:
        text += f"; the same change also fits clause {', '.join(extra)}"
    return text


def _near_miss_reason(rule: ClassRule, fit: Fit) -> str:
    if fit.differences:
        return fit.explanation()
    return (
        f"no modification of {rule.scaffold.reference_name}: the reference structure itself "
        "is not a member of the class"
    )


def _reading_can_matter(rule: ClassRule, reading: Reading, fit: Fit) -> bool:
    """A reading patches clauses of some regions; if the fit changed none of them, skip it.

    Regions left as in the reference (or absent from the fit) cannot be judged otherwise
    by a patched clause, so the alternative fit would be the same.
    """
    touched = {m.region for m in fit.modifications} | {d.region for d in fit.differences}
    if "core" in touched:
        return False  # a changed core is outside under every reading
    patched: set[str] = set()
    for clause in reading.patch:
        region = rule.scaffold.region(clause.region)
        patched.add(region.id)
        stack = list(region.slots)
        while stack:
            slot = stack.pop()
            patched.add(slot.id)
            stack.extend(slot.slots)
        for parent in rule.scaffold.all_regions():
            if any(s.id == region.id for s in parent.slots):
                patched.add(parent.id)
    return bool(touched & patched)


def judge_rule(
    mol: Chem.Mol,
    rule: ClassRule,
    day: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    cache: MolCache | None = None,
) -> tuple[ClassMatch | None, NearMiss | None, tuple[ReviewNote, ...], Fit]:
    """Apply one class rule in force on ``day`` to a parent structure.

    Returns:
        The class match (or None), the near miss (or None), the readings whose alternative
        would change the match (``status_would_be`` is filled in by the caller), and the fit.
    """
    cache = cache if cache is not None else MolCache(mol)
    fit = fit_scaffold(mol, rule.scaffold, rule.clauses, limits, cache)
    period = rule.period_at(day)
    assert period is not None
    since = rule.since(day)
    match = near = None
    if fit.verdict is Verdict.MATCH:
        match = ClassMatch(
            rule=rule.id,
            class_name=rule.class_name,
            clauses=fit.clauses,
            applies=True,
            explanation=_explanation(fit),
            since=since.isoformat() if since else period.start.isoformat(),
            instrument=period.instrument,
            citation=rule.citation,
            modifications=fit.modifications,
            regions=fit.regions,
        )
    elif fit.core_found or fit.near:
        near = NearMiss(
            rule=rule.id,
            class_name=rule.class_name,
            reason=_near_miss_reason(rule, fit),
            differences=fit.differences,
            modifications=fit.modifications,
            regions=fit.regions,
        )
    notes = []
    if fit.core_found:
        for reading in rule.readings:
            if not _reading_can_matter(rule, reading, fit):
                continue
            alternative = fit_scaffold(
                mol, rule.scaffold, rule.clauses_under(reading), limits, cache
            )
            if alternative.verdict is not fit.verdict:
                notes.append(
                    ReviewNote(
                        reading=reading.id,
                        rule=rule.id,
                        class_match_would_be=alternative.verdict is Verdict.MATCH,
                        status_would_be=Status.NOT_CONTROLLED,  # set by judge()
                        alternative=reading.alternative,
                    )
                )
    return match, near, tuple(notes), fit


def judge(
    mol: Chem.Mol,
    rules: RuleSet,
    jurisdictions: Sequence[str],
    day: dt.date,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[JurisdictionVerdict, ...]:
    """Decide, per jurisdiction, the control that applies to a parent structure on ``day``.

    Args:
        mol: the standardised parent (see ``standardize``).
        rules: the rule set.
        jurisdictions: jurisdiction codes, in the order to report them.
        day: the date whose law applies.
        limits: bounds on the search.

    Returns:
        One verdict per jurisdiction.
    """
    verdicts = []
    cache = MolCache(mol)
    for code in jurisdictions:
        matches: list[ClassMatch] = []
        near_misses: list[NearMiss] = []
        pending_notes: list[tuple[ReviewNote, ClassRule]] = []
        for rule in rules.for_jurisdiction(code):
            if rule.period_at(day) is None:
                continue
            match, near, notes, _ = judge_rule(mol, rule, day, limits, cache)
            if match:
                matches.append(match)
            if near:
                near_misses.append(near)
            pending_notes.extend((note, rule) for note in notes)
        status = _strongest(Status(m_status) for m_status in _statuses(matches, rules))
        review = []
        for note, rule in pending_notes:
            others = [m for m in matches if m.rule != rule.id]
            if note.class_match_would_be:
                would = _strongest([Status(rule.status), *(_statuses(others, rules))])
            else:
                would = _strongest(_statuses(others, rules))
            review.append(
                ReviewNote(note.reading, note.rule, note.class_match_would_be, would, note.alternative)
            )
        verdicts.append(
            JurisdictionVerdict(
                jurisdiction=code,
                status=status,
                matches=tuple(matches),
                near_misses=tuple(near_misses),
                review=tuple(review),
            )
        )
    return tuple(verdicts)


def _statuses(matches: Sequence[ClassMatch], rules: RuleSet) -> list[Status]:
    return [Status(rules.get(m.rule).status) for m in matches if m.applies]


def _strongest(statuses) -> Status:  # type: ignore[no-untyped-def]
    found = list(statuses)
    return min(found, key=lambda s: s.rank) if found else Status.NOT_CONTROLLED
