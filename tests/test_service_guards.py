"""The service under hostile or heavy use: size, time, uploads, audit, exposure.

Each test names the probe finding it guards against (D2..D19, C11..C37 of the reliability
probe of 2026-11-30).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import wait_for_job
from fastapi.testclient import TestClient

import classwide.service.jobs as jobs_module
import classwide.service.workers as workers_module
from classwide._limits import Limits
from classwide.service import ServiceLimits, Settings, create_app
from classwide.service.audit import AuditLog

FURANYL = "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
FENTANYL = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
LIMITS = ServiceLimits(
    max_check_bytes=5_000,
    max_upload_bytes=20_000,
    max_records_per_job=50,
    max_expanded_bytes=100_000,
    max_echo_chars=100,
)


def _client(tmp_path, limits=LIMITS, **settings):
    application = create_app(
        Settings(
            audit_url=f"sqlite:///{tmp_path / 'audit.sqlite'}",
            jobs_dir=tmp_path / "jobs",
            limits=limits,
            **settings,
        )
    )
    client = TestClient(application)
    client.app_state = application.state
    return client


@pytest.fixture()
def service(tmp_path):
    with _client(tmp_path) as client:
        yield client


def _chunked(data: bytes, size: int = 4096):
    return (data[i : i + size] for i in range(0, len(data), size))


# --- D3: request size counted on the stream -------------------------------------------------


def test_a_chunked_check_with_a_huge_extra_field_is_refused(service):
    """D3/C6: no Content-Length, a small structure and a large unknown field: still 413."""
    body = json.dumps({"structure": "CCO", "x": "A" * 200_000}).encode()
    response = service.post(
        "/api/v1/check", content=_chunked(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["limit"] == "max_check_bytes"


def test_every_route_counts_its_body(service):
    """D3: the ceiling holds on any route (one that reads no body never holds it)."""
    response = service.post("/api/v1/rules", content=b"x" * 100_000)
    assert response.status_code == 413
    response = service.post("/api/v1/health", content=_chunked(b"x" * 100_000))
    assert response.status_code in (405, 413)


def test_a_chunked_upload_over_the_ceiling_is_refused_before_it_is_stored(service, tmp_path):
    """D3/C9: the 413 comes while the body streams in; no job folder is made."""
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.smi"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"C" * 200_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    sent = []

    def stream():
        for part in _chunked(body, 8192):
            sent.append(len(part))
            yield part

    response = service.post(
        "/api/v1/screen",
        content=stream(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["limit"] == "max_upload_bytes"
    assert not any((tmp_path / "jobs").iterdir())


# --- D2: decompressed size and record length ------------------------------------------------


def test_a_gzip_bomb_fails_its_job_cleanly_and_keeps_what_was_screened(service):
    """D2/C10: 100 kB decompressed at most; the records before the cap can be downloaded."""
    data = b"CCO ok\n" * 10 + b"C" * 400_000 + b" bomb\n"
    upload = gzip.compress(data)
    assert len(upload) < 20_000
    job = service.post("/api/v1/screen", files={"file": ("bomb.smi.gz", upload)}).json()
    job = wait_for_job(service, job["id"])
    assert job["state"] == "failed"
    assert "max_expanded_bytes" in job["message"]
    assert job["records"] >= 10 and job["results"]
    lines = service.get(job["results"]["jsonl"]).text.splitlines()
    assert len(lines) == job["records"]


def test_an_over_long_line_is_one_error_record_with_a_short_echo(service):
    """D2: a 20 kB line (over max_record_chars = 5,000) costs one record, echoed short."""
    data = b"CCO a\n" + b"C" * 20_000 + b" long\n" + b"CCN c\n"
    job = service.post("/api/v1/screen", files={"file": ("x.smi.gz", gzip.compress(data))}).json()
    job = wait_for_job(service, job["id"])
    assert job["state"] == "done" and job["records"] == 3 and job["errors"] == 1
    records = [json.loads(line) for line in service.get(job["results"]["jsonl"]).text.splitlines()]
    assert records[0]["error"] is None and records[2]["error"] is None
    assert records[1]["error"] and len(records[1]["input"]) < 200


# --- D4: time limits that hold in the service -----------------------------------------------


def test_a_check_over_its_deadline_is_stopped_and_the_worker_replaced(tmp_path, monkeypatch):
    """D4/C28: a check that runs on is killed at its deadline; the next check is answered."""
    original = workers_module.classify

    def slow(structure, *args, **kwargs):
        if structure == "CCCCCCCCCCCO":
            time.sleep(30)
        return original(structure, *args, **kwargs)

    monkeypatch.setattr(workers_module, "classify", slow)  # the workers are forked: they see it
    limits = ServiceLimits(
        max_check_bytes=5_000,
        record=Limits(max_heavy_atoms=250, seconds_per_record=0.5),
        check_grace_seconds=0.5,
    )
    with _client(tmp_path, limits, check_workers=1) as client:
        started = time.monotonic()
        response = client.post("/api/v1/check", json={"structure": "CCCCCCCCCCCO"})
        assert time.monotonic() - started < 10
        assert response.status_code == 422
        error = response.json()["error"]
        assert "timeout" in error["message"] and error["limit"] == "seconds_per_record"
        again = client.post("/api/v1/check", json={"structure": FURANYL, "jurisdictions": ["US"]})
        assert again.status_code == 200
        assert again.json()["jurisdictions"]["US"]["status"] == "listed"


def test_jobs_run_in_worker_processes(service, monkeypatch):
    """D4/B11: a job's records run where the per-record alarm and the watchdog hold."""
    seen = {}
    original = jobs_module.screen

    def spy(*args, **kwargs):
        seen.update(kwargs)
        yield from original(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "screen", spy)
    job = service.post("/api/v1/screen", files={"file": ("a.smi", b"CCO\n")}).json()
    assert wait_for_job(service, job["id"])["state"] == "done"
    assert seen.get("workers", 1) >= 2


