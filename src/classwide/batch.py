"""Screen a stream of records: one output record per input record, in input order.

Three runners share one per-chunk function, ``run_chunk``:

* sequential, in this process;
* worker processes on this machine (``workers`` > 1), at most a bounded number of chunks in
  flight so that memory does not depend on the input size;
* a Dask cluster (``dask="local"`` or a scheduler address), the same function over the same
  chunks.

Results are yielded in input order as soon as the chunk at the head is ready. Faults are
data, never a lost record: a record that takes too long becomes an error record
(``seconds_per_record``); a worker process that dies or hangs is replaced, and the records
of the chunks it held are run again one by one, so that only the record that kills a
worker is reported as such.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path

from classwide._api import classify_record
from classwide._findings import Classification, JurisdictionVerdict, Status
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._names import Resolved, looks_like_name, opsin_smiles, resolve
from classwide._prefilter import Prefilter
from classwide._rules import RuleSet, default_rules, load_rules
from classwide.errors import InputError
from classwide.io import InputRecord, RawChunk, records_of, serialize

CHUNK = 128
# Extra seconds a whole chunk may take beyond its records' limits before its worker is
# presumed hung (process start, rule loading, scheduling).
CHUNK_GRACE_SECONDS = 60.0


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to classify chunks (picklable, small)."""

    codes: tuple[str, ...]
    day: dt.date
    rule_texts: tuple[tuple[str, bytes], ...] = ()
    names: bool = False
    prefilter: bool = True
    limits: Limits = DEFAULT_LIMITS
    fmt: str | None = None  # serialise in the worker: "jsonl", "csv" or "sdf"


class RecordTimeout(Exception):
    """One record took longer than the per-record limit."""


_process_cache: dict[tuple, tuple[RuleSet, Prefilter | None]] = {}


def _rules_and_prefilter(
    job: Job, rules: RuleSet | None = None
) -> tuple[RuleSet, Prefilter | None]:
    """Rules and prefilter for a job, compiled once per process (never pickled)."""
    key = (job.rule_texts, job.prefilter, id(rules))
    if key not in _process_cache:
        _process_cache.clear()
        if rules is None:
            rules = load_rules(texts=job.rule_texts) if job.rule_texts else default_rules()
        _process_cache[key] = (rules, Prefilter(rules, job.limits) if job.prefilter else None)
    return _process_cache[key]


class _Alarm:
    """A per-record time limit: SIGALRM, armed once per record (one system call).

    Only in a process's main thread (workers, the CLI); elsewhere it does nothing. Python
    work is interrupted; a single RDKit call runs to its end first, and a worker stuck
    inside one is caught by the runner's chunk watchdog instead.
    """

    def __init__(self) -> None:
        self.installed = False
        self._usable: tuple[int, int, bool] | None = None

    def usable(self) -> bool:
        here = (os.getpid(), threading.get_ident())
        if self._usable is None or self._usable[:2] != here:
            ok = (
                hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread()
            )
            self._usable = (*here, ok)
        return self._usable[2]

    def arm(self, seconds: float) -> None:
        if not self.usable():
            return
        if not self.installed:
            signal.signal(signal.SIGALRM, _expire)
            self.installed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)

    def disarm(self) -> None:
        if self.installed and self.usable():
            signal.setitimer(signal.ITIMER_REAL, 0)


def _expire(signum, frame):  # type: ignore[no-untyped-def]
    raise RecordTimeout


_ALARM = _Alarm()


