"""The REST API, with FastAPI's test client: every endpoint, and its errors."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import wait_for_job
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import classwide.service.jobs as jobs_module
from classwide.cli import app as cli
from classwide.service import ServiceLimits, Settings, create_app

FURANYL = "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


@pytest.fixture()
def service(tmp_path):
    settings = Settings(
        audit_url=f"sqlite:///{tmp_path / 'audit.sqlite'}",
        jobs_dir=tmp_path / "jobs",
        limits=ServiceLimits(
            max_check_bytes=5_000, max_upload_bytes=20_000, max_records_per_job=50
        ),
    )
    application = create_app(settings)
    with TestClient(application) as client:
        client.app_state = application.state
        yield client


def test_health(service):
    body = service.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["rules_version"]


@pytest.mark.parametrize(
    "structure",
    [
        FURANYL,
        "furanylfentanyl",
        "InChI=1S/C24H26N2O2/c27-24(23-12-7-19-28-23)26(21-10-5-2-6-11-21)22-14-17-25(18-15-22)16-13-20-8-3-1-4-9-20/h1-12,19,22H,13-18H2",
    ],
)
def test_check_returns_the_contract_record(service, structure):
    response = service.post(
        "/api/v1/check", json={"structure": structure, "jurisdictions": ["US", "CN"]}
    )
    assert response.status_code == 200
    record = response.json()
    assert record["standardized"] == FURANYL and set(record["jurisdictions"]) == {"US", "CN"}
    assert record["jurisdictions"]["US"]["status"] == "listed"
    frs = [m for m in record["jurisdictions"]["US"]["matches"] if m["kind"] == "class"][0]
    assert frs["clauses"] == ["E"] and frs["applies"] is False


def test_check_with_depiction_colours_the_clause(service):
    record = service.post(
        "/api/v1/check",
        json={
            "structure": "O=C(C1CCC1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
            "jurisdictions": ["US"],
            "depict": True,
        },
    ).json()
    drawing = record["depictions"]["US"]
    assert drawing["svg"].startswith("<?xml") and "<svg" in drawing["svg"]
    assert list(drawing["legend"]) == ["E"]


def test_check_as_of(service):
    record = service.post(
        "/api/v1/check", json={"structure": FURANYL, "as_of": "2016-01-01"}
    ).json()
    assert all(v["status"] == "not_controlled" for v in record["jurisdictions"].values())


@pytest.mark.parametrize(
    ("body", "status", "limit"),
    [
        ({"structure": "C1CC(N"}, 422, None),
        ({"structure": ""}, 422, None),
        ({"structure": "frobnicated unobtainium amide"}, 422, None),
        ({"structure": "C" * 300}, 422, "max_heavy_atoms"),
        ({"structure": FURANYL, "jurisdictions": ["XX"]}, 422, None),  # a bad body (C37)
        ({"structure": FURANYL, "jurisdictions": []}, 422, None),
        ({"structure": FURANYL, "as_of": "yesterday"}, 422, None),
        ({}, 422, None),
        ({"structure": "C" * 6000}, 413, "max_check_bytes"),
    ],
)
def test_check_errors_are_4xx_json_that_name_the_limit(service, body, status, limit):
    response = service.post("/api/v1/check", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"]
    assert error.get("limit") == limit


def test_a_chunked_check_over_the_limit_is_refused_with_its_name(service):
    """No Content-Length to read: the structure's own length is checked in the route."""
    import json

    body = json.dumps({"structure": "C" * 5_500}).encode()
    response = service.post(
        "/api/v1/check",
        content=(body[i : i + 1000] for i in range(0, len(body), 1000)),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["limit"] == "max_check_bytes"


def test_check_answers_the_record_of_the_command_line(service):
    """The response model keeps the record as the core writes it: same keys, same order."""
    import json

    from classwide import classify

    answer = service.post("/api/v1/check", json={"structure": FURANYL, "as_of": "2026-11-30"})
    expected = classify(FURANYL, as_of="2026-11-30").to_dict()
    assert json.dumps(answer.json()) == json.dumps(expected)


def test_vocabulary_gives_every_word_its_meaning(service):
    kinds = service.get("/api/v1/vocabulary").json()["kinds"]
    by_name = {k["kind"]: k for k in kinds}
    assert "R-C(=O)-" in by_name["acyl"]["means"] and by_name["acyl"]["usable_as"] == ["replace"]
    assert [p["name"] for p in by_name["monocycle"]["parameters"]][:2] == ["aromatic", "hetero"]


def test_screen_job_from_upload_to_results(service):
    upload = f"{FURANYL} f\nC1CC(N broken\n\nCCO ethanol\n".encode()
    response = service.post(
        "/api/v1/screen?jurisdictions=US,CN&as_of=2026-01-01",
        files={"file": ("orders.smi", upload)},
    )
    assert response.status_code == 202
    job = wait_for_job(service, response.json()["id"])
    assert (
        job["state"] == "done" and job["records"] == 4 and job["errors"] == 2 and job["total"] == 4
    )
    lines = service.get(job["results"]["jsonl"]).text.splitlines()
    assert [line.split('"id": "')[1].split('"')[0] for line in lines] == [
        "f",
        "broken",
        "3",
        "ethanol",
    ]
    rows = service.get(job["results"]["csv"]).text.splitlines()
    assert rows[0].startswith("id,input,error,standardized,") and len(rows) == 5


def test_results_before_the_job_ends_are_a_409(service, monkeypatch):
    release = threading.Event()
    original = jobs_module.screen

    def held(*args, **kwargs):
        release.wait(10)
        yield from original(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "screen", held)
    job = service.post("/api/v1/screen", files={"file": ("a.smi", b"CCO\n")}).json()
    response = service.get(f"/api/v1/jobs/{job['id']}/results")
    assert response.status_code == 409 and response.json()["error"]["type"] == "not_ready"
    release.set()
    assert wait_for_job(service, job["id"])["state"] == "done"


@pytest.mark.parametrize(
    ("filename", "content", "status", "limit"),
    [
        ("a.xlsx", b"x", 415, None),
        ("a.smi", b"CCO\n" * 60, 413, "max_records_per_job"),
        ("a.smi", b"C" * 30_000, 413, "max_upload_bytes"),
    ],
)
def test_screen_errors(service, filename, content, status, limit):
    response = service.post("/api/v1/screen", files={"file": (filename, content)})
    assert response.status_code == status
    assert response.json()["error"].get("limit") == limit


def test_unknown_job_is_404(service):
    assert service.get("/api/v1/jobs/nope").status_code == 404
    assert service.get("/api/v1/jobs/nope/results").status_code == 404


def test_rules_and_substances(service):
    rules = service.get("/api/v1/rules").json()
    assert {r["id"] for r in rules["rules"]} >= {"US-FRS", "CN-FRS", "US-CSA-I", "UN-1988-I"}
    found = service.get("/api/v1/substances?q=carfentanil").json()
    carfentanil = [s for s in found["substances"] if s["id"] == "carfentanil"][0]
    assert {x["rule"] for x in carfentanil["listings"]} >= {"US-CSA-II", "CN-NON-MEDICAL"}
    pethidine = service.get("/api/v1/substances?q=哌替啶").json()["substances"]
    (own,) = [s for s in pethidine if s["id"] == "pethidine"]
    assert {x["jurisdiction"] for x in own["listings"]} == {"US", "CN", "UN"}
    by_cas = service.get("/api/v1/substances?q=59708-52-0").json()
    assert [s["id"] for s in by_cas["substances"]] == ["carfentanil"]
    assert service.get("/api/v1/substances?q=" + "x" * 300).status_code == 422


def test_page_and_its_editor_are_served_locally(service):
    page = service.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "http" not in page.text.split("<body>")[1].split("/docs")[0]  # no CDN
    assert service.get("/static/app.js").status_code == 200
    assert service.get("/static/vendor/jsme/jsme.nocache.js").status_code == 200
    assert service.get("/docs").status_code == 200


def test_every_check_and_job_is_audited(service, tmp_path):
    service.post("/api/v1/check", json={"structure": FURANYL, "jurisdictions": ["US"]})
    job = service.post("/api/v1/screen", files={"file": ("a.smi", b"CCO\n")}).json()
    wait_for_job(service, job["id"])
    time.sleep(0.2)
    entries = [e.to_dict() for e in service.app_state.audit.entries()]
    assert [e["kind"] for e in entries[:2]] == ["job", "check"]
    check = entries[1]
    assert check["verdicts"] == {"US": "listed"} and check["standardized"] == FURANYL
    assert len(check["input_sha256"]) == 64 and check["rules_version"]
    export = tmp_path / "audit.csv"
    result = CliRunner().invoke(
        cli, ["audit", "--audit-url", service.app_state.audit.url, "--csv", str(export)]
    )
    assert result.exit_code == 0
    lines = export.read_text().splitlines()
    assert lines[0].startswith("id,time,kind,input,input_sha256") and len(lines) == 3
