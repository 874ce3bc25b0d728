"""Every saved reproducer under fixtures/fuzz/<target>/ replays without a crash, hang,
escape, leak or 5xx (each was one when it was found; the owners' fixes make these pass)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzzlib.campaign import Settings, driver_for
from fuzzlib.targets import all_targets

pytestmark = pytest.mark.fuzz

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "fuzz"
FIXTURES = sorted(FOLDER.glob("*/*.bin"))
TARGETS = all_targets()
TIME_LIMIT = 5.0


@pytest.fixture(scope="module")
def drivers(sandbox):
    made: dict[str, object] = {}
    settings = Settings(time_limit=TIME_LIMIT, progress=False)

    def get(target):
        if target.family not in made:
            made[target.family] = driver_for(target, settings, sandbox)
        return made[target.family]
    yield get
    for d in made.values():
        d.close()


def test_every_fixture_names_a_known_target():
    unknown = [str(p) for p in FIXTURES if p.parent.name not in TARGETS]
    assert not unknown, f"reproducers for unknown targets: {unknown}"
    assert all(p.with_suffix(".json").is_file() for p in FIXTURES), "a .bin without its .json"


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_reproducer_no_longer_fails(path, drivers):
    target = TARGETS[path.parent.name]
    outcome = drivers(target).run(target, path.read_bytes())
    side = json.loads(path.with_suffix(".json").read_text())
    found = [f"{p.kind}: {p.message[:200]} @ {p.project_frame or p.last_frame or '?'}"
             for p in outcome.problems]
    if found:
        pytest.fail(f"{path.name} ({side.get('failed')} when found: "
                    f"{side.get('message', '')[:160]}) still fails:\n  " + "\n  ".join(found),
                    pytrace=False)