def test_a_slow_record_in_a_job_becomes_a_timeout_record(tmp_path, monkeypatch):
    """D4/B11: seconds_per_record holds in a service job (0 timeouts before)."""
    import classwide._api as api

    original = api.parse_structure

    def slow(text, **kwargs):
        if text == FURANYL:
            time.sleep(20)
        return original(text, **kwargs)

    monkeypatch.setattr(api, "parse_structure", slow)  # job workers are forked: they see it
    limits = ServiceLimits(record=Limits(max_heavy_atoms=250, seconds_per_record=0.5))
    with _client(tmp_path, limits) as client:
        upload = f"{FURANYL} slow\n{FENTANYL} fast\n".encode()
        job = client.post("/api/v1/screen", files={"file": ("a.smi", upload)}).json()
        job = wait_for_job(client, job["id"])
        assert job["state"] == "done" and job["records"] == 2
        records = [json.loads(x) for x in client.get(job["results"]["jsonl"]).text.splitlines()]
        assert records[0]["error"] and "timeout" in records[0]["error"]
        assert records[1]["error"] is None


# --- D5, D6: the stored name of an upload ---------------------------------------------------


@pytest.mark.parametrize("filename", ["results.csv", "catalogue (1).csv", "my data.csv"])
def test_an_upload_is_read_by_its_real_ending_and_never_overwritten(service, filename):
    """D5/C18 (results.csv: 0 records) and D6/C19 (spaces, brackets: read as SMILES)."""
    upload = f"smiles,id\n{FURANYL},f\nCCO,e\n".encode()
    job = service.post("/api/v1/screen?id_col=id", files={"file": (filename, upload)}).json()
    assert job["filename"] == filename
    job = wait_for_job(service, job["id"])
    assert job["state"] == "done" and job["records"] == 2 and job["errors"] == 0
    lines = service.get(job["results"]["jsonl"]).text.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["f", "e"]
    folder = service.app_state.jobs.get(job["id"]).folder
    assert (folder / "upload.csv").read_bytes() == upload


# --- D7: the audit log under concurrent writers ---------------------------------------------


