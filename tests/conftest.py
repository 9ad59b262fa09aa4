"""Shared fixtures: the packaged rules and the test data of ``tests/data`` (see its README)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classwide._rules import default_rules

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_csv(name: str) -> list[dict[str, str]]:
    """The rows of one CSV file of ``tests/data``."""
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def rules():
    return default_rules()
