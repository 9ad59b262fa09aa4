"""Screen a stream of records: one output record per input record, in input order.

Three runners share one per-chunk function, ``run_chunk``, which returns a ``ChunkResult``:

* sequential, in this process;
* worker processes on this machine (``workers`` > 1), at most a bounded number of chunks in
  flight so that memory does not depend on the input size;
* a Dask cluster (``dask="local"`` or a scheduler address), the same function over the same
  chunks.

The two parallel runners share one submission loop (``classwide._runner``). Library
callers use ``screen``, which yields ``Classification`` objects; writers (the command line)
use ``screen_chunks``, which yields text serialised in the workers and takes the raw
SMILES-line fast path by itself when it applies.

Results are yielded in input order as soon as the chunk at the head is ready. Faults are
data, never a lost record: a record that takes too long becomes an error record
(``seconds_per_record``); a worker process that dies or hangs is replaced, and the records
of the chunks it held are run again one by one, so that only the record that kills a
worker is reported as such.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from types import FrameType

from classwide._api import Judging, RecordWork, internal_error
from classwide._dask import screen_on_dask
from classwide._findings import Classification, JurisdictionVerdict, Status
from classwide._limits import DEFAULT_LIMITS, Limits
from classwide._names import (
    Resolved,
    looks_like_name,
    name_too_long,
    one_line,
    opsin_smiles,
    resolve,
)
from classwide._prefilter import Prefilter
from classwide._rules import RuleSet, default_rules, load_rules
from classwide._runner import in_order
from classwide.errors import InputError
from classwide.io import (
    InputRecord,
    RawChunk,
    RecordStream,
    raw_smiles_chunks,
    records_of,
    serialize,
    skip_lines,
)

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
    # Serialise in the worker ("jsonl", "csv" or "sdf"), so that the process that writes
    # only writes: ChunkResult.text is filled. None: ChunkResult.objects is.
    fmt: str | None = None


class RecordTimeout(BaseException):
    """One record took longer than the per-record limit.

    A ``BaseException``, like ``KeyboardInterrupt``: the alarm may ring anywhere, also inside
    code that turns any ``Exception`` into a record error ("cannot standardise: ...",
    "internal error ..."), and the record must still be reported as a timeout.
    """


_process_cache: dict[tuple, tuple[RuleSet, Prefilter | None]] = {}
_dedicated = False


def dedicate_process() -> None:
    """Declare this process a screening process (a worker, the CLI), not a user's program.

    Such a process freezes its rule set out of the cyclic garbage collector once loaded
    (``gc.freeze``): the collector need not walk it again and again, about a tenth of a
    catalogue screen's time, and in a forked worker walking it also copies its pages. A
    program that only calls the API keeps its collector as it was.
    """
    global _dedicated
    _dedicated = True


def _rules_and_prefilter(
    job: Job, rules: RuleSet | None = None
) -> tuple[RuleSet, Prefilter | None]:
    """Rules and prefilter for a job, compiled once per process (never pickled)."""
    key = (job.rule_texts, job.prefilter, id(rules))
    if key not in _process_cache:
        if _process_cache and _dedicated:
            gc.unfreeze()  # the rule set held until now may be collected
        _process_cache.clear()
        if rules is None:
            rules = rules_with(texts=job.rule_texts)
        prefilter = Prefilter.for_rules(rules, job.limits) if job.prefilter else None
        _process_cache[key] = (rules, prefilter)
        if _dedicated:
            gc.freeze()  # see dedicate_process
    return _process_cache[key]


class _Alarm:
    """A per-record time limit: SIGALRM, armed once per record (one system call).

    Only in a process's main thread (workers, the CLI); elsewhere it does nothing. Python
    work is interrupted; a single RDKit call runs to its end first, and a worker stuck
    inside one is caught by the runner's chunk watchdog instead.
    """

    def __init__(self) -> None:
        self.installed = False
        self.armed = False
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
        self.armed = True
        # It rings again until disarmed: an exception raised inside a callback that Python
        # runs for itself (a weak reference's, the garbage collector's) is printed and
        # dropped, and the record would otherwise run on without a limit.
        signal.setitimer(signal.ITIMER_REAL, seconds, _RING_AGAIN)

    def disarm(self) -> None:
        self.armed = False  # first: a ring from here on is ignored
        if self.installed and self.usable():
            signal.setitimer(signal.ITIMER_REAL, 0)


_RING_AGAIN = 0.05  # seconds


def _expire(signum: int, frame: FrameType | None) -> None:
    if _ALARM.armed:
        raise RecordTimeout


_ALARM = _Alarm()


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk of records gave: the unit every runner hands back, in input order.

    Attributes:
        text: the chunk's records serialised in ``Job.fmt``, ready to append to the output
            (empty when ``Job.fmt`` is None).
        records: how many records the chunk held.
        errors: how many of them have ``error`` set.
        objects: the records as ``Classification`` objects when ``Job.fmt`` is None
            (empty otherwise, so that workers send back text only).
    """

    text: str = ""
    records: int = 0
    errors: int = 0
    objects: tuple[Classification, ...] = ()

    @classmethod
    def of(cls, job: Job, records: Sequence[Classification]) -> ChunkResult:
        """The result of classified records, in the form ``job.fmt`` asks for."""
        errors = sum(record.error is not None for record in records)
        if job.fmt is None:
            return cls("", len(records), errors, tuple(records))
        text = "".join(serialize(record, job.fmt, job.codes) for record in records)
        return cls(text, len(records), errors)

    @classmethod
    def joined(cls, parts: Iterable[ChunkResult]) -> ChunkResult:
        """One result for consecutive parts of a chunk (a chunk run record by record)."""
        parts = list(parts)
        return cls(
            "".join(part.text for part in parts),
            sum(part.records for part in parts),
            sum(part.errors for part in parts),
            tuple(record for part in parts for record in part.objects),
        )