def test_the_audit_log_uses_wal_and_waits_for_its_lock(tmp_path):
    """D7/C25: WAL mode and a busy timeout, so that concurrent writers wait, not fail."""
    from sqlalchemy import text

    log = AuditLog(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with log.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000


def test_forty_writers_at_once_lose_nothing(tmp_path):
    """D7/C25: 40 threads and a second log on the same file, 400 rows, no 'database is locked'."""
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    logs = [AuditLog(url), AuditLog(url)]

    def write(i):
        logs[i % 2].record(
            kind="check",
            text=f"C{i}",
            standardized=None,
            verdicts={},
            error=None,
            as_of="2026-01-01",
            rules_version="x",
        )

    with ThreadPoolExecutor(40) as pool:
        list(pool.map(write, range(400)))
    assert len(list(logs[0].entries())) == 400


def test_a_server_fault_is_a_5xx_without_internals(service, monkeypatch):
    """D7/C25: the audit failing gave 400 with the SQL text; now 503, and no SQL."""
    from sqlalchemy.exc import OperationalError

    def locked(**kwargs):
        raise OperationalError("INSERT INTO audit (time, kind) VALUES (?, ?)", {}, Exception())

    monkeypatch.setattr(service.app_state.audit, "record", locked)
    response = service.post("/api/v1/check", json={"structure": "CCO"})
    assert response.status_code == 503
    assert "INSERT" not in response.text and "audit (" not in response.text


# --- D18: failed jobs, refused uploads, retention -------------------------------------------


def test_a_failed_job_keeps_its_records_and_hides_server_paths(service, tmp_path):
    """D18/C17: a truncated .gz: failed, the count screened, the records downloadable."""
    lines = b"".join(
        b"C%s %s\n" % (b"C" * (i % 7), hashlib.sha256(b"%d" % i).hexdigest().encode())
        for i in range(45)
    )
    rest = b"".join(
        b"CCO %s\n" % hashlib.sha256(b"r%d" % i).hexdigest().encode() for i in range(300)
    )
    whole = gzip.compress(lines + rest)
    job = service.post("/api/v1/screen", files={"file": ("cut.smi.gz", whole[:-100])}).json()
    job = wait_for_job(service, job["id"])
    assert job["state"] == "failed" and job["records"] >= 45
    assert str(tmp_path) not in job["message"] and "/tmp" not in job["message"]
    assert "cut.smi.gz" not in job["message"] or "jobs" not in job["message"]
    lines = service.get(job["results"]["csv"]).text.splitlines()
    assert len(lines) == job["records"] + 1


def test_a_refused_upload_is_deleted(service, tmp_path):
    """D18/C11: an upload over max_records_per_job is refused and not kept on disk."""
    response = service.post("/api/v1/screen", files={"file": ("a.smi", b"CCO\n" * 60)})
    assert response.status_code == 413
    assert list((tmp_path / "jobs").iterdir()) == []


def test_finished_jobs_are_deleted_after_the_retention_period(service):
    """D18: job folders do not stay forever (default 24 h)."""
    manager = service.app_state.jobs
    assert manager.retention_seconds == 24 * 3600
    job = service.post("/api/v1/screen", files={"file": ("a.smi", b"CCO\n")}).json()
    wait_for_job(service, job["id"])
    folder = manager.get(job["id"]).folder
    manager.purge(now=time.time() + 23 * 3600, every=0)
    assert folder.exists()
    manager.purge(now=time.time() + 25 * 3600, every=0)
    assert not folder.exists()
    assert service.get(f"/api/v1/jobs/{job['id']}").status_code == 404


# --- D19, C36, C37: audit and exposure ------------------------------------------------------


def test_failed_checks_are_audited_too(service):
    """D19/C33: 2 invalid requests gave 0 audit rows."""
    service.post("/api/v1/check", json={"structure": "C1CC(N"})
    service.post("/api/v1/check", json={"structure": FURANYL, "jurisdictions": ["XX"]})
    service.post("/api/v1/check", json={"nothing": 1})
    entries = [e.to_dict() for e in service.app_state.audit.entries()]
    assert len(entries) == 3 and all(e["kind"] == "check" and e["error"] for e in entries)
    assert entries[2]["input"] == "C1CC(N"


def test_a_jobs_audit_row_hashes_the_uploaded_bytes(service):
    """D19: the hash was of '<filename> (<n> records)'."""
    upload = f"{FURANYL} f\nCCO e\n".encode()
    job = service.post("/api/v1/screen", files={"file": ("a.smi", upload)}).json()
    wait_for_job(service, job["id"])
    time.sleep(0.2)
    (row,) = [e.to_dict() for e in service.app_state.audit.entries() if e.kind == "job"]
    assert row["input_sha256"] == hashlib.sha256(upload).hexdigest()


def test_an_unknown_jurisdiction_is_a_bad_body_not_a_missing_resource(service):
    """C37: 404 before."""
    for codes in (["XX"], []):
        response = service.post(
            "/api/v1/check", json={"structure": FURANYL, "jurisdictions": codes}
        )
        assert response.status_code == 422
    response = service.post("/api/v1/screen?jurisdictions=XX", files={"file": ("a.smi", b"C\n")})
    assert response.status_code == 422


def test_only_allowed_host_names_are_answered(tmp_path):
    """D19/C35: DNS rebinding: a page of attacker.example pointed at 127.0.0.1."""
    with _client(tmp_path, allowed_hosts=("classwide.example.org",)) as client:
        assert client.get("/api/v1/health").status_code == 200  # the address reached
        for host in ("localhost:8000", "127.0.0.1", "[::1]:80", "classwide.example.org"):
            assert client.get("/api/v1/health", headers={"Host": host}).status_code == 200
        refused = client.get("/api/v1/health", headers={"Host": "attacker.example:8000"})
        assert refused.status_code == 400 and refused.json()["error"]["type"] == "invalid_host"


def test_a_cross_origin_upload_is_refused(service):
    """D19/C35: a hostile page posting a file to a local server (CSRF)."""
    files = {"file": ("a.smi", b"CCO\n")}
    refused = service.post(
        "/api/v1/screen", files=files, headers={"Origin": "https://attacker.example"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "cross_origin"
    same = service.post("/api/v1/screen", files=files, headers={"Origin": "http://testserver"})
    assert same.status_code == 202
    assert service.post("/api/v1/screen", files=files).status_code == 202  # curl: no Origin


def test_docs_are_served_from_this_server(service):
    """C36: Swagger UI came from cdn.jsdelivr.net."""
    page = service.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text and "http" not in page.text.replace("/openapi.json", "")
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/docs.js",
    ):
        assert service.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", ["/", "/docs", "/api/v1/health", "/api/v1/jobs/nope"])
def test_every_answer_carries_security_headers(service, path):
    """C36: no CSP, nosniff or frame-options headers before."""
    headers = service.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_checks_at_forty_at_a_time_all_answer(service):
    """D7/C23: 1 % of checks failed at 20-40 at a time; every one is answered and audited."""
    structures = [FURANYL, "CCO", "CCN(CC)C(=O)C1CN(C)C2CC3=CNC4=CC=CC(=C34)C2=C1", "c1ccccc1"]

    def check(i):
        body = {"structure": structures[i % 4], "jurisdictions": ["US"]}
        return service.post("/api/v1/check", json=body).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(check, range(80)))
    assert statuses == [200] * 80
    assert len(list(service.app_state.audit.entries())) == 80


def test_a_real_server_refuses_a_chunked_body_early(tmp_path):
    """D3: through uvicorn, as curl sends it: the answer comes before the body is all sent."""
    import http.client
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "classwide.cli", "serve", "--port", str(port),
         "--audit-url", f"sqlite:///{tmp_path / 'a.sqlite'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/api/v1/health")
                connection.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not start")
        sent = [0]

        def body():
            yield b'{"structure": "CCO", "x": "'
            for _ in range(3_000):  # up to 300 MB, if nobody stops it
                sent[0] += 100_000
                yield b"A" * 100_000

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(
                "POST",
                "/api/v1/check",
                body=body(),
                headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                encode_chunked=True,
            )
            response = connection.getresponse()
            assert response.status == 413
            assert json.loads(response.read())["error"]["limit"] == "max_check_bytes"
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered 413 and closed the connection, mid-body
        assert sent[0] < 50_000_000
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_mixture_is_drawn_per_jurisdiction_with_the_component_that_decided(service):
    # Caffeine is listed in China, bufotenine in the US: each card draws its own component,
    # with that component's atoms highlighted.
    body = {
        "structure": "Cn1c(=O)c2c(ncn2C)n(C)c1=O.CN(C)CCc1c[nH]c2ccc(O)cc12",
        "jurisdictions": ["US", "CN"],
        "depict": True,
    }
    answer = service.post("/api/v1/check", json=body)
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["jurisdictions"]["CN"]["component"] == "Cn1c(=O)c2c(ncn2C)n(C)c1=O"
    drawings = record["depictions"]
    # RDKit tags each drawn atom: bufotenine has 15 heavy atoms, caffeine 14.
    assert "atom-14" in drawings["US"]["svg"] and "atom-14" not in drawings["CN"]["svg"]
    assert "atom-13" in drawings["CN"]["svg"]
