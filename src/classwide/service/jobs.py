"""Batch jobs of the service: an uploaded file screened in the background, in order.

Jobs run one at a time on a background thread (a shared server should not let one upload
take every core), through ``batch.screen``, the runner the command line uses too. Each job writes
JSONL and CSV as it goes, so that its progress is the number of records written.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classwide._rules import RuleSet
from classwide.batch import screen
from classwide.errors import ClasswideError
from classwide.io import Writer, read_records
from classwide.service.audit import AuditLog
from classwide.service.limits import ServiceLimits


class JobNotFound(ClasswideError):
    """No job with that id (a 404: see ``SERVICE_STATUS`` in ``app.py``)."""


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

    def results_path(self, fmt: str) -> Path:
        """Where the records are written."""
        return self.folder / f"results.{fmt}"

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
            if self.state == "done"
            else None,
        }


class JobManager:
    """Queue and run jobs; keep their state."""

    def __init__(
        self, folder: Path, rules: RuleSet, audit: AuditLog, limits: ServiceLimits
    ) -> None:
        self.folder = folder
        self.rules = rules
        self.audit = audit
        self.limits = limits
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classwide-job")

    def submit(
        self,
        filename: str,
        data: bytes,
        codes: tuple[str, ...],
        day: dt.date,
        smiles_col: str,
        id_col: str | None,
    ) -> Job:
        """Store an upload and queue it; refuse one over the record limit."""
        job_id = uuid.uuid4().hex[:16]
        folder = self.folder / job_id
        folder.mkdir(parents=True)
        path = folder / filename
        path.write_bytes(data)
        total = _count_records(path, data)
        if total is not None and total > self.limits.max_records_per_job:
            raise _too_many(total, self.limits.max_records_per_job)
        job = Job(job_id, folder, filename, codes, day, total)
        with self.lock:
            self.jobs[job_id] = job
        self.executor.submit(self._run, job, path, smiles_col, id_col)
        return job

    def get(self, job_id: str) -> Job:
        """A job by id."""
        with self.lock:
            if job_id not in self.jobs:
                raise JobNotFound(f"no job {job_id!r}")
            return self.jobs[job_id]

    def _run(self, job: Job, path: Path, smiles_col: str, id_col: str | None) -> None:
        job.state = "running"
        try:
            with (
                read_records(str(path), smiles_col=smiles_col, id_col=id_col) as records,
                open(job.results_path("jsonl"), "w", encoding="utf-8") as jsonl,
                open(job.results_path("csv"), "w", encoding="utf-8", newline="") as csv_out,
            ):
                json_writer = Writer(jsonl, "jsonl", job.codes)
                csv_writer = Writer(csv_out, "csv", job.codes)
                for record in screen(
                    records, job.codes, job.day, rules=self.rules, limits=self.limits.core()
                ):
                    if job.records >= self.limits.max_records_per_job:
                        raise _too_many(job.records + 1, self.limits.max_records_per_job)
                    json_writer.write(record)
                    csv_writer.write(record)
                    job.records += 1
                    job.errors += record.error is not None
                json_writer.close()
                csv_writer.close()
            job.state = "done"
        except ClasswideError as exc:
            job.state, job.message = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - a job must end in a state, never vanish
            job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"
        self.audit.record(
            kind="job",
            text=f"{job.filename} ({job.records} records)",
            standardized=None,
            verdicts={"records": job.records, "errors": job.errors, "state": job.state},
            error=job.message,
            as_of=job.day.isoformat(),
            rules_version=self.rules.version,
            job_id=job.id,
        )


class JobTooLarge(ClasswideError):
    """An upload with more records than one job may hold."""


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


__all__ = ["Job", "JobManager", "JobNotFound", "JobTooLarge"]
