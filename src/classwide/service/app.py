"""The web page and the REST API (FastAPI): the same pure core behind HTTP.

Endpoints under ``/api/v1``: ``POST /check``, ``POST /screen`` (a file upload, answered with
a job id), ``GET /jobs/{id}``, ``GET /jobs/{id}/results?format=jsonl|csv``, ``GET /rules``,
``GET /vocabulary``, ``GET /substances?q=``, ``GET /health``. The page is ``/``; OpenAPI is
at ``/docs``, with the shape of every answer (``models.py``). Every error is a JSON body
``{"error": {"type", "message", "limit"?}}``: 4xx for a request at fault, 500 without
internals for a fault of the server; limits live in ``ServiceLimits`` with their reasons.

Every request passes the ``Guard`` first (``security.py``: body size counted on the stream,
Host allow-list, same origin for uploads, security headers). Checks run in worker processes
under a deadline (``workers.py``), jobs in the batch runner's worker processes (``jobs.py``):
no request can hold the server past its time. Every check is audited, failed ones too.

Configuration beyond ``Settings`` (for ``classwide serve``), by environment variable:
``CLASSWIDE_ALLOWED_HOSTS`` (comma-separated host names the server answers to, besides
localhost and the address it is reached at; ``*`` for any), ``CLASSWIDE_JOB_RETENTION_HOURS``
(default 24), ``CLASSWIDE_JOBS_DIR``, ``CLASSWIDE_CHECK_WORKERS`` and
``CLASSWIDE_JOB_WORKERS`` (worker processes, default 2 each).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from classwide import __version__
from classwide._api import resolve_date, resolve_jurisdictions
from classwide._rules import RuleSet, default_rules
from classwide._vocabulary import KINDS
from classwide.batch import rules_with
from classwide.errors import HTTP_STATUS, ClasswideError, UnknownRuleError
from classwide.service.audit import AuditLog
from classwide.service.jobs import JobManager, JobNotFound, JobTooLarge, stored_name
from classwide.service.limits import ServiceLimits
from classwide.service.models import (
    CheckResponse,
    ErrorResponse,
    JobOut,
    RulesResponse,
    VocabularyResponse,
)
from classwide.service.security import Guard
from classwide.service.workers import CheckPool, CheckTimeout, ServiceBusy, WorkerFailed

log = logging.getLogger("classwide.service")


class RequestTooLarge(ClasswideError):
    """A request over one of the ``ServiceLimits``; ``limit`` names it."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class BadRequestBody(ClasswideError):
    """A body or query naming something that does not exist (an unknown jurisdiction)."""


class AuditUnavailable(ClasswideError):
    """The audit log could not store a check: it is not answered unaudited."""


# The service's own errors beside the core's, in one table: error class -> HTTP status.
SERVICE_STATUS: dict[type[ClasswideError], int] = {
    **HTTP_STATUS,
    JobNotFound: 404,
    JobTooLarge: 413,
    RequestTooLarge: 413,
    BadRequestBody: 422,
    CheckTimeout: 422,
    AuditUnavailable: 503,
    ServiceBusy: 503,
    WorkerFailed: 500,
}
# The limit a service error is about, where the error does not carry one.
_SERVICE_LIMITS: dict[type[ClasswideError], str] = {JobTooLarge: "max_records_per_job"}


class CheckRequest(BaseModel):
    """One structure to decide."""

    structure: str = Field(
        ...,
        description="SMILES, InChI, MOL block, name or CAS number "
        "(at most `max_check_bytes` characters)",
    )
    jurisdictions: list[str] | None = Field(None, description='codes, e.g. ["US", "CN"]')
    as_of: dt.date | None = Field(None, description="the day whose law applies (default today)")
    depict: bool = Field(False, description="add an SVG drawing per jurisdiction")


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(h.strip() for h in os.environ.get(name, "").split(",") if h.strip())


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass
class Settings:
    """How a server is set up (defaults from ``CLASSWIDE_*`` variables, see the module)."""

    rules: RuleSet = field(default_factory=default_rules)
    audit_url: str | None = None
    jobs_dir: Path | None = field(
        default_factory=lambda: (
            Path(os.environ["CLASSWIDE_JOBS_DIR"]) if os.environ.get("CLASSWIDE_JOBS_DIR") else None
        )
    )
    limits: ServiceLimits = field(default_factory=ServiceLimits)
    # Extra rule files the rule set was loaded with: job workers load them too.
    extra_rules: Sequence[Path] = ()
    # Host names the server answers to, besides localhost and the address it is reached at.
    allowed_hosts: Sequence[str] = field(
        default_factory=lambda: _env_list("CLASSWIDE_ALLOWED_HOSTS")
    )
    # Finished jobs and their files are deleted after this long.
    job_retention_seconds: float = field(
        default_factory=lambda: 3600 * _env_number("CLASSWIDE_JOB_RETENTION_HOURS", 24)
    )
    # Worker processes: for checks (each under a deadline), and for the running job.
    check_workers: int = field(
        default_factory=lambda: int(_env_number("CLASSWIDE_CHECK_WORKERS", 2))
    )
    job_workers: int = field(default_factory=lambda: int(_env_number("CLASSWIDE_JOB_WORKERS", 2)))