Chunk = list[InputRecord] | RawChunk  # a raw chunk is split into records by the worker


def run_chunk(job: Job, chunk: Chunk, rules: RuleSet | None = None) -> ChunkResult:
    """Classify one chunk of records, in order (the unit of work of every runner).

    Args:
        job: what to classify against, and whether to serialise (``job.fmt``) here, so
            that the process that writes the output only writes.
        chunk: records, or a raw chunk of SMILES lines.
        rules: the rule set (default: compiled from the job, once per process).

    Returns:
        The chunk's records, as text or as objects.
    """
    records = _records(chunk)
    rules, prefilter = _rules_and_prefilter(job, rules)
    resolved = _resolve_names(records, rules) if job.names else [None] * len(records)
    quick = prefilter if not job.names else None
    # Bounded by the size limits, so no alarm is needed; most records end here. A record
    # the prefilter cannot answer (None) goes to the full path, which says what is wrong.
    settled = (
        quick.out_of_scope_each(None if r.error else r.text for r in records)
        if quick is not None
        else [False] * len(records)
    )
    full = _classify_staged(records, resolved, settled, job, rules)
    if job.fmt == "jsonl":
        # A settled record (most of a catalogue) goes straight to its line: no object.
        template = _settled_template(job, rules)
        text = "".join(
            _settled_line(template, record) if c is None else serialize(c, "jsonl", job.codes)
            for record, c in zip(records, full, strict=True)
        )
        errors = sum(c is not None and c.error is not None for c in full)
        return ChunkResult(text, len(records), errors)
    out = [
        _out_of_scope(record, job.codes, job.day, rules) if c is None else c
        for record, c in zip(records, full, strict=True)
    ]
    return ChunkResult.of(job, out)


def _records(chunk: Chunk) -> list[InputRecord]:
    return records_of(chunk) if isinstance(chunk, RawChunk) else chunk


def _size(chunk: Chunk) -> int:
    # A raw chunk ends every line with a newline; counting them is cheaper than splitting.
    return chunk.text.count("\n") if isinstance(chunk, RawChunk) else len(chunk)


_templates: dict[tuple, tuple[str, str, str]] = {}
_json_string = json.encoder.encode_basestring


def _settled_template(job: Job, rules: RuleSet) -> tuple[str, str, str]:
    """The JSON line of a prefiltered record of ``job``, cut where its id and input go."""
    record = _out_of_scope(InputRecord("", ""), job.codes, job.day, rules)
    key = (job.codes, record.as_of, record.rules_version)
    if key not in _templates:
        marker_id, marker_input = "\u0001ID\u0001", "\u0001INPUT\u0001"
        sample = replace(record, id=marker_id, input=marker_input)
        text = serialize(sample, "jsonl", job.codes)
        head, rest = text.split(json.dumps(marker_id), 1)
        middle, tail = rest.split(json.dumps(marker_input), 1)
        _templates.clear()
        _templates[key] = (head, middle, tail)
    return _templates[key]


