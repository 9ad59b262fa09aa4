"""The audit log: every check and every job, with what was decided and by which rules.

SQLite by default (a file beside the user's data); any SQLAlchemy URL by configuration
(``CLASSWIDE_AUDIT_URL``, e.g. ``postgresql+psycopg://user@host/db``).

Writes are serialised: one lock per log, so that the request threads of a busy server
never race for SQLite's single write lock (40 checks at a time gave "database is locked").
SQLite runs in WAL mode (readers, such as ``classwide audit``, never block the writer)
with a ``busy_timeout``, so that another process holding the lock is waited for, not failed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class _Base(DeclarativeBase):
    pass


class AuditEntry(_Base):
    """One check, or one batch job, as it was decided."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "check" or "job"
    input: Mapped[str] = mapped_column(Text)
    input_sha256: Mapped[str] = mapped_column(String(64), index=True)
    standardized: Mapped[str | None] = mapped_column(Text, nullable=True)
    verdicts: Mapped[str] = mapped_column(Text)  # JSON: status per jurisdiction, or job counts
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    as_of: Mapped[str] = mapped_column(String(10))
    rules_version: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "kind": self.kind,
            "input": self.input,
            "input_sha256": self.input_sha256,
            "standardized": self.standardized,
            "verdicts": json.loads(self.verdicts),
            "error": self.error,
            "as_of": self.as_of,
            "rules_version": self.rules_version,
            "job_id": self.job_id,
        }


COLUMNS = [
    "id",
    "time",
    "kind",
    "input",
    "input_sha256",
    "standardized",
    "verdicts",
    "error",
    "as_of",
    "rules_version",
    "job_id",
]


def default_url() -> str:
    """``CLASSWIDE_AUDIT_URL``, else a SQLite file in the user's data folder."""
    if os.environ.get("CLASSWIDE_AUDIT_URL"):
        return os.environ["CLASSWIDE_AUDIT_URL"]
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "classwide"
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{base / 'audit.sqlite'}"


class AuditLog:
    """Append-only log of decisions."""

    # How long a write waits for another process's SQLite lock before it fails.
    BUSY_TIMEOUT_MS = 30_000

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = create_engine(self.url, future=True)
        self._write = threading.Lock()
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        _Base.metadata.create_all(self.engine)

    def record(
        self,
        *,
        kind: str,
        text: str,
        standardized: str | None,
        verdicts: dict[str, Any],
        error: str | None,
        as_of: str,
        rules_version: str,
        job_id: str | None = None,
        sha256: str | None = None,
    ) -> int:
        """Store one entry; return its id.

        ``sha256`` is the hash of what was sent (a job's uploaded bytes), when ``text`` is
        only a description of it; by default the hash of ``text``.
        """
        entry = AuditEntry(
            time=dt.datetime.now(dt.UTC),
            kind=kind,
            input=text,
            input_sha256=sha256 or hashlib.sha256(text.encode("utf-8", "replace")).hexdigest(),
            standardized=standardized,
            verdicts=json.dumps(verdicts, sort_keys=True, ensure_ascii=False),
            error=error,
            as_of=as_of,
            rules_version=rules_version,
            job_id=job_id,
        )
        with self._write, Session(self.engine, expire_on_commit=False) as session:
            session.add(entry)
            session.commit()
            return entry.id

    def close(self) -> None:
        """Close the log's connections."""
        self.engine.dispose()

    def entries(self, limit: int | None = None) -> Iterator[AuditEntry]:
        """The newest entries first."""
        with Session(self.engine) as session:
            query = select(AuditEntry).order_by(AuditEntry.id.desc())
            if limit:
                query = query.limit(limit)
            yield from session.scalars(query).all()

    def to_csv(self, limit: int | None = None) -> str:
        """The log as CSV text."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in self.entries(limit):
            row = entry.to_dict()
            row["verdicts"] = json.dumps(row["verdicts"], sort_keys=True, ensure_ascii=False)
            writer.writerow([row[c] if row[c] is not None else "" for c in COLUMNS])
        return out.getvalue()


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    """WAL and a busy timeout on every new SQLite connection."""
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {AuditLog.BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
