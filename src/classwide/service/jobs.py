"""Batch jobs of the service: an uploaded file screened in the background, in order.

Jobs run one at a time (a shared server should not let one upload take every core), through
``batch.screen`` with worker processes: the runner the command line uses, with its
per-record alarm in each worker and its per-chunk watchdog that kills and replaces a hung
worker. A job never runs records in a server thread, where no time limit can hold.

Each job has a folder. The upload is stored under a fixed name, ``upload`` plus its real
ending (``upload.csv``, ``upload.smi.gz``), so that it can never be a result file
(``results.jsonl``, ``results.csv``) and its format never depends on the rest of its name.
Records are written as they come, so that progress is the number written, and a job that
fails keeps what it wrote: its results can be downloaded, and its state says how far it got.

What an upload may cost beyond its size is bounded while it is read: its decompressed size
(``max_expanded_bytes``, a gzip bomb) and the length of one line (``max_record_chars``: an
over-long line becomes one error record, cut short). An error record echoes at most
``max_echo_chars`` of its input. Folders of finished jobs are deleted after
``retention_seconds``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import inspect
import io
import logging
import re
import shutil
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classwide._findings import Classification
from classwide._rules import RuleSet
from classwide.batch import screen
from classwide.errors import ClasswideError, InputError
from classwide.io import (
    InputRecord,
    Writer,
    detect_format,
    read_delimited,
    read_sdf,
    read_smiles_lines,
)
from classwide.service.audit import AuditLog
from classwide.service.limits import ServiceLimits

log = logging.getLogger("classwide.service")


class JobNotFound(ClasswideError):
    """No job with that id (a 404: see ``SERVICE_STATUS`` in ``app.py``)."""


class JobTooLarge(ClasswideError):
    """An upload with more records than one job may hold."""


class UploadTooLarge(InputError):
    """An upload that expands past ``max_expanded_bytes`` when decompressed."""

    limit = "max_expanded_bytes"


@dataclass
class Job:
    """One uploaded file and its screening."""

    id: str
    folder: Path
    filename: str
    codes: tuple[str, ...]
    day: dt.date
    total: int | None
    state: str = "queued"  # queued, running, done, failed
    records: int = 0
    errors: int = 0
    message: str | None = None
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    stored: str = "upload.smi"  # the upload's file name in the folder
    sha256: str = ""  # of the uploaded bytes, for the audit log
    finished: float | None = None  # time.time() when the job ended

    def results_path(self, fmt: str) -> Path:
        """Where the records are written."""
        return self.folder / f"results.{fmt}"

    def has_results(self) -> bool:
        """Done, or failed after some records were written (those can be downloaded)."""
        return self.state == "done" or (self.state == "failed" and self.records > 0)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "id": self.id,
            "state": self.state,
            "filename": self.filename,
            "jurisdictions": list(self.codes),
            "as_of": self.day.isoformat(),
            "records": self.records,
            "total": self.total,
            "errors": self.errors,
            "message": self.message,
            "created": self.created,
            "results": {
                fmt: f"/api/v1/jobs/{self.id}/results?format={fmt}" for fmt in ("jsonl", "csv")
            }
            if self.has_results()
            else None,
        }


def stored_name(filename: str | None) -> tuple[str, str]:
    """The name to show (the stem made safe, the ending kept) and the name to store.

    The stored name is fixed, ``upload`` plus the real ending, so that an upload can never
    overwrite a result file and ``my data.csv`` is read as CSV.

    >>> stored_name("catalogue (1).csv")
    ('catalogue (1).csv', 'upload.csv')
    >>> stored_name("../../x/results.CSV.gz")
    ('results.CSV.gz', 'upload.csv.gz')
    >>> stored_name(None)
    ('upload.smi', 'upload.smi')

    Raises:
        UnsupportedFormatError: for an ending no reader knows (a 415).
    """
    name = (filename or "upload.smi").replace("\\", "/").rsplit("/", 1)[-1] or "upload.smi"
    detect_format(name)  # an unknown ending is an error, before anything is stored
    lower = name.lower()
    gz = ".gz" if lower.endswith(".gz") else ""
    base = name[: len(name) - len(gz)]
    suffix = Path(base).suffix
    stem = base[: len(base) - len(suffix)]
    # Keep letters of any script, digits, spaces and a few signs; drop the rest.
    shown_stem = re.sub(r"[^\w .()\-+,]", "_", stem).strip(" .")[:100] or "upload"
    shown = f"{shown_stem}{suffix}{name[len(name) - len(gz) :]}"
    return shown, f"upload{suffix.lower()}{gz}"


class JobManager:
    """Queue and run jobs; keep their state; delete them after the retention period."""

    def __init__(
        self,
        folder: Path,
        rules: RuleSet,
        audit: AuditLog,
        limits: ServiceLimits,
        *,
        extra_rules: tuple[Path, ...] = (),
        workers: int = 2,
        retention_seconds: float = 24 * 3600,
    ) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rules = rules
        self.extra_rules = extra_rules
        self.audit = audit
        self.limits = limits
        # 1 would run the records in the job thread, where no per-record limit holds; 0 runs
        # them there anyway (only when the rule set cannot reach worker processes).
        self.workers = workers
        self.retention_seconds = retention_seconds
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classwide-job")
        self._purged = 0.0

    def submit(
        self,
        filename: str | None,
        data: bytes,
        codes: tuple[str, ...],
        day: dt.date,
        smiles_col: str,
        id_col: str | None,
    ) -> Job:
        """Store an upload and queue it; refuse (and delete) one over the record limit."""
        import hashlib

        self.purge()
        shown, stored = stored_name(filename)
        job_id = uuid.uuid4().hex[:16]
        folder = self.folder / job_id
        folder.mkdir(parents=True)
        try:
            path = folder / stored
            path.write_bytes(data)
            total = _count_records(path, data)
            if total is not None and total > self.limits.max_records_per_job:
                raise _too_many(total, self.limits.max_records_per_job)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # a refused upload is not kept
            raise
        job = Job(job_id, folder, shown, codes, day, total, stored=stored)
        job.sha256 = hashlib.sha256(data).hexdigest()
        with self.lock:
            self.jobs[job_id] = job
        self.executor.submit(self._run, job, path, smiles_col, id_col)
        return job

    def get(self, job_id: str) -> Job:
        """A job by id."""
        self.purge()
        with self.lock:
            if job_id not in self.jobs:
                raise JobNotFound(f"no job {job_id!r}")
            return self.jobs[job_id]

    def purge(self, now: float | None = None, *, every: float = 60.0) -> None:
        """Delete the folders of jobs that ended over ``retention_seconds`` ago.

        Folders in ``folder`` that no job of this server knows (a previous run's) go when
        their last change is that old. Runs at most once every ``every`` seconds.
        """
        now = time.time() if now is None else now
        if now - self._purged < min(every, self.retention_seconds):
            return
        self._purged = now
        cutoff = now - self.retention_seconds
        with self.lock:
            old = [job for job in self.jobs.values() if job.finished and job.finished < cutoff]
            for job in old:
                del self.jobs[job.id]
            known = set(self.jobs)
        for job in old:
            shutil.rmtree(job.folder, ignore_errors=True)
        for folder in self.folder.iterdir():
            if folder.name in known or not folder.is_dir():
                continue
            try:
                stale = folder.stat().st_mtime < cutoff
            except OSError:
                continue
            if stale:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Drop the queued jobs (the running one ends with the process); take new ones."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classwide-job")

    def _run(self, job: Job, path: Path, smiles_col: str, id_col: str | None) -> None:
        job.state = "running"
        try:
            with (
                open(job.results_path("jsonl"), "w", encoding="utf-8") as jsonl,
                open(job.results_path("csv"), "w", encoding="utf-8", newline="") as csv_out,
            ):
                writers = [Writer(jsonl, "jsonl", job.codes), Writer(csv_out, "csv", job.codes)]
                try:
                    self._screen(job, path, smiles_col, id_col, writers)
                finally:
                    for writer in writers:  # what was screened stays downloadable
                        writer.close()
            job.state = "done"
        except ClasswideError as exc:
            job.state, job.message = "failed", self._failure(job, str(exc))
        except Exception:  # noqa: BLE001 - a job must end in a state, never vanish
            log.exception("job %s failed", job.id)
            job.state, job.message = "failed", self._failure(job, "internal error of the server")
        job.finished = time.time()
        try:
            self.audit.record(
                kind="job",
                text=f"{job.filename} ({job.records} records)",
                sha256=job.sha256,
                standardized=None,
                verdicts={"records": job.records, "errors": job.errors, "state": job.state},
                error=job.message,
                as_of=job.day.isoformat(),
                rules_version=self.rules.version,
                job_id=job.id,
            )
        except Exception:  # noqa: BLE001 - the job's state must still be kept
            log.exception("audit of job %s failed", job.id)

    def _screen(
        self, job: Job, path: Path, smiles_col: str, id_col: str | None, writers: list[Writer]
    ) -> None:
        limits = self.limits
        upload = open_upload(path, limits, smiles_col=smiles_col, id_col=id_col)
        with upload as records:
            kwargs: dict[str, Any] = {"rules": self.rules, "limits": limits.core()}
            if self.workers >= 2:
                kwargs.update(workers=self.workers, extra_rules=self.extra_rules)
            for record in screen(records, job.codes, job.day, **kwargs):
                if job.records >= limits.max_records_per_job:
                    raise _too_many(job.records + 1, limits.max_records_per_job)
                record = _short_echo(record, limits.max_echo_chars)
                for writer in writers:
                    writer.write(record)
                job.records += 1
                job.errors += record.error is not None
        if upload.failure is not None:
            raise upload.failure

    def _failure(self, job: Job, message: str) -> str:
        """The message of a failed job: how far it got, and no path of the server."""
        for secret in (str(job.folder / job.stored), str(job.folder), str(self.folder)):
            message = message.replace(secret, job.filename)
        return f"{message} (after {job.records} records, which can be downloaded)"


def _short_echo(record: Classification, limit: int) -> Classification:
    """An error record's input, cut to ``limit`` characters (a whole line can be 200 kB)."""
    if record.error is None or len(record.input) <= limit:
        return record
    cut = f"{record.input[:limit]}… ({len(record.input)} characters)"
    return dataclasses.replace(record, input=cut)


class _Counted(io.RawIOBase):
    """A binary stream that counts the bytes it gives, and refuses past a ceiling."""

    def __init__(self, inner: io.BufferedIOBase, ceiling: int) -> None:
        self._inner, self._ceiling, self.count = inner, ceiling, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            # read1: one step of the decompressor, so that a failure further on does not
            # take the bytes already decompressed with it (read() loops to fill its size).
            data = self._inner.read1(len(buffer))
        except (OSError, EOFError, zlib.error) as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError(f"the upload is truncated or corrupt ({detail})") from None
        self.count += len(data)
        if self.count > self._ceiling:
            raise UploadTooLarge(
                f"the upload expands to over {self._ceiling} bytes when decompressed "
                "(limit max_expanded_bytes)"
            )
        buffer[: len(data)] = data
        return len(data)


class _CappedText:
    """A text handle whose lines, read by iteration, are at most ``max_chars`` (+1) long.

    A longer line is cut there and the rest of it skipped, never held whole: it becomes
    one record, which is refused as too long. ``readline(size)`` is passed through (the
    readers that call it bound ``size`` themselves). Lines are read one at a time, so that
    a read failure (a truncated gzip) costs only the line it cuts.
    """

    def __init__(self, text: io.TextIOBase, max_chars: int) -> None:
        self._text, self._max = text, max_chars

    def readline(self, size: int = -1) -> str:
        return self._text.readline(size)

    def read(self, size: int = -1) -> str:
        return self._text.read(size)

    def __iter__(self) -> _CappedText:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._max + 1)
        if not line:
            raise StopIteration
        if len(line) > self._max and not line.endswith("\n"):
            while (rest := self._text.readline(1 << 16)) and not rest.endswith("\n"):
                pass
            line += "\n"
        return line


