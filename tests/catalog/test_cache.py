"""The catalog cache (catalog/cache.py): a second process gets the whole catalog from the
cache without parsing TOML and gets the same catalog; an entry for other files, an edit that
keeps the size and modification time, a broken or foreign entry are never used; concurrent
writers leave one whole entry; old entries are pruned."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.catalog import cache
from oci_conform.catalog.loader import DATA_DIR, SPECS_FILE, load_catalog

PROBE = ("import sys, json\n"
         "from oci_conform.catalog.loader import default_catalog\n"
         "c = default_catalog()\n"
         "print(json.dumps({'tomllib': 'tomllib' in sys.modules, 'clauses': len(c.clauses),"
         " 'omissions': len(c.omissions), 'version': c.version,"
         " 'digest': hash(repr(sorted(c.clauses.items())))}))")


def probe(folder: Path) -> dict:
    env = {**os.environ, "OCI_CONFORM_CACHE": str(folder), "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=180, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped data files and a cache folder of this test's own."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    shutil.copy2(SPECS_FILE, tmp_path / "specs.toml")
    monkeypatch.setenv("OCI_CONFORM_CACHE", str(tmp_path / "cache"))
    return tmp_path


def load(root: Path):
    return cache.cached_catalog(root / "data", root / "specs.toml", "test")


def entries(root: Path) -> list[Path]:
    return sorted((root / "cache").glob("test-*.json"))


def test_second_process_reads_the_whole_catalog_from_the_cache(tmp_path: Path) -> None:
    first = probe(tmp_path)
    assert first["tomllib"] and len(list(tmp_path.glob("catalog-*.json"))) == 1
    second = probe(tmp_path)
    assert not second["tomllib"]
    assert {**second, "tomllib": None} == {**first, "tomllib": None}
    assert first["clauses"] > 1000 and first["omissions"] > 0


def test_the_cached_catalog_equals_the_parsed_one(private: Path) -> None:
    parsed = load_catalog(private / "data", private / "specs.toml")
    assert load(private) == parsed               # parsed, then stored
    assert len(entries(private)) == 1
    assert load(private) == parsed               # read from the entry


def test_an_edit_keeping_size_and_mtime_invalidates_the_entry(private: Path) -> None:
    before = load(private)
    victim = private / "data" / "image-spec" / "descriptor.toml"
    text = victim.read_text(encoding="utf-8")
    stat = victim.stat()
    at = text.index('summary = "') + len('summary = "')
    swapped = "Z" if text[at] != "Z" else "Y"           # one ASCII letter for another
    victim.write_text(text[:at] + swapped + text[at + 1:], encoding="utf-8")
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (victim.stat().st_size, victim.stat().st_mtime_ns) == (stat.st_size,
                                                                   stat.st_mtime_ns)
    after = load(private)
    assert after == load_catalog(private / "data", private / "specs.toml") != before
    assert any(c.summary.startswith(swapped) and c.document == "descriptor.md"
               for c in after.clauses.values())


def test_an_entry_for_other_files_is_not_used(private: Path) -> None:
    load(private)
    (path,) = entries(private)
    data = json.loads(path.read_text())
    data["key"] += "\nanother file|1|1|00000000"
    data["clauses"] = data["clauses"][:3]
    path.write_text(json.dumps(data))
    assert len(load(private).clauses) > 1000


@pytest.mark.parametrize("damage", [
    lambda d: "{broken",
    lambda d: "[]",
    lambda d: json.dumps({**d, "format": 1}),
    lambda d: json.dumps({**d, "clauses": [{**d["clauses"][0], "level": "SHALL"}]}),
    lambda d: json.dumps({**d, "clauses": [{**d["clauses"][0], "extra": 1}]}),
    lambda d: json.dumps({**d, "clauses": [*d["clauses"],
                                           {**d["clauses"][0], "summary": "forged"}]}),
    lambda d: json.dumps({**d, "clauses": [{**d["clauses"][0], "spec": "nowhere"}]}),
    lambda d: json.dumps({**d, "omissions": None}),
    lambda d: json.dumps({**d, "version": 7}),
], ids=["not-json", "not-an-object", "old-format", "bad-level", "unknown-field",
        "duplicate-clause", "unknown-spec", "no-omissions", "bad-version"])
def test_a_broken_or_foreign_entry_is_ignored(private: Path, damage) -> None:
    parsed = load_catalog(private / "data", private / "specs.toml")
    load(private)
    (path,) = entries(private)
    path.write_text(damage(json.loads(path.read_text())))
    assert load(private) == parsed
    assert load(private) == parsed               # rewritten whole by the first load


def test_concurrent_writers_leave_one_whole_entry(private: Path) -> None:
    script = ("import sys\nfrom pathlib import Path\nfrom oci_conform.catalog import cache\n"
              "r = Path(sys.argv[1])\n"
              "print(len(cache.cached_catalog(r / 'data', r / 'specs.toml', 'test').clauses))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(private)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    counts = [int(p.communicate(timeout=180)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(counts)) == 1
    (path,) = entries(private)
    assert not list((private / "cache").glob(".*.tmp"))
    data = json.loads(path.read_text())
    assert cache.from_json(data) == load_catalog(private / "data", private / "specs.toml")


def test_old_entries_are_pruned(private: Path) -> None:
    folder = private / "cache"
    folder.mkdir()
    for n in range(cache.KEEP + 3):
        stale = folder / f"test-{n:08x}.json"
        stale.write_text("{}")
        os.utime(stale, ns=(n, n))
    load(private)
    left = entries(private)
    assert len(left) == cache.KEEP
    assert (folder / cache.entry_name("test", cache.cache_key(private / "data",
                                                              private / "specs.toml"))) in left


def test_off_disables_the_cache(private: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_CONFORM_CACHE", "off")
    assert len(load(private).clauses) > 1000
    assert not (private / "cache").exists()