def _settled_line(template: tuple[str, str, str], record: InputRecord) -> str:
    """A prefiltered record's JSON line: the same bytes as the full serialiser's."""
    head, middle, tail = template
    return head + _json_value(record.id) + middle + _json_string(record.text or "") + tail


def _json_value(value: object) -> str:
    """json.dumps(value, ensure_ascii=False), without building an encoder for a string.

    An id given through the Python API may be a number: it is written as json.dumps
    writes it, as the full serialiser does.
    """
    if isinstance(value, str):
        return _json_string(value)
    return json.dumps(value, ensure_ascii=False)


def _classify_staged(
    records: Sequence[InputRecord],
    resolved: Sequence[Resolved | str | None],
    settled: Sequence[bool | None],
    job: Job,
    rules: RuleSet,
) -> list[Classification | None]:
    """The full path for the records the prefilter did not settle (None for those it did).

    Every record goes through one stage before any goes through the next (see
    ``RecordWork``); the time limit is the record's, over all its stages.
    """
    judging = Judging(job.codes, job.day, rules, job.limits, job.names)
    works: list[RecordWork | None] = []
    for record, found, done in zip(records, resolved, settled, strict=True):
        if done:
            works.append(None)
        elif isinstance(found, str):  # a name that could not be resolved
            works.append(RecordWork(record.text, record.id, judging, found))
        else:
            works.append(RecordWork(record.text, record.id, judging, record.error, found))
    spent = [0.0] * len(works)
    try:
        for stage in RecordWork.STAGES:
            for n, work in enumerate(works):
                if work is not None and work.result is None:
                    spent[n] += _advance_in_time(work, stage, spent[n], job)
    finally:
        _ALARM.disarm()
    return [None if work is None else work.finished() for work in works]


def _advance_in_time(
    work: RecordWork, stage: Callable[[RecordWork], None], spent: float, job: Job
) -> float:
    """Run one stage of a record under what is left of its time limit; the seconds it took."""
    limit = job.limits.seconds_per_record
    started = time.perf_counter()
    try:
        if spent >= limit:
            raise RecordTimeout
        _ALARM.arm(limit - spent)
        try:
            work.advance(stage)
        finally:
            # Disarmed here, not after the chunk: an alarm left running would ring in the
            # next record's stage or in serialisation, where nothing catches it.
            _ALARM.disarm()
    except RecordTimeout:
        _ALARM.disarm()  # a second ring may have struck before the first disarm finished
        work.fail(f"timeout: over {limit:g} s on this record")
    return time.perf_counter() - started


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
            if not one_line(text):  # OPSIN would read two names, and shift every answer
                out.append("not a SMILES, and a chemical name must be one line")
                continue
            if too_long := name_too_long(text):
                out.append(too_long)
                continue
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
        for i, parsed in zip(pending, smiles, strict=True):
            out[i] = Resolved(parsed, "opsin") if parsed else reason
    return out


def resolve_workers(workers: int | None) -> int:
    """The number of worker processes for a ``--workers`` value.

    None, 0 or a negative number mean every core of this machine. That is classwide's own
    convention, not joblib's: joblib reads None as one job, refuses 0, and reads -2 as all
    cores but one.

    Args:
        workers: the requested number of processes.

    Returns:
        At least 1.

    Example:
        >>> resolve_workers(3)
        3
    """
    if workers is None or workers <= 0:
        return os.cpu_count() or 1
    return workers


def rules_with(
    extra: Iterable[str | Path] = (), *, texts: Iterable[tuple[str, bytes]] = ()
) -> RuleSet:
    """The packaged rules plus extra rule files, given as paths or as (name, content).

    Without extra files this is the packaged set, compiled once per process.

    Raises:
        RuleFileError: naming the file and field of the first problem found.
    """
    extra, texts = tuple(extra), tuple(texts)
    if not extra and not texts:
        return default_rules()
    return load_rules(extra, texts=texts)


