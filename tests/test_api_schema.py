"""Property-based run against the OpenAPI spec (schemathesis): no 5xx, no hang, and every
answer of the shape the OpenAPI document publishes (the response models)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from classwide.service import ServiceLimits, Settings, create_app

_folder = Path(tempfile.mkdtemp(prefix="classwide-schema-"))
APP = create_app(
    Settings(
        audit_url=f"sqlite:///{_folder / 'audit.sqlite'}",
        jobs_dir=_folder / "jobs",
        limits=ServiceLimits(max_records_per_job=200),
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=30, deadline=20_000, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    response = case.call(timeout=20)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    # A schema-valid upload may still be refused on purpose: a file name whose ending
    # names no known format is a 415 that the schema cannot express.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