def run_chunk(job: Job, chunk: list[InputRecord], rules: RuleSet | None = None) -> list:
    """Classify one chunk of records, in order (the unit of work of every runner).

    Returns Classification objects, or with ``job.fmt`` set, ``(text, had_error)`` pairs
    already serialised, so that the process that writes the output only writes.
    """
    rules, prefilter = _rules_and_prefilter(job, rules)
    resolved = _resolve_names(chunk, rules) if job.names else [None] * len(chunk)
    quick = prefilter if not job.names else None
    out: list = []
    try:
        for record, found in zip(chunk, resolved, strict=True):
            if quick is not None and record.error is None and _settled(quick, record.text):
                # Bounded by the size limits, so no alarm is needed; most records end here.
                settled = _out_of_scope(record, job.codes, job.day, rules)
                out.append((_serialize(settled, job), False) if job.fmt is not None else settled)
                continue
            result = _classify_one(record, found, job, rules)
            if job.fmt is not None:
                result = (_serialize(result, job), result.error is not None)
            out.append(result)
    finally:
        _ALARM.disarm()
    return out


_templates: dict[tuple, tuple[str, str, str]] = {}


def run_raw_chunk(job: Job, chunk: RawChunk) -> tuple[str, int, int]:
    """Classify the lines of a raw chunk; return their output text, records and errors."""
    results = run_chunk(replace(job, fmt=job.fmt or "jsonl"), records_of(chunk))
    return "".join(text for text, _ in results), len(results), sum(e for _, e in results)


