"""Shared test helpers: where the repository and ../shared are."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder (spec texts, JUnit XSD, SARIF schema); skip when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): spec texts and output schemas unavailable")
    return SHARED
