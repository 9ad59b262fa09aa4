"""The web page and the REST API (FastAPI): the same pure core behind HTTP.

Endpoints under ``/api/v1``: ``POST /check``, ``POST /screen`` (a file upload, answered with
a job id), ``GET /jobs/{id}``, ``GET /jobs/{id}/results?format=jsonl|csv``, ``GET /rules``,
``GET /vocabulary``, ``GET /substances?q=``, ``GET /health``. The page is ``/``; OpenAPI is
at ``/docs``, with the shape of every answer (``models.py``). Every error is a JSON body
``{"error": {"type", "message", "limit"?}}``: 4xx for a request at fault, 500 without
internals for a fault of the server; limits live in ``ServiceLimits`` with their reasons.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from classwide import __version__
from classwide._api import classify, resolve_date, resolve_jurisdictions
from classwide._rules import RuleSet, default_rules
from classwide._vocabulary import KINDS
from classwide.depict import draw_svg, highlights
from classwide.errors import HTTP_STATUS, ClasswideError
from classwide.io import detect_format
from classwide.service.audit import AuditLog
from classwide.service.jobs import JobManager, JobNotFound, JobTooLarge
from classwide.service.limits import ServiceLimits
from classwide.service.models import (
    CheckResponse,
    ErrorResponse,
    JobOut,
    RulesResponse,
    VocabularyResponse,
)


class RequestTooLarge(ClasswideError):
    """A request over one of the ``ServiceLimits``; ``limit`` names it."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


# The service's own errors beside the core's, in one table: error class -> HTTP status.
SERVICE_STATUS: dict[type[ClasswideError], int] = {
    **HTTP_STATUS,
    JobNotFound: 404,
    JobTooLarge: 413,
    RequestTooLarge: 413,
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


@dataclass
class Settings:
    """How a server is set up."""

    rules: RuleSet = field(default_factory=default_rules)
    audit_url: str | None = None
    jobs_dir: Path | None = None
    limits: ServiceLimits = field(default_factory=ServiceLimits)


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
    audit = AuditLog(settings.audit_url)
    jobs_dir = settings.jobs_dir or Path(tempfile.mkdtemp(prefix="classwide-jobs-"))
    jobs = JobManager(jobs_dir, settings.rules, audit, limits)
    app = FastAPI(
        title="classwide",
        version=__version__,
        description="Decide from a structure whether drug laws written as classes of "
        "structures cover it: per jurisdiction, with the clause, the atoms and the date.",
    )
    app.state.jobs = jobs
    app.state.audit = audit

    @app.exception_handler(ClasswideError)
    async def _classwide_error(request: Request, exc: ClasswideError) -> JSONResponse:
        status = next((SERVICE_STATUS[c] for c in type(exc).__mro__ if c in SERVICE_STATUS), 400)
        limit: str | None = getattr(exc, "limit", None) or _SERVICE_LIMITS.get(type(exc))
        name = _LIMIT_NAMES.get(limit, limit) if limit else None
        return _error(status, type(exc).__name__, str(exc), name)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return _error(422, "invalid_request", problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _error(exc.status_code, "http_error", str(exc.detail))
        response.headers.update(exc.headers or {})  # a 405 says which methods are allowed
        return response

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover
        # A fault of the server: say so, and keep its internals (SQL, paths) out of the answer.
        return _error(500, "internal_error", "the server failed on this request")

    @app.middleware("http")
    async def _size_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        upload = request.url.path.endswith("/screen")
        ceiling = limits.max_upload_bytes if upload else limits.max_check_bytes
        if length and length.isdigit() and int(length) > ceiling:
            name = "max_upload_bytes" if upload else "max_check_bytes"
            return _error(413, "too_large", f"request of {length} bytes over {ceiling}", name)
        return await call_next(request)

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        """Liveness, and which rules answer."""
        return {"status": "ok", "version": __version__, "rules_version": settings.rules.version}

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
        if len(body.structure) > limits.max_check_bytes:
            raise RequestTooLarge(
                f"structure of {len(body.structure)} characters over {limits.max_check_bytes}",
                "max_check_bytes",
            )
        record = classify(
            body.structure,
            body.jurisdictions,
            body.as_of,
            rules=settings.rules,
            limits=limits.core(),
        )
        out = record.to_dict()
        audit.record(
            kind="check",
            text=body.structure,
            standardized=record.standardized,
            verdicts={v.jurisdiction: v.status.value for v in record.jurisdictions},
            error=None,
            as_of=record.as_of,
            rules_version=record.rules_version,
        )
        if body.depict and record.standardized:
            out["depictions"] = {
                v.jurisdiction: {
                    "svg": draw_svg(record.standardized, v),
                    "legend": highlights(v)[1],
                }
                for v in record.jurisdictions
            }
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
        name = Path(file.filename or "upload.smi").name
        if not re.fullmatch(r"[\w.\-]+", name):
            name = "upload.smi"
        detect_format(name)  # an unknown ending is a 415
        codes = resolve_jurisdictions(settings.rules, jurisdictions)
        day = resolve_date(as_of)
        data = bytearray()
        while chunk := await file.read(1 << 20):
            data.extend(chunk)
            if len(data) > limits.max_upload_bytes:
                raise RequestTooLarge(
                    f"upload over {limits.max_upload_bytes} bytes", "max_upload_bytes"
                )
        job = jobs.submit(name, bytes(data), codes, day, smiles_col, id_col)
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
        """The records of a finished job, one per input record, in order."""
        job = jobs.get(job_id)
        if job.state != "done":
            return _error(409, "not_ready", f"job {job_id} is {job.state}")
        path = job.results_path(format)
        media = "application/x-ndjson" if format == "jsonl" else "text/csv"
        return FileResponse(path, media_type=media, filename=f"classwide-{job_id}.{format}")

    @app.get("/api/v1/rules", response_model=RulesResponse)
    def rules() -> dict[str, Any]:
        """Every rule and list: id, jurisdiction, title, citation, dates, clauses, sources."""
        return {"rules_version": settings.rules.version, "rules": settings.rules.summaries()}

    @app.get("/api/v1/vocabulary", response_model=VocabularyResponse)
    def vocabulary() -> dict[str, Any]:
        """Every word that rule files may use, with its one-sentence meaning."""
        return {"kinds": [kind.to_dict() for kind in KINDS]}

    @app.get("/api/v1/substances")
    def substances(q: str = Query("", max_length=200, description="name, synonym or CAS")) -> dict:
        """Named substances whose name, synonym or CAS number contains ``q``."""
        found = settings.rules.find_substances(q)
        items = [
            {**substance.to_dict(), "listings": settings.rules.listings_of(substance.id)}
            for substance in found[:200]
        ]
        return {"query": q, "count": len(found), "substances": items}

    static = resources.files("classwide") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    return app


__all__ = ["CheckRequest", "ServiceLimits", "Settings", "create_app"]