def screen_raw(
    chunks: Iterable[RawChunk],
    codes: Sequence[str],
    day: dt.date,
    *,
    fmt: str = "jsonl",
    rules: RuleSet | None = None,
    extra_rules: Sequence[str | Path] = (),
    workers: int = 1,
    prefilter: bool = True,
    dask: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[tuple[str, int, int]]:
    """The fast path for SMILES-line files: chunks of text in, chunks of output text out.

    Yields, per chunk and in input order, the serialised records, their count and how
    many had an error. A chunk whose worker fails is run again record by record by the
    record path (``screen``), so that faults are isolated as there.
    """
    texts = tuple((Path(p).name, Path(p).read_bytes()) for p in extra_rules)
    job = Job(tuple(codes), day, texts, False, prefilter, limits, fmt)
    if dask is not None:
        from classwide._dask import screen_on_dask

        yield from screen_on_dask(iter(chunks), job, dask, workers, raw=True)
        return
    if workers <= 1:
        local = rules or (load_rules(texts=texts) if texts else default_rules())
        for chunk in chunks:
            results = _run_chunk_safely(job, records_of(chunk), local)
            yield "".join(t for t, _ in results), len(results), sum(e for _, e in results)
        return
    yield from _on_processes(iter(chunks), job, workers, raw=True)


def _serialize(record: Classification, job: Job) -> str:
    """Serialise a record; a prefiltered one through a template (same bytes, less work)."""
    if job.fmt != "jsonl" or record.decided_by != "prefilter":
        return serialize(record, job.fmt or "jsonl", job.codes)
    key = (job.codes, record.as_of, record.rules_version)
    if key not in _templates:
        marker_id, marker_input = "\u0001ID\u0001", "\u0001INPUT\u0001"
        sample = replace(record, id=marker_id, input=marker_input)
        text = serialize(sample, "jsonl", job.codes)
        head, rest = text.split(json.dumps(marker_id), 1)
        middle, tail = rest.split(json.dumps(marker_input), 1)
        _templates.clear()
        _templates[key] = (head, middle, tail)
    head, middle, tail = _templates[key]
    return (
        head
        + json.dumps(record.id, ensure_ascii=False)
        + middle
        + json.dumps(record.input, ensure_ascii=False)
        + tail
    )


def _settled(prefilter: Prefilter, text: str | None) -> bool:
    """Ask the prefilter; anything it cannot answer goes to the full path."""
    try:
        return prefilter.out_of_scope(text or "")
    except Exception:  # noqa: BLE001 - the full path reports what is wrong with the record
        return False


def _classify_one(
    record: InputRecord, found: Resolved | str | None, job: Job, rules: RuleSet
) -> Classification:
    """The full path for one record, under the per-record time limit."""
    error = record.error
    if isinstance(found, str):  # a name that could not be resolved
        error, found = found, None
    try:
        _ALARM.arm(job.limits.seconds_per_record)
        return classify_record(
            record.text,
            record.id,
            job.codes,
            job.day,
            rules,
            error=error,
            limits=job.limits,
            names=job.names,
            resolved=found,
        )
    except RecordTimeout:
        return error_record(
            record, f"timeout: over {job.limits.seconds_per_record:g} s on this record", job, rules
        )


def error_record(
    record: InputRecord, error: str, job: Job, rules: RuleSet | None = None
) -> Classification:
    """The record of an input that could not be decided, with a one-line reason."""
    version = (rules or _rules_and_prefilter(job)[0]).version
    return Classification(
        record.id, record.text or "", error, None, (), version, job.day.isoformat(), "smiles"
    )


def _out_of_scope(
    record: InputRecord, codes: Sequence[str], day: dt.date, rules: RuleSet
) -> Classification:
    """The record of a structure the prefilter proved no rule can apply to."""
    verdicts = _nothing_applies(tuple(codes))
    return Classification(
        record.id,
        record.text or "",
        None,
        None,
        verdicts,
        rules.version,
        day.isoformat(),
        "smiles",
        "prefilter",
    )


@lru_cache(maxsize=16)
def _nothing_applies(codes: tuple[str, ...]) -> tuple[JurisdictionVerdict, ...]:
    return tuple(JurisdictionVerdict(code, Status.NOT_CONTROLLED) for code in codes)


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
        except Exception as exc:  # noqa: BLE001 - OPSIN failing costs these names, not the run
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


def _chunks(records: Iterable[InputRecord], size: int = CHUNK) -> Iterator[list[InputRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


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
    dask: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    fmt: str | None = None,
) -> Iterator:
    """Classify every record, yielding results in input order.

    Args:
        records: input records (from ``classwide.io``).
        codes: resolved jurisdiction codes.
        day: the day whose law applies.
        rules: the rule set for the sequential path (default: packaged + ``extra_rules``).
        extra_rules: extra rule files; workers receive their contents, not their paths.
        workers: worker processes; 1 runs in this process.
        names: records are names or CAS numbers, not structures.
        prefilter: let the rule-derived prefilter settle records no rule can apply to
            (their `standardized` is then not computed).
        dask: "local" for a local Dask cluster, or a scheduler address; None: no Dask.
        limits: per-record limits (size, time).
        fmt: serialise each record in the workers ("jsonl", "csv", "sdf") and yield
            ``(text, had_error)`` pairs instead of objects.

    Yields:
        One ``Classification`` (or serialised record) per input record.
    """
    texts = tuple((Path(p).name, Path(p).read_bytes()) for p in extra_rules)
    job = Job(tuple(codes), day, texts, names, prefilter, limits, fmt)
    if dask is not None:
        from classwide._dask import screen_on_dask

        yield from screen_on_dask(_chunks(records), job, dask, workers)
    elif workers <= 1:
        local = rules or (load_rules(texts=texts) if texts else default_rules())
        for chunk in _chunks(records):
            yield from _run_chunk_safely(job, chunk, local)
    else:
        yield from _on_processes(_chunks(records), job, workers, raw=False)


class _Pool:
    """A process pool that can be killed and replaced when a worker dies or hangs."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.executor = ProcessPoolExecutor(workers, mp_context=mp.get_context(method))

    def submit(self, job: Job, chunk: list[InputRecord]) -> Future:
        return self.executor.submit(run_chunk, job, chunk)

    def replace(self) -> None:
        processes = list(getattr(self.executor, "_processes", {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.__init__(self.workers)  # type: ignore[misc]

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _chunk_timeout(job: Job, chunk: list[InputRecord]) -> float:
    return job.limits.seconds_per_record * len(chunk) + CHUNK_GRACE_SECONDS


def _on_processes(chunks: Iterator, job: Job, workers: int, *, raw: bool) -> Iterator:
    """Run chunks on a pool, in order; raw chunks yield one output tuple each."""
    task = run_raw_chunk if raw else run_chunk
    reading = ReadAhead(chunks)
    pool = _Pool(workers)
    in_flight: deque[tuple[object, Future]] = deque()
    try:
        while True:
            while len(in_flight) < workers * 4 and (chunk := reading.next()) is not None:
                in_flight.append((chunk, pool.executor.submit(task, job, chunk)))
            if not in_flight:
                reading.raise_failure()
                return
            chunk, future = in_flight[0]
            try:
                result = future.result(timeout=_chunk_timeout(job, _records(chunk)))
            except Exception as exc:  # noqa: BLE001 - a failed chunk must not end the run
                if isinstance(exc, (BrokenProcessPool, FutureTimeout)):
                    # A worker died or hung: every chunk in flight is suspect. Replace the
                    # pool and run their records one by one, to report the culprit alone.
                    pending = [c for c, _ in in_flight]
                    in_flight.clear()
                    pool.replace()
                else:
                    # The chunk raised (a bug on some record): only this chunk is suspect.
                    pending = [in_flight.popleft()[0]]
                for suspect in pending:
                    outputs = list(_isolate(pool, job, _records(suspect)))
                    if raw:
                        yield (
                            "".join(t for t, _ in outputs),
                            len(outputs),
                            sum(e for _, e in outputs),
                        )
                    else:
                        yield from outputs
                continue
            in_flight.popleft()
            if raw:
                yield result
            else:
                yield from result
    finally:
        pool.close()


class ReadAhead:
    """Chunks to submit; a read failure waits until the chunks read before it are written."""

    def __init__(self, chunks: Iterator) -> None:
        self.chunks = chunks
        self.failure: Exception | None = None

    def next(self) -> object | None:
        """The next chunk, or None at the end or after a read failure."""
        if self.failure is not None:
            return None
        try:
            return next(self.chunks, None)
        except Exception as exc:  # noqa: BLE001 - raised again once the work in flight is out
            self.failure = exc
            return None

    def raise_failure(self) -> None:
        """Raise the read failure, if there was one."""
        if self.failure is not None:
            raise self.failure


def _records(chunk: list[InputRecord] | RawChunk) -> list[InputRecord]:
    return records_of(chunk) if isinstance(chunk, RawChunk) else chunk


def _isolate(pool: _Pool, job: Job, chunk: list[InputRecord]) -> Iterator[Classification]:
    """Run records one at a time; the one that breaks a worker becomes an error record."""
    for record in chunk:
        future = pool.submit(job, [record])
        try:
            yield from future.result(timeout=_chunk_timeout(job, [record]))
        except BrokenProcessPool:
            pool.replace()
            yield _as_output(
                error_record(record, "the worker process died on this record", job), job
            )
        except FutureTimeout:
            pool.replace()
            message = f"timeout: over {job.limits.seconds_per_record:g} s on this record"
            yield _as_output(error_record(record, message, job), job)
        except Exception as exc:  # noqa: BLE001 - the record's own failure, as data
            yield _as_output(error_record(record, _internal(exc), job), job)


def _internal(exc: BaseException) -> str:
    return f"internal error on this record: {type(exc).__name__}: {' '.join(str(exc).split())}"


def _run_chunk_safely(job: Job, chunk: list[InputRecord], rules: RuleSet) -> list:
    """The in-process runner's unit: a chunk that raises is run again record by record."""
    try:
        return run_chunk(job, chunk, rules)
    except Exception:  # noqa: BLE001
        out = []
        for record in chunk:
            try:
                out.extend(run_chunk(job, [record], rules))
            except Exception as exc:  # noqa: BLE001
                out.append(_as_output(error_record(record, _internal(exc), job, rules), job))
        return out


def _as_output(record: Classification, job: Job) -> object:
    return record if job.fmt is None else (serialize(record, job.fmt, job.codes), True)
