"""Screen a stream of records: one output record per input record, in input order.

``screen`` runs the pure per-record function sequentially or over worker processes. With
workers, at most a bounded number of chunks is in flight, so memory does not grow with the
input, and results are yielded in input order as soon as they are ready.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from classwide._api import classify_record
from classwide._names import Resolved, looks_like_name, opsin_smiles, resolve
from classwide._prefilter import Prefilter
from classwide.errors import InputError
from classwide._findings import Classification, JurisdictionVerdict, Status
from classwide._rules import RuleSet, default_rules, load_rules
from classwide.io import InputRecord

CHUNK = 64

_worker_rules: RuleSet | None = None
_prefilters: dict[int, Prefilter] = {}


def _init_worker(extra_rules: tuple[str, ...]) -> None:
    global _worker_rules
    # Each worker compiles the rule files itself (cheap) rather than unpickling queries.
    _worker_rules = load_rules(extra_rules) if extra_rules else default_rules()


def _prefilter_for(rules: RuleSet) -> Prefilter:
    """One prefilter per rule set per process, built from the rule files."""
    key = id(rules)
    if key not in _prefilters:
        _prefilters.clear()
        _prefilters[key] = Prefilter(rules)
    return _prefilters[key]


def _run_chunk(
    chunk: list[InputRecord], codes: tuple[str, ...], day: dt.date, names: bool, prefilter: bool
) -> list[Classification]:
    assert _worker_rules is not None
    return _classify_chunk(chunk, codes, day, _worker_rules, names, prefilter)


def _classify_chunk(
    chunk: list[InputRecord],
    codes: Sequence[str],
    day: dt.date,
    rules: RuleSet,
    names: bool,
    prefilter: bool = True,
) -> list[Classification]:
    resolved = _resolve_names(chunk, rules) if names else [None] * len(chunk)
    quick = _prefilter_for(rules) if prefilter and not names else None
    out = []
    for record, found in zip(chunk, resolved, strict=True):
        error = record.error
        if isinstance(found, str):  # a name that could not be resolved
            error, found = found, None
        if quick is not None and error is None and quick.out_of_scope(record.text or ""):
            out.append(_out_of_scope(record, codes, day, rules))
            continue
        out.append(
            classify_record(record.text, record.id, codes, day, rules, error=error, names=names,
                            resolved=found)
        )
    return out


def _out_of_scope(
    record: InputRecord, codes: Sequence[str], day: dt.date, rules: RuleSet
) -> Classification:
    """The record of a structure the prefilter proved no rule can apply to."""
    verdicts = tuple(JurisdictionVerdict(code, Status.NOT_CONTROLLED) for code in codes)
    return Classification(record.id, record.text or "", None, None, verdicts, rules.version,
                          day.isoformat(), "smiles", "prefilter")


def _resolve_names(chunk: list[InputRecord], rules: RuleSet) -> list[Resolved | str | None]:
    """Resolve a chunk of names: the substance data first, then one OPSIN run for the rest."""
    out: list[Resolved | str | None] = []
    pending: list[int] = []
    for i, record in enumerate(chunk):
        text = (record.text or "").strip()
        if record.error or not text:
            out.append(None)
            continue
        try:
            found = resolve(text, rules, use_opsin=False)
        except InputError as exc:
            out.append(str(exc))
            continue
        if found.input_type == "smiles" and looks_like_name(text):
            pending.append(i)
        out.append(found)
    if pending:
        try:
            smiles = opsin_smiles([(chunk[i].text or "").strip() for i in pending])
        except InputError as exc:
            smiles = [None] * len(pending)
            reason = str(exc)
        else:
            reason = "not a name in classwide's substance data or one OPSIN can parse"
        for i, found in zip(pending, smiles, strict=True):
            out[i] = Resolved(found, "opsin") if found else reason
    return out


def resolve_workers(workers: int | None) -> int:
    """``None``, 0 or -1 mean all cores (joblib's convention)."""
    if workers is None or workers <= 0:
        return os.cpu_count() or 1
    return workers


def screen(
    records: Iterable[InputRecord],
    codes: Sequence[str],
    day: dt.date,
    *,
    rules: RuleSet | None = None,
    extra_rules: Sequence[str | Path] = (),
    workers: int = 1,
    names: bool = False,
    prefilter: bool = True,
) -> Iterator[Classification]:
    """Classify every record, yielding results in input order.

    Args:
        records: input records (from ``classwide.io``).
        codes: resolved jurisdiction codes.
        day: the day whose law applies.
        rules: the rule set for the sequential path (default: packaged + ``extra_rules``).
        extra_rules: extra rule files, loaded again in each worker.
        workers: worker processes; 1 runs in this process.
        names: records are names or CAS numbers, not structures.
        prefilter: let the rule-derived prefilter settle records no rule can apply to
            (their `standardized` is then not computed).

    Yields:
        One ``Classification`` per input record.
    """
    extra = tuple(str(p) for p in extra_rules)
    if workers <= 1:
        rules = rules or (load_rules(extra) if extra else default_rules())
        iterator = iter(records)
        while chunk := list(islice(iterator, CHUNK)):
            yield from _classify_chunk(chunk, codes, day, rules, names, prefilter)
        return
    context = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    iterator = iter(records)
    with context.Pool(workers, initializer=_init_worker, initargs=(extra,)) as pool:
        in_flight: deque = deque()
        limit = workers * 4
        while True:
            while len(in_flight) < limit:
                chunk = list(islice(iterator, CHUNK))
                if not chunk:
                    break
                in_flight.append(pool.apply_async(_run_chunk, (chunk, tuple(codes), day, names, prefilter)))
            if not in_flight:
                break
            yield from in_flight.popleft().get()
