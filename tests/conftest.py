"""Shared fixtures: the packaged rules and the test data of ``tests/data`` (see its README)."""

from __future__ import annotations

import atexit
import csv
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from classwide._rules import default_rules

# Compiled rule sets are cached in a folder of this test run (and of the commands it
# starts), not in the user's cache folder.
if "CLASSWIDE_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="classwide-test-cache-")
    os.environ["CLASSWIDE_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_csv(name: str) -> list[dict[str, str]]:
    """The rows of one CSV file of ``tests/data``."""
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def wait_for_job(client, job_id: str, seconds: float = 30.0) -> dict:
    """Poll a service job until it is done or failed; its last state."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds:g} s")


def group_on(smiles: str, anchor_map: int):
    """The group bonded to the atom mapped ``anchor_map`` (the map marks the anchor)."""
    from rdkit import Chem

    from classwide._vocabulary import substituents_of

    mol = Chem.MolFromSmiles(smiles)
    anchor = next(a.GetIdx() for a in mol.GetAtoms() if a.GetAtomMapNum() == anchor_map)
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(0)
    rest = frozenset(range(mol.GetNumAtoms())) - {anchor}
    (group,) = substituents_of(mol, rest | {anchor}, frozenset({anchor}))
    return mol, group


@pytest.fixture(scope="session")
def rules():
    return default_rules()
