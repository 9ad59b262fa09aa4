"""The pure core: a parent structure and a rule set in, a verdict per jurisdiction out.

No file, network or print side effects. Precedence per jurisdiction: the strongest status
of the rules in force on the day asked wins (listed > class > precursor > not controlled).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rdkit import Chem

from classwide import _wording as wording
from classwide._decompose import MolCache
from classwide._definitions import ClassRule, Reading
from classwide._derivatives import Undone, undo_esters_and_ethers
from classwide._derivatives import relation as derivative_relation
from classwide._findings import (
    ClassMatch,
    Component,
    Fit,
    JurisdictionVerdict,
    ListedMatch,
    NearMiss,
    ReviewNote,
    Status,
    Verdict,
)
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._lists import ListEntry, ListRule
from classwide._rules import RuleSet
from classwide._scaffold import fit_rule, takes_in
from classwide._standardize import Parent, parent_key
from classwide._vocabulary import numbered_as_written


def _explanation(fit: Fit) -> str:
    text = fit.explanation()
    used = {c for m in fit.modifications for c in m.clauses}
    extra = [c for c in fit.also if c not in used]
    if extra and fit.verdict is Verdict.MATCH:
        text = wording.also_fits(text, extra)
    return text


def _clause_since(rule: ClassRule, fit: Fit, start: dt.date) -> dt.date:
    """A member that needs a later clause (halides of 4-AP, 2023) is covered from its date.

    Each modification counts from the earliest clause that explains it, and the member
    from the latest of those.
    """
    latest = start
    for mod in fit.modifications:
        dates = [c.since or start for c in rule.clauses if c.label in mod.clauses]
        if dates:
            latest = max(latest, min(dates))
    return latest


def _near_miss_reason(rule: ClassRule, fit: Fit) -> str:
    if fit.differences:
        return fit.explanation()
    return wording.reference_not_member(rule.scaffold.reference_name)


def _reading_can_matter(rule: ClassRule, reading: Reading, fit: Fit) -> bool:
    """A reading patches clauses of some regions; if the fit changed none of them, skip it.

    Regions left as in the reference (or absent from the fit) cannot be judged otherwise
    by a patched clause, so the alternative fit would be the same. Nor can a reading that
    only widens the clauses take a member out, or one that only narrows them bring
    anything in (``ClassRule.reading_direction``).
    """
    direction = rule.reading_direction[reading.id]
    if direction == ("wider" if fit.verdict is Verdict.MATCH else "narrower"):
        return False  # a wider reading keeps a member in, a narrower one keeps the rest out
    touched = {m.region for m in fit.modifications} | {d.region for d in fit.differences}
    if "core" in touched:
        return False  # a changed core is outside under every reading
    patched = rule.patched_regions[reading.id]
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
    fit = fit_rule(mol, rule, day, None, limits, cache)
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
            since=_clause_since(rule, fit, since or period.start).isoformat(),
            instrument=period.instrument,
            citation=rule.citation,
            modifications=fit.modifications,
            regions=fit.regions,
            kind=rule.match_kind,
            status=Status(rule.status),
            name=rule.title if rule.match_kind != "class" else None,
            schedule=rule.schedule,
            list_name=rule.list_name,
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
            would_match = takes_in(mol, rule, rule.clauses_at(day, reading), cache, limits)
            if would_match is not (fit.verdict is Verdict.MATCH):
                notes.append(
                    ReviewNote(
                        reading=reading.id,
                        rule=rule.id,
                        class_match_would_be=would_match,
                        status_would_be=Status.NOT_CONTROLLED,  # set by judge()
                        alternative=reading.alternative,
                    )
                )
    return match, near, tuple(notes), fit


def _decided_later(
    mol: Chem.Mol, rule: ClassRule, day: dt.date, limits: Limits, cache: MolCache
) -> bool:
    """True for a precursor family that does not take the structure in.

    What it would say (a near miss) is reported only when nothing controls the structure,
    so its fit is worded later, if at all (``_near_miss``); whether it takes the structure
    in (``takes_in``) costs a fraction of that. A family with readings is judged at once:
    its review notes are reported either way.
    """
    if rule.match_kind == "class" or rule.readings:
        return False
    return not takes_in(mol, rule, rule.clauses_at(day), cache, limits)


def _near_miss(
    mol: Chem.Mol, rule: ClassRule, day: dt.date, limits: Limits, cache: MolCache
) -> NearMiss | None:
    """The near miss of a rule that ``_decided_later`` set aside."""
    return judge_rule(mol, rule, day, limits, cache)[1]


@dataclass(frozen=True)
class Described:
    """A parent as every rule meets it, found before any rule speaks (``describe``)."""

    flat: str  # canonical SMILES without stereo: the lists' index key
    isomeric: str  # with stereo, when a listing it meets names one stereoisomer
    listings: tuple[tuple[ListRule, ListEntry], ...]
    pieces: tuple[Undone, ...]  # esters and ethers undone, when some list covers them
    cache: MolCache


def describe(mol: Chem.Mol, rules: RuleSet, smiles: str | None = None) -> Described:
    """What ``judge`` needs of a parent whatever the jurisdiction or day.

    Args:
        mol: the standardised parent (see ``standardize``).
        rules: the rule set.
        smiles: the parent's canonical SMILES (``Parent.smiles``), when known.

    Returns:
        Its index keys, the listings they find, the pieces its esters and ethers undone
        give, and a cache for the searches of its rules.
    """
    flat = parent_key(mol, smiles)
    if smiles is not None:
        numbered_as_written(mol, smiles)  # the parent's atoms follow its SMILES
    listings = rules.listings(flat)
    # A listing of one stereoisomer (levomethorphan) or of the racemate is matched on the
    # parent with its stereo; every other listing takes any stereoisomer.
    isomeric = Chem.MolToSmiles(mol) if any(e.stereo != "any" for _, e in listings) else flat
    pieces: tuple[Undone, ...] = ()
    if rules.derivative_scope:  # some list covers esters or ethers
        pieces = tuple(
            undo_esters_and_ethers(
                mol, formulas=rules.derivative_formulas, graphs=rules.derivative_graphs
            )
        )
    return Described(flat, isomeric, listings, pieces, MolCache(mol))


def judge(
    mol: Chem.Mol,
    rules: RuleSet,
    jurisdictions: Sequence[str],
    day: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    *,
    smiles: str | None = None,
    described: Described | None = None,
) -> tuple[JurisdictionVerdict, ...]:
    """Decide, per jurisdiction, the control that applies to a parent structure on ``day``.

    Every rule in force speaks: listings found through the index, class definitions and
    precursor families through the scaffold fit. The strongest status wins (listed >
    class > precursor); every weaker match is still reported, with ``applies`` False and
    the reason its rule gives.

    Args:
        mol: the standardised parent (see ``standardize``).
        rules: the rule set.
        jurisdictions: jurisdiction codes, in the order to report them.
        day: the date whose law applies.
        limits: bounds on the search.
        smiles: the parent's canonical SMILES (``Parent.smiles``), when known.
        described: ``describe`` of the parent, when done already.

    Returns:
        One verdict per jurisdiction.
    """
    if described is None:
        described = describe(mol, rules, smiles)
    flat, isomeric, listings = described.flat, described.isomeric, described.listings
    cache, pieces = described.cache, described.pieces
    verdicts = []
    for code in jurisdictions:
        matches: list[ListedMatch | ClassMatch] = []
        # A precursor family that does not take the structure in is worded only if the
        # record reports why: it stands here as its rule until then.
        near_misses: list[NearMiss | ClassRule] = []
        pending: list[ReviewNote] = []
        found = [
            (listed, entry, how)
            for listed, entry in listings
            if listed.jurisdiction == code
            and entry.in_force(day)
            and (how := entry.takes(isomeric, flat)) is not None
        ]
        matches.extend(
            _listed_match(listed, entry, how) for listed, entry, how in _closest(found, isomeric)
        )
        matches.extend(_derivative_matches(pieces, rules, code, day, found))
        for rule in rules.for_jurisdiction(code):
            if rule.period_at(day) is None:
                continue
            if _decided_later(mol, rule, day, limits, cache):
                near_misses.append(rule)
                continue
            match, near, notes, _ = judge_rule(mol, rule, day, limits, cache)
            if match:
                matches.append(match)
            if near:
                near_misses.append(near)
            pending.extend(notes)
        matches = _apply_precedence(matches, rules)
        status = _strongest(m.status for m in matches if m.applies)
        if status is not Status.NOT_CONTROLLED:
            # Why a precursor family does not take in a controlled substance is noise;
            # why a class does not is worth saying (remifentanil and the US class).
            said = [n for n in near_misses if isinstance(n, NearMiss)]
            said = [n for n in said if rules.get(n.rule).match_kind == "class"]
        else:
            worded = (
                n if isinstance(n, NearMiss) else _near_miss(mol, n, day, limits, cache)
                for n in near_misses
            )
            said = [n for n in worded if n is not None]
        review = []
        for note in pending:
            noted = rules.get(note.rule)
            others = [m for m in matches if m.rule != noted.id]
            statuses = [m.status for m in others]
            if note.class_match_would_be:
                statuses.append(Status(noted.status))
            review.append(
                ReviewNote(
                    note.reading,
                    note.rule,
                    note.class_match_would_be,
                    _strongest(statuses),
                    note.alternative,
                )
            )
        verdicts.append(
            JurisdictionVerdict(
                jurisdiction=code,
                status=status,
                matches=tuple(matches),
                near_misses=tuple(said),
                review=tuple(review),
            )
        )
    return tuple(verdicts)


def judge_components(
    components: Sequence[Parent],
    rules: RuleSet,
    jurisdictions: Sequence[str],
    day: dt.date,
    limits: Limits = DEFAULT_LIMITS,
    described: Sequence[Described] | None = None,
) -> tuple[Parent, tuple[JurisdictionVerdict, ...], tuple[Component, ...]]:
    """Decide a mixture or salt: controlled when any of its components is.

    Each component is judged on its own (``judge``). Per jurisdiction, the component with
    the strongest status decides (the order of ``Status``: listed > class > precursor),
    and its verdict is reported whole. Between components of one status, a firm verdict
    goes before one with review notes, except among uncontrolled ones, where a component
    that a named reading would bring under control is the one worth reading; then the
    first component (the largest) goes first.

    Args:
        components: the standardised components, the largest first
            (``standardize_components``).
        rules: the rule set.
        jurisdictions: jurisdiction codes, in the order to report them.
        day: the date whose law applies.
        limits: bounds on the search.
        described: ``describe`` of each component, when done already.

    Returns:
        The parent to report as ``standardized`` (the component that decides the strongest
        verdict, the largest when it decides as strongly as any), the verdicts, and the
        components to report: none when only the largest has anything to say, so that
        such a record reads as it would for the largest alone.
    """
    if described is None:
        described = [describe(parent.mol, rules, parent.smiles) for parent in components]
    judged = [
        judge(parent.mol, rules, jurisdictions, day, limits, described=found)
        for parent, found in zip(components, described, strict=True)
    ]
    if len(components) == 1:
        return components[0], judged[0], ()

    def weight(index: int, verdict: JurisdictionVerdict) -> tuple[int, bool, int]:
        uncontrolled = verdict.status is Status.NOT_CONTROLLED
        return verdict.status.rank, bool(verdict.review) != uncontrolled, index

    indices = range(len(components))

    def decider(j: int) -> int:
        return min(indices, key=lambda i: weight(i, judged[i][j]))

    deciders = [decider(j) for j in range(len(jurisdictions))]
    quiet = set(deciders) == {0} and all(
        verdict.status is Status.NOT_CONTROLLED and not verdict.review
        for others in judged[1:]
        for verdict in others
    )
    if quiet:
        return components[0], judged[0], ()
    # Reported as ``standardized``: the component that decides the strongest verdict.
    best: dict[int, tuple[int, bool, int]] = {}
    for j, i in enumerate(deciders):
        best[i] = min(best.get(i, weight(i, judged[i][j])), weight(i, judged[i][j]))
    shown = min(best, key=lambda i: (best[i][:2], i))
    verdicts = []
    for j, i in enumerate(deciders):
        verdict = judged[i][j]
        statuses = [judged[k][j].status for k in indices]
        review = [_in_mixture(note, i, statuses) for note in verdict.review]
        seen = {(note.reading, note.rule) for note in review}
        # Another component's reading is worth a note when it would change the verdict.
        for k in indices:
            for note in judged[k][j].review if k != i else ():
                note = _in_mixture(note, k, statuses)
                if note.status_would_be is not verdict.status and (
                    (note.reading, note.rule) not in seen
                ):
                    seen.add((note.reading, note.rule))
                    review.append(note)
        component = components[i].smiles if i != shown else None
        verdicts.append(replace(verdict, review=tuple(review), component=component))
    reported = tuple(
        Component(
            smiles=parent.smiles,
            statuses=tuple((v.jurisdiction, v.status) for v in judged[i]),
            decides=tuple(code for code, d in zip(jurisdictions, deciders, strict=True) if d == i),
        )
        for i, parent in enumerate(components)
    )
    return components[shown], tuple(verdicts), reported


def _in_mixture(note: ReviewNote, index: int, statuses: Sequence[Status]) -> ReviewNote:
    """A review note of component ``index``, its ``status_would_be`` for the whole mixture.

    The reading changes that component only; the mixture's status would be the strongest
    of that component's status under the reading and the other components' statuses.
    """
    rest = [status for n, status in enumerate(statuses) if n != index]
    return replace(note, status_would_be=_strongest([note.status_would_be, *rest]))


_SCOPE_WORD = {"ester": "esters", "ether": "ethers"}


def _derivative_matches(
    pieces: Sequence[Undone],
    rules: RuleSet,
    code: str,
    day: dt.date,
    direct: list[tuple[ListRule, ListEntry, str]],
) -> list[ListedMatch]:
    """Listings whose scope covers the structure as an ester or ether of their substance.

    A structure listed itself is reported under its own listing; its derivative matches
    are kept, with ``applies`` False, to show why it would be covered anyway.
    """
    matches: dict[tuple[str, str], ListedMatch] = {}
    for piece in sorted(pieces, key=lambda p: len(p.removed)):
        for listed, entry in rules.listings(piece.key):
            if listed.jurisdiction != code or not entry.in_force(day):
                continue
            if not all(_SCOPE_WORD[k] in entry.scope for k in piece.kinds):
                continue
            how = entry.takes(piece.isomeric, piece.key)
            if how is None or (listed.id, entry.substance.id) in matches:
                continue
            match = replace(
                _listed_match(listed, entry, how),
                kind="derivative",
                relation=derivative_relation(piece.kinds, entry.substance.name),
                atoms=piece.removed,
            )
            if direct:
                match = replace(match, applies=False, reason="listed itself")
            matches[(listed.id, entry.substance.id)] = match
    return list(matches.values())


def _closest(
    found: list[tuple[ListRule, ListEntry, str]], isomeric: str
) -> list[tuple[ListRule, ListEntry, str]]:
    """Of several entries of one list with this skeleton, the one drawn as the input is.

    A list may name stereoisomers apart (ephedrine and pseudoephedrine, amfetamine and
    dexamfetamine) while each entry also covers its isomers: the structure is reported
    under the entry whose stereo it has, and under all of them when none has it.
    """
    if len(found) < 2:
        return found
    by_list: dict[str, list[tuple[ListRule, ListEntry, str]]] = {}
    for item in found:
        by_list.setdefault(item[0].id, []).append(item)
    kept = []
    for group in by_list.values():
        exact = [item for item in group if item[1].substance.isomeric_key == isomeric]
        kept.extend(exact or group)
    return kept


_SECTION = re.compile(r"(\d+\.\d+(?:\([a-z]\))?)")


def _citation(listed: ListRule, entry: ListEntry) -> str:
    """The list's citation, down to the paragraph that names the entry where it is known.

    US Schedule I is one list of several sections (opiates in 1308.11(b), hallucinogens in
    (d) ...): an entry of 1308.11(b)(3) is cited as "21 CFR 1308.11(b)".
    """
    found = _SECTION.match(entry.item or "")
    if (
        found
        and listed.citation.startswith("21 CFR ")
        and found.group(1).startswith(listed.citation[len("21 CFR ") :])
    ):
        return "21 CFR " + found.group(1)
    return listed.citation


def _listed_match(listed: ListRule, entry: ListEntry, how: str | None = None) -> ListedMatch:
    return ListedMatch(
        kind=listed.match_kind,
        rule=listed.id,
        name=entry.name,
        substance=entry.substance.id,
        since=entry.since.isoformat(),
        instrument=entry.instrument,
        citation=_citation(listed, entry),
        url=entry.url,
        verified=entry.verified,
        status=Status(listed.status),
        schedule=entry.schedule or listed.schedule,
        list_name=entry.list_name or listed.list_name,
        code=entry.code,
        cas=entry.substance.cas,
        since_exact=entry.since_exact,
        category=entry.category or listed.category,
        item=entry.item,
        narcotic=entry.narcotic,
        stereo=how or entry.stereo,
    )


def judge_by_name(
    substance_id: str, rules: RuleSet, jurisdictions: Sequence[str], day: dt.date
) -> tuple[JurisdictionVerdict, ...]:
    """The verdicts for a substance without one structure (opium, coca leaf, a plant).

    Such an item is found by its name or CAS number: only its own listings speak, since
    no class definition can be applied to a structure that does not exist.
    """
    entries = rules.entries_of(substance_id)
    verdicts = []
    for code in jurisdictions:
        matches: list[ListedMatch | ClassMatch] = [
            _listed_match(listed, entry)
            for listed, entry in entries
            if listed.jurisdiction == code and entry.in_force(day)
        ]
        matches = _apply_precedence(matches, rules)
        status = _strongest(m.status for m in matches if m.applies)
        verdicts.append(JurisdictionVerdict(code, status, tuple(matches)))
    return tuple(verdicts)


def _apply_precedence(
    matches: list[ListedMatch | ClassMatch], rules: RuleSet
) -> list[ListedMatch | ClassMatch]:
    """Mark every match weaker than the strongest as not applying, with its rule's reason."""
    if not matches:
        return matches
    top = _strongest(m.status for m in matches)
    out: list[ListedMatch | ClassMatch] = []
    for match in matches:
        if match.status.rank > top.rank:
            match = replace(match, applies=False, reason=rules.get(match.rule).overridden_reason)
        out.append(match)
    # Listings first, then classes, then families; within a kind, in rule order.
    return sorted(out, key=lambda m: (m.status.rank, not m.applies))


def _strongest(statuses: Iterable[Status]) -> Status:
    found = list(statuses)
    return min(found, key=lambda s: s.rank) if found else Status.NOT_CONTROLLED
