"""The wheel carries everything: built here, installed into a fresh venv as ``nobody``, run
on fixtures copied next to it (no checkout on the path, no root)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
USER = "nobody"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not Path(RUNUSER).exists(),
                       reason="needs root to run the install as the unprivileged user nobody"),
]


def as_user(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PIP_NO_CACHE_DIR": "1",
           "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    return subprocess.run([RUNUSER, "-u", USER, "--", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """A folder owned by nobody holding the wheel, a venv with it installed, and fixtures."""
    top = Path(tempfile.mkdtemp(prefix="oci-conform-wheel-"))
    try:
        top.chmod(0o755)
        source = top / "source"      # a clean copy: no stale build/ folder reaches the wheel
        for part in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(REPO / part, source / part) if source.exists() else \
                (source.mkdir(), shutil.copy2(REPO / part, source / part))
        shutil.copytree(REPO / "oci_conform", source / "oci_conform",
                        ignore=shutil.ignore_patterns("__pycache__"))
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                                "-w", str(top), str(source)],
                               capture_output=True, text=True, timeout=600)
        assert built.returncode == 0, built.stderr[-2000:]
        for part in ("fixtures/config/good/full.json",
                     "fixtures/config/bad/rt.config-linux.block-io.1.json",
                     "fixtures/image/good/oci-single"):
            target = top / "fixtures" / part.split("/", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy2
            copy(REPO / part, target)
        subprocess.run(["chown", "-R", f"{USER}:", str(top)], check=True)
        venv = as_user(["python3", "-m", "venv", "venv"], top)
        assert venv.returncode == 0, venv.stderr
        wheel = next(top.glob("oci_conform-*.whl"))
        pip = as_user(["venv/bin/pip", "install", "-q", wheel.name], top)
        assert pip.returncode == 0, pip.stderr[-2000:]
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_wheel_holds_the_data_files(installed: Path) -> None:
    names = zipfile.ZipFile(next(installed.glob("oci_conform-*.whl"))).namelist()
    for suffix in (".toml", ".json", ".j2"):
        assert any(n.startswith("oci_conform/") and n.endswith(suffix) for n in names), suffix
    assert "oci_conform/catalog/specs.toml" in names
    assert any(n.startswith("oci_conform/schemas/") for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(next(installed.glob("oci_conform-*.whl"))).read(entry).decode()
    assert "[pytest11]" in text and "oci_conform.pytest_plugin" in text


def test_clauses_coverage(installed: Path) -> None:
    done = as_user(["venv/bin/oci-conform", "clauses", "--coverage"], installed)
    assert done.returncode == 0, done.stderr
    assert "untestable" in done.stdout and "judged" in done.stdout


def test_config_validate(installed: Path) -> None:
    good = as_user(["venv/bin/oci-conform", "config", "validate", "fixtures/config/good/full.json"],
                   installed)
    assert good.returncode == 0, good.stdout[-2000:] + good.stderr[-2000:]
    bad = as_user(["venv/bin/oci-conform", "config", "validate",
                   "fixtures/config/bad/rt.config-linux.block-io.1.json"], installed)
    assert bad.returncode == 1 and "rt.config.property-values" in bad.stdout


def test_image_validate_and_html(installed: Path) -> None:
    image = "oci:fixtures/image/good/oci-single"
    done = as_user(["venv/bin/oci-conform", "image", "validate", image,
                    "--format", "html", "-o", "report.html"], installed)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (installed / "report.html").stat().st_size > 1000
    assert (installed / "report.html").stat().st_uid != 0
