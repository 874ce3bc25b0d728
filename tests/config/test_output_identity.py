"""``config validate`` outputs do not change under a refactor of the judging path.

``data/output_digests.json`` holds, for every fixture document (config, state, features),
a digest of its implementation entry and outcomes in the JSON results document, and one
digest of the whole ``-v`` text and TAP reports of each kind: made by the code before the
one-pass judging rewrite (December 2026). A change of any outcome, message, finding
place, evidence or order shows here, named by fixture.

After a deliberate change of outputs (a new check, a catalog update), rewrite the file:
``PYTHONPATH=. .venv/bin/python -m tests.config.test_output_identity --update``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DIGESTS = Path(__file__).parent / "data" / "output_digests.json"
KINDS = {"config": ("good", "bad", "raw"), "state": ("good", "bad"),
         "features": ("good", "bad")}
_STAMP = re.compile(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def _paths(kind: str) -> list[str]:
    """The fixture documents of ``kind``, relative to the checkout (the names in outputs)."""
    base = Path("fixtures") / "config"
    folders = [base / f for f in KINDS[kind]] if kind == "config" else \
        [base / kind / f for f in KINDS[kind]]
    return [str(p) for f in folders for p in sorted((REPO / f).glob("*.json"))
            for p in [p.relative_to(REPO)]]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:24]


def _run(kind: str, fmt: str, out: Path, *more: str) -> str:
    from oci_conform.cli import main
    main(["config", "validate", "--kind", kind, *_paths(kind), "--format", fmt,
          "-o", str(out), *more])
    return out.read_text(encoding="utf-8", errors="backslashreplace")


def current_digests(folder: Path) -> dict[str, str]:
    """Digests of today's outputs on the fixtures (run from the checkout's root)."""
    found: dict[str, str] = {}
    for kind in KINDS:
        doc = json.loads(_run(kind, "json", folder / f"{kind}.json"))
        by_file: dict[str, list[dict]] = {}
        for entry in doc["results"]:
            by_file.setdefault(entry["implementation"], []).append(entry)
        for impl in doc["implementations"]:
            entries = [impl, *by_file.pop(impl["name"], [])]
            found[f"json {kind} {impl['name']}"] = _digest(json.dumps(entries, sort_keys=True))
        assert not by_file, f"outcomes of no implementation: {sorted(by_file)}"
        found[f"text -v {kind}"] = _digest(_run(kind, "text", folder / f"{kind}.txt", "-v"))
        found[f"tap {kind}"] = _digest(_STAMP.sub("T", _run(kind, "tap", folder / f"{kind}.tap")))
    return found


def test_outputs_are_those_before_the_rewrite(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    want = json.loads(DIGESTS.read_text())
    got = current_digests(tmp_path)
    assert len(want) > 400
    changed = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    assert not changed, f"{len(changed)} outputs differ: {changed[:12]} (see {__doc__})"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_fixture_is_covered(kind) -> None:
    want = json.loads(DIGESTS.read_text())
    assert {f"json {kind} {p}" for p in _paths(kind)} <= want.keys()


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    os.chdir(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        DIGESTS.write_text(json.dumps(current_digests(Path(tmp)), indent=1, sort_keys=True)
                           + "\n")
    print(f"wrote {DIGESTS}")
