"""Shared test helpers: where the repository and ../shared are."""
from __future__ import annotations

from pathlib import Path

import pytest

# Imported once here, before any in-process pytester run: pytester restores sys.modules
# after each inner run, so a first import inside one leaves two copies of requests (and
# "You can only merge into CookieJar" in the tests that follow).
import requests  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder (spec texts, JUnit XSD, SARIF schema); skip when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): spec texts and output schemas unavailable")
    return SHARED
