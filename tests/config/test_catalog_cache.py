"""The runtime catalog cache (checks/runtime_config/catalog_cache.py, an entry of
catalog/cache.py): a second process reads the catalog from the cache without parsing TOML;
a cache for other data files, or a broken one, is never used; the cached catalog equals
the parsed one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oci_conform.checks.runtime_config import catalog_cache

PROBE = ("import sys, json\n"
         "from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog\n"
         "c = runtime_catalog()\n"
         "print(json.dumps({'tomllib': 'tomllib' in sys.modules, 'clauses': len(c.clauses),"
         " 'ids': sorted(c.clauses)[:5], 'version': c.version}))")


def probe(cache: Path) -> dict:
    env = {**os.environ, "OCI_CONFORM_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_second_process_reads_the_cache_and_gets_the_same_catalog(tmp_path: Path) -> None:
    first = probe(tmp_path)
    files = list(tmp_path.glob("runtime-spec-*.json"))
    assert first["tomllib"] and len(files) == 1
    second = probe(tmp_path)
    assert not second["tomllib"]
    assert {**second, "tomllib": None} == {**first, "tomllib": None}
    assert first["clauses"] > 500


def test_a_cache_for_other_files_or_a_broken_one_is_not_used(tmp_path: Path) -> None:
    probe(tmp_path)
    (path,) = tmp_path.glob("runtime-spec-*.json")
    data = json.loads(path.read_text())
    assert data["key"] == catalog_cache.entry_key()
    data["key"] += "\nanother file|1|1"            # same name, other data files
    data["clauses"] = data["clauses"][:3]
    path.write_text(json.dumps(data))
    assert probe(tmp_path)["clauses"] > 500
    path.write_text("{broken")
    assert probe(tmp_path)["tomllib"] and probe(tmp_path)["clauses"] > 500


def test_off_disables_the_cache(tmp_path: Path) -> None:
    env = {**os.environ, "OCI_CONFORM_CACHE": "off"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert json.loads(done.stdout)["tomllib"]
