"""Fail fast: a registry that does not answer GET /v2/ is ONE error for the column, exit 3."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hostile_registry import HostileRegistry, answer, drip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(url: str, tmp: Path, *extra: str) -> tuple[int, list[dict], str]:
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "registry", "test", url,
                           "--request-timeout", "2", "--format", "json", "--results",
                           str(tmp / "r.json"), *extra], capture_output=True, text=True,
                          timeout=120, cwd=tmp)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads((tmp / "r.json").read_text())["results"], proc.stderr


@pytest.mark.parametrize("kind", ["refused", "500", "drip"])
def test_unreachable_registry_is_one_error(kind: str, tmp_path: Path) -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", answer(500, b"oops") if kind == "500" else
               drip(10 << 30, 1.0))
        url = f"http://127.0.0.1:{_free_port()}" if kind == "refused" else reg.url
        code, results, _ = _run(url, tmp_path)
    assert code == 3
    assert [(r["case"], r["clause"], r["outcome"]) for r in results] == [
        ("registry:reachable", "harness.registry.reachable", "error")]
    message = results[0]["message"]
    assert message.startswith("nothing judged:")
    want = {"refused": "ConnectionError", "500": "answered 500", "drip": "deadline"}[kind]
    assert want in message and url in message