def _chunks(records: Iterable[InputRecord], size: int = CHUNK) -> Iterator[list[InputRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _job(
    codes: Sequence[str],
    day: dt.date,
    extra_rules: Sequence[str | Path],
    names: bool,
    prefilter: bool,
    limits: Limits,
    fmt: str | None,
) -> Job:
    # Workers receive the extra rule files' contents, so they need no shared file system.
    texts = tuple((Path(p).name, Path(p).read_bytes()) for p in extra_rules)
    return Job(tuple(codes), day, texts, names, prefilter, limits, fmt)


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
) -> Iterator[Classification]:
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

    Yields:
        One ``Classification`` per input record. To write output, use ``screen_chunks``,
        which serialises in the workers.

    Example:
        >>> from classwide.io import InputRecord
        >>> [r.error for r in screen([InputRecord("1", "CCO")], ["US"], dt.date(2026, 1, 1))]
        [None]
    """
    job = _job(codes, day, extra_rules, names, prefilter, limits, None)
    for result in _run(_chunks(records), job, rules, workers, dask):
        yield from result.objects


def screen_chunks(
    streams: Sequence[RecordStream],
    codes: Sequence[str],
    day: dt.date,
    *,
    fmt: str | None = "jsonl",
    skip: int = 0,
    rules: RuleSet | None = None,
    extra_rules: Sequence[str | Path] = (),
    workers: int = 1,
    names: bool = False,
    prefilter: bool = True,
    dask: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Generator[ChunkResult, None, None]:
    """Classify every record of open inputs, one chunk at a time: the entry for writers.

    With ``fmt`` set and inputs that are all SMILES or InChI lines, whole blocks of text
    go to the workers and output text comes back (the fast path: the process that reads
    and writes does almost nothing else). Otherwise records are read here and sent in
    chunks. Both give the same bytes.

    Args:
        streams: open inputs (``classwide.io.read_records``), read in turn.
        codes: resolved jurisdiction codes.
        day: the day whose law applies.
        fmt: serialise in the workers ("jsonl", "csv", "sdf") into ``ChunkResult.text``;
            None: return ``Classification`` objects in ``ChunkResult.objects``.
        skip: leave out the first ``skip`` records (an output resumed after them).
        rules: the rule set for the sequential path (default: packaged + ``extra_rules``).
        extra_rules: extra rule files; workers receive their contents, not their paths.
        workers: worker processes; 1 runs in this process.
        names: records are names or CAS numbers, not structures.
        prefilter: let the rule-derived prefilter settle records no rule can apply to.
        dask: "local" for a local Dask cluster, or a scheduler address; None: no Dask.
        limits: per-record limits (size, time).

    Yields:
        One ``ChunkResult`` per chunk, in input order.

    Raises:
        InputError: when an input cannot be read any further, after every record before
            the damage has been yielded.
    """
    job = _job(codes, day, extra_rules, names, prefilter, limits, fmt)
    raw = fmt is not None and not names and all(s.kind in ("smiles", "inchi") for s in streams)
    if raw:
        chunks: Iterable[Chunk] = _raw_chunks(streams, skip)
    else:
        chunks = _chunks(islice(chain.from_iterable(streams), skip, None))
    yield from _run(chunks, job, rules, workers, dask)


def _raw_chunks(streams: Sequence[RecordStream], skip: int) -> Iterator[RawChunk]:
    """Raw chunks of every input in turn, after skipping ``skip`` records (a resumed run)."""
    for stream in streams:
        # Lines are skipped by the same line rule the readers use, so that a resumed run
        # starts at the record the output stopped at.
        skipped = skip_lines(stream.handle, skip, stream.max_chars)
        skip -= skipped
        yield from raw_smiles_chunks(stream.handle, first=skipped + 1, max_chars=stream.max_chars)


def _run(
    chunks: Iterable[Chunk], job: Job, rules: RuleSet | None, workers: int, dask: str | None
) -> Iterator[ChunkResult]:
    """Run every chunk on the runner asked for: Dask, this process, or worker processes."""
    if dask is not None:
        yield from screen_on_dask(iter(chunks), run_chunk, job, dask, workers)
    elif workers <= 1:
        local = rules if rules is not None else rules_with(texts=job.rule_texts)
        for chunk in chunks:
            yield _run_chunk_safely(job, chunk, local)
    else:
        pool = _Pool(job, workers)
        finished = False
        try:
            yield from in_order(
                iter(chunks),
                pool.submit,
                limit=workers * 4,
                timeout=pool.timeout,
                on_failure=pool.recover,
            )
            finished = True
        finally:
            # Stopped early (Ctrl-C, SIGTERM, a closed pipe, a read error, the caller
            # closing the generator): the workers are killed, not waited for, so that none
            # outlives the run.
            pool.close(kill=not finished)


def _run_chunk_safely(job: Job, chunk: Chunk, rules: RuleSet) -> ChunkResult:
    """The in-process runner's unit: a chunk that raises is run again record by record."""
    try:
        return run_chunk(job, chunk, rules)
    except Exception:  # noqa: BLE001 - a bug on one record must cost that record only
        parts = []
        for record in _records(chunk):
            try:
                parts.append(run_chunk(job, [record], rules))
            except Exception as exc:  # noqa: BLE001 - the record's own failure, as data
                failed = error_record(record, internal_error(exc), job, rules)
                parts.append(ChunkResult.of(job, [failed]))
        return ChunkResult.joined(parts)


class _Pool:
    """Worker processes for one job, killed and replaced when a worker dies or hangs.

    It supplies the runner loop's ``submit``, ``timeout`` and failure policy (``recover``):
    the records of a suspect chunk are run again one at a time, so that only the record
    that kills or hangs a worker, or raises, becomes an error record.
    """

    def __init__(self, job: Job, workers: int) -> None:
        self.job = job
        self.workers = workers
        self._start()

    def _start(self) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.executor = ProcessPoolExecutor(
            self.workers, mp_context=mp.get_context(method), initializer=dedicate_process
        )

    def submit(self, chunk: Chunk) -> Future[ChunkResult]:
        return self.executor.submit(run_chunk, self.job, chunk)

    def timeout(self, chunk: Chunk) -> float:
        return self.job.limits.seconds_per_record * _size(chunk) + CHUNK_GRACE_SECONDS

    def replace(self) -> None:
        # The executor has no public way to stop a worker that is busy: shutdown() only
        # cancels the chunks not yet started and waits for the others, forever for a hung
        # one. Killing its processes, found in the private ``_processes``, is the only way.
        self.kill(join=False)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._start()

    def recover(self, error: Exception, in_flight: tuple[Chunk, ...]) -> Iterator[ChunkResult]:
        if isinstance(error, (BrokenProcessPool, FutureTimeout)):
            # A worker died or hung: every chunk in flight is suspect, and their results
            # are lost with the pool. Replace it and run their records one by one, to
            # report the culprit alone.
            suspects = in_flight
            self.replace()
        else:
            # The chunk raised (a bug on some record): only this chunk is suspect.
            suspects = in_flight[:1]
        for chunk in suspects:
            yield ChunkResult.joined(self._isolate(record) for record in _records(chunk))

    def _isolate(self, record: InputRecord) -> ChunkResult:
        """Run one record alone; if it breaks its worker, it becomes an error record."""
        future = self.submit([record])
        try:
            return future.result(timeout=self.timeout([record]))
        except BrokenProcessPool:
            self.replace()
            error = "the worker process died on this record"
        except FutureTimeout:
            self.replace()
            error = f"timeout: over {self.job.limits.seconds_per_record:g} s on this record"
        except Exception as exc:  # noqa: BLE001 - the record's own failure, as data
            error = internal_error(exc)
        return ChunkResult.of(self.job, [error_record(record, error, self.job)])

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self.kill()
        self.executor.shutdown(wait=not kill, cancel_futures=True)

    def kill(self, *, join: bool = True) -> None:
        """Kill every worker process now (see ``replace``), and wait until they are gone."""
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        for process in processes if join else ():
            with contextlib.suppress(Exception):
                process.join(timeout=5)


__all__ = [
    "CHUNK",
    "CHUNK_GRACE_SECONDS",
    "ChunkResult",
    "Job",
    "RecordTimeout",
    "dedicate_process",
    "error_record",
    "resolve_workers",
    "rules_with",
    "run_chunk",
    "screen",
    "screen_chunks",
]
