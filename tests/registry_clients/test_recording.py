"""Recording mode of the reference registry: one JSON line per exchange, secrets redacted,
bounded, and nothing written when it is off."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from oci_conform.reference.registry.recording import load
from oci_conform.reference.registry.server import free_port


def test_every_exchange_is_recorded_with_sizes_timing_and_redaction(tmp_path: Path) -> None:
    record = tmp_path / "rec.jsonl"
    with RegistryServer(RegistryConfig(tmp_path / "s", record=record)) as srv:
        post = requests.post(f"{srv.url}/v2/a/blobs/uploads/", timeout=10,
                             headers={"Authorization": "Basic c2VjcmV0OnNlY3JldA=="})
        loc = post.headers["Location"]
        put = requests.put(srv.url + loc, params={"digest": "sha256:" + "0" * 64},
                           data=b"x" * 1000, timeout=10)
        got = requests.get(f"{srv.url}/v2/a/tags/list", timeout=10)
    exchanges, dropped = load(record)
    assert dropped == 0
    assert [(e.method, e.status) for e in exchanges] == [
        ("POST", 202), ("PUT", put.status_code), ("GET", got.status_code)]
    first, second = exchanges[0], exchanges[1]
    assert first.path == "/v2/a/blobs/uploads/" and first.response_header("Location") == loc
    assert first.header("Authorization") == "Basic <redacted>"
    assert "c2VjcmV0" not in record.read_text()
    assert second.request_bytes == 1000 and second.query.startswith("digest=sha256")
    assert exchanges[2].response_bytes == len(got.content)
    assert all(e.start <= e.end for e in exchanges) and first.seq == 1


def test_the_recording_is_bounded_and_says_what_it_dropped(tmp_path: Path) -> None:
    record = tmp_path / "rec.jsonl"
    with RegistryServer(RegistryConfig(tmp_path / "s", record=record,
                                       record_limit=2000)) as srv:
        with requests.Session() as http:
            for _ in range(40):
                http.get(f"{srv.url}/v2/", timeout=10)
    assert record.stat().st_size <= 2000 + 200
    exchanges, dropped = load(record)
    assert exchanges and dropped == 40 - len(exchanges)


def test_recording_off_writes_nothing(tmp_path: Path) -> None:
    with RegistryServer(RegistryConfig(tmp_path / "s")) as srv:
        assert srv._server.recorder is None
        requests.get(f"{srv.url}/v2/", timeout=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_the_cli_records_and_refuses_a_special_file(tmp_path: Path) -> None:
    bad = subprocess.run([sys.executable, "-m", "oci_conform.reference.registry", "serve",
                          "--storage", str(tmp_path / "s"), "--record", "/dev/null"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --record /dev/null: exists and is not a regular file"
    port, record = free_port(), tmp_path / "cli.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "oci_conform.reference.registry", "serve",
                             "--listen", f"127.0.0.1:{port}", "--storage", str(tmp_path / "s"),
                             "--record", str(record)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines and lines[0]["path"] == "/v2/" and lines[0]["status"] == 200