def _bounded(reader: Any, max_chars: int) -> dict[str, Any]:
    """``max_chars`` for a reader that takes it (the readers' own record limit)."""
    try:
        takes = "max_chars" in inspect.signature(reader).parameters
    except (TypeError, ValueError):  # pragma: no cover
        takes = False
    return {"max_chars": max_chars} if takes else {}


class open_upload:  # noqa: N801 - used as a context manager, like open()
    """The records of a stored upload, read under the service's limits (a context manager).

    Gzip is read through, its decompressed bytes counted. Text is UTF-8 (a byte-order
    mark is skipped, bad bytes replaced). Read errors carry no path of the server.
    """

    def __init__(
        self,
        path: Path,
        limits: ServiceLimits,
        *,
        smiles_col: str = "smiles",
        id_col: str | None = None,
    ) -> None:
        self.path, self.limits = path, limits
        self.smiles_col, self.id_col = smiles_col, id_col

    def __enter__(self) -> Iterator[InputRecord]:
        kind = detect_format(self.path.name)
        binary: io.BufferedIOBase = open(self.path, "rb")  # noqa: SIM115 - closed in __exit__
        self._files: list[Any] = [binary]
        if self.path.name.lower().endswith(".gz"):
            binary = gzip.GzipFile(fileobj=binary, mode="rb")
            self._files.append(binary)
        counted = _Counted(binary, self.limits.max_expanded_bytes)
        # Lines end at "\n" only, as the command line reads them; a byte-order mark is no data.
        text = io.TextIOWrapper(
            io.BufferedReader(counted), encoding="utf-8-sig", errors="replace", newline="\n"
        )
        self._files.append(text)
        cap = int(self.limits.max_record_chars or self.limits.max_check_bytes)
        handle: Any = _CappedText(text, cap)
        if kind in ("smiles", "inchi"):
            records: Iterator[InputRecord] = read_smiles_lines(
                handle, **_bounded(read_smiles_lines, cap)
            )
        elif kind in ("csv", "tsv"):
            sep = "," if kind == "csv" else "\t"
            records = read_delimited(
                handle, sep, self.smiles_col, self.id_col, **_bounded(read_delimited, cap)
            )
        else:
            records = read_sdf(handle, self.id_col, **_bounded(read_sdf, cap))
        self.failure: ClasswideError | None = None
        return self._until_failure(records)

    def _until_failure(self, records: Iterator[InputRecord]) -> Iterator[InputRecord]:
        """The records up to a read failure, which is kept in ``failure``, not raised here.

        The runner reads records in chunks: raised here, the failure would take the
        records of the chunk being filled with it. Ended here, every record before the
        damage is screened and written; the job then fails with ``failure``.
        """
        try:
            yield from records
        except ClasswideError as exc:
            self.failure = exc

    def __exit__(self, *exc: object) -> None:
        for handle in reversed(self._files):
            try:
                handle.close()
            except Exception:  # noqa: BLE001, S110 - closing a broken gzip may raise again
                pass


def _too_many(count: int, limit: int) -> JobTooLarge:
    return JobTooLarge(f"too many records: {count} (limit max_records_per_job = {limit})")


def _count_records(path: Path, data: bytes) -> int | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        return None
    if name.endswith((".smi", ".smiles", ".txt", ".inchi")):
        return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if name.endswith(".sdf") or name.endswith(".mol"):
        return data.count(b"$$$$")
    return None


__all__ = [
    "Job",
    "JobManager",
    "JobNotFound",
    "JobTooLarge",
    "UploadTooLarge",
    "open_upload",
    "stored_name",
]
