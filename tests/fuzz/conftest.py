"""The fuzz package lives in scripts/fuzzlib (no part of what ships): put it on the path."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


@pytest.fixture(scope="module")
def sandbox():
    from fuzzlib.campaign import Sandbox
    box = Sandbox.make()
    yield box
    box.remove()