def _error(status: int, kind: str, message: str, limit: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": kind, "message": message}
    if limit:
        body["limit"] = limit
    return JSONResponse({"error": body}, status_code=status)


# The core's limit names, as this service calls them (its text limit is a request limit).
_LIMIT_NAMES = {"max_input_chars": "max_check_bytes"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application (the test seam: pass your own settings)."""
    settings = settings or Settings()
    limits = settings.limits
    extra = tuple(Path(p) for p in settings.extra_rules)
    ruleset = settings.rules
    if extra and ruleset is default_rules():
        ruleset = rules_with(extra)
    audit = AuditLog(settings.audit_url)
    own_dir = settings.jobs_dir is None
    jobs_dir = settings.jobs_dir or Path(tempfile.mkdtemp(prefix="classwide-jobs-"))
    # Job workers rebuild the rules from files: a rule set given without its files can only
    # run in this process (without the per-record limit), or jobs would use other rules.
    reachable = ruleset is default_rules() or bool(extra)
    if not reachable:
        log.warning("rules given without their files (Settings.extra_rules): jobs run in-thread")
    jobs = JobManager(
        jobs_dir,
        ruleset,
        audit,
        limits,
        extra_rules=extra,
        workers=max(2, settings.job_workers) if reachable else 0,
        retention_seconds=settings.job_retention_seconds,
    )
    pool = CheckPool(settings.check_workers, ruleset, limits.core(), limits.max_queue_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()
        jobs.close()
        audit.close()
        if own_dir:
            shutil.rmtree(jobs_dir, ignore_errors=True)

    app = FastAPI(
        title="classwide",
        version=__version__,
        description="Decide from a structure whether drug laws written as classes of "
        "structures cover it: per jurisdiction, with the clause, the atoms and the date.",
        docs_url=None,  # served below from local files: no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.jobs = jobs
    app.state.audit = audit
    app.state.pool = pool
    app.add_middleware(
        Guard,
        ceiling=limits.body_ceiling,
        allowed_hosts=tuple(settings.allowed_hosts),
    )

    def audit_failed_check(text: str, error: str, as_of: dt.date | None = None) -> None:
        """A refused check is audited too: what was sent, and why it was refused."""
        try:
            audit.record(
                kind="check",
                text=text,
                standardized=None,
                verdicts={},
                error=error,
                as_of=(as_of or dt.date.today()).isoformat(),
                rules_version=ruleset.version,
            )
        except Exception:  # noqa: BLE001 - the refusal is answered all the same
            log.exception("audit of a refused check failed")

    @app.exception_handler(ClasswideError)
    async def _classwide_error(request: Request, exc: ClasswideError) -> JSONResponse:
        status = next((SERVICE_STATUS[c] for c in type(exc).__mro__ if c in SERVICE_STATUS), 400)
        limit: str | None = getattr(exc, "limit", None) or _SERVICE_LIMITS.get(type(exc))
        name = _LIMIT_NAMES.get(limit, limit) if limit else None
        if status >= 500:
            log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
        return _error(status, type(exc).__name__, str(exc), name)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        if request.url.path == "/api/v1/check":
            sent = exc.body if isinstance(exc.body, (str, bytes)) else repr(exc.body)
            text = sent.decode("utf-8", "replace") if isinstance(sent, bytes) else sent
            await run_in_threadpool(
                audit_failed_check, text[: limits.max_check_bytes], problems or "invalid"
            )
        return _error(422, "invalid_request", problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _error(exc.status_code, "http_error", str(exc.detail))
        response.headers.update(exc.headers or {})  # a 405 says which methods are allowed
        return response

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A fault of the server: say so, and keep its internals (SQL, paths) out of the answer.
        return _error(500, "internal_error", "the server failed on this request")

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        """Liveness, and which rules answer."""
        return {"status": "ok", "version": __version__, "rules_version": ruleset.version}

    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    }

    @app.post(
        "/api/v1/check",
        response_model=CheckResponse,
        response_model_exclude_unset=True,
        responses={**errors, 404: {"model": ErrorResponse}, 413: {"model": ErrorResponse}},
    )
    def check(body: CheckRequest) -> dict[str, Any]:
        """Decide one structure (SMILES, InChI, MOL block, name or CAS number)."""
        day: dt.date | None = None
        try:
            if len(body.structure) > limits.max_check_bytes:
                raise RequestTooLarge(
                    f"structure of {len(body.structure)} characters over {limits.max_check_bytes}",
                    "max_check_bytes",
                )
            try:
                codes = resolve_jurisdictions(ruleset, body.jurisdictions)
            except UnknownRuleError as exc:  # a bad body, not a missing resource
                raise BadRequestBody(str(exc)) from None
            day = resolve_date(body.as_of)
            answer = pool.run(body.structure, codes, day, body.depict, limits.check_seconds())
        except ClasswideError as exc:
            audit_failed_check(body.structure[: limits.max_check_bytes], str(exc), day)
            raise
        _, out, standardized, verdicts, as_of, rules_version = answer
        try:
            audit.record(
                kind="check",
                text=body.structure,
                standardized=standardized,
                verdicts=verdicts,
                error=None,
                as_of=as_of,
                rules_version=rules_version,
            )
        except Exception:  # noqa: BLE001 - not answered unaudited; the log has the details
            log.exception("audit of a check failed")
            raise AuditUnavailable(
                "the audit log could not store this check: try again later"
            ) from None
        return out

    @app.post(
        "/api/v1/screen",
        status_code=202,
        response_model=JobOut,
        responses={
            **errors,
            404: {"model": ErrorResponse},
            413: {"model": ErrorResponse},
            415: {"model": ErrorResponse},
        },
    )
    async def screen(
        file: UploadFile = File(..., description="a SMILES, CSV/TSV, SDF or InChI file"),
        jurisdictions: str | None = Query(None, description="comma-separated codes"),
        as_of: str | None = Query(None, description="YYYY-MM-DD"),
        smiles_col: str = Query("smiles"),
        id_col: str | None = Query(None),
    ) -> dict[str, Any]:
        """Upload a file to screen; answers with a job id to follow."""
        stored_name(file.filename)  # an unknown ending is a 415
        try:
            codes = resolve_jurisdictions(ruleset, jurisdictions)
        except UnknownRuleError as exc:
            raise BadRequestBody(str(exc)) from None
        day = resolve_date(as_of)
        data = bytearray()
        while chunk := await file.read(1 << 20):
            data.extend(chunk)
            if len(data) > limits.max_upload_bytes:
                raise RequestTooLarge(
                    f"upload over {limits.max_upload_bytes} bytes", "max_upload_bytes"
                )
        job = await run_in_threadpool(
            jobs.submit, file.filename, bytes(data), codes, day, smiles_col, id_col
        )
        return job.to_dict()

    @app.get(
        "/api/v1/jobs/{job_id}", response_model=JobOut, responses={404: {"model": ErrorResponse}}
    )
    def job_state(job_id: str) -> dict[str, Any]:
        """A job's state and progress."""
        return jobs.get(job_id).to_dict()

    @app.get(
        "/api/v1/jobs/{job_id}/results",
        response_model=None,
        responses={
            200: {"content": {"application/x-ndjson": {}, "text/csv": {}}},
            404: {"model": ErrorResponse},
            409: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
        },
    )
    def job_results(job_id: str, format: str = Query("jsonl", pattern="^(jsonl|csv)$")) -> Any:
        """The records of a finished job, one per input record, in order.

        A failed job's records (those screened before it failed) can be downloaded too.
        """
        job = jobs.get(job_id)
        if not job.has_results():
            return _error(409, "not_ready", f"job {job_id} is {job.state}")
        path = job.results_path(format)
        media = "application/x-ndjson" if format == "jsonl" else "text/csv"
        return FileResponse(path, media_type=media, filename=f"classwide-{job_id}.{format}")

    @app.get("/api/v1/rules", response_model=RulesResponse)
    def rules() -> dict[str, Any]:
        """Every rule and list: id, jurisdiction, title, citation, dates, clauses, sources."""
        return {"rules_version": ruleset.version, "rules": ruleset.summaries()}

    @app.get("/api/v1/vocabulary", response_model=VocabularyResponse)
    def vocabulary() -> dict[str, Any]:
        """Every word that rule files may use, with its one-sentence meaning."""
        return {"kinds": [kind.to_dict() for kind in KINDS]}

    @app.get("/api/v1/substances")
    def substances(q: str = Query("", max_length=200, description="name, synonym or CAS")) -> dict:
        """Named substances whose name, synonym or CAS number contains ``q``."""
        found = ruleset.find_substances(q)
        items = [
            {**substance.to_dict(), "listings": ruleset.listings_of(substance.id)}
            for substance in found[:200]
        ]
        return {"query": q, "count": len(found), "substances": items}

    static = resources.files("classwide") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> str:
        # Swagger UI from this server's own files (npm's swagger-ui-dist, copied by make);
        # its start-up script is a file too, so that the page's policy forbids inline script.
        return _DOCS_PAGE.format(title=f"classwide {__version__}: API")

    return app


_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="data:,">
</head>
<body>
<div id="swagger-ui">
<noscript>The API document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""

__all__ = ["CheckRequest", "ServiceLimits", "Settings", "create_app"]
