"""Fixtures for the reference runtime tests: a busybox rootfs, bundles, a CLI driver.

Every container a test makes lives under the test's own folder and is killed,
deleted and unmounted in a ``finally`` (the ``rt`` fixture's teardown).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from oci_conform.drivers.bundle import base_config, build_base_rootfs, find_busybox, write_bundle

CGROUP_PARENT = f"oci-conform-reftest-{os.getpid()}"   # same value in every import
RUNTIME = [sys.executable, "-m", "oci_conform.reference.runtime"]


def _needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the reference runtime needs root")
    if find_busybox() is None:
        pytest.skip("no static busybox (install busybox-static)")


@pytest.fixture(scope="session")
def base_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _needs_root()
    return build_base_rootfs(tmp_path_factory.mktemp("ref-rt-base") / "rootfs")


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


class Runtime:
    """Drive ``oci-conform-runtime`` (or runc, as a control) with its own --root;
    remember every id for cleanup."""

    def __init__(self, workdir: Path, base: Path, cmd: list[str] | None = None,
                 prefix: str = "") -> None:
        self.dir = workdir
        self.cmd = cmd or RUNTIME
        self.prefix = prefix
        self.root = workdir / f"{prefix}state"
        self.base = base
        self.ids: set[str] = set()

    def __call__(self, *args: str, timeout: float = 60, stdin: Any = None) -> Result:
        out, err = self.dir / f"out-{uuid.uuid4().hex[:6]}", self.dir / "err.txt"
        with out.open("w") as o, err.open("w") as e:
            code = subprocess.run([*self.cmd, "--root", str(self.root), *args], stdout=o,
                                  stderr=e, stdin=stdin if stdin is not None
                                  else subprocess.DEVNULL, timeout=timeout,
                                  check=False).returncode
        return Result(code, out.read_text(), err.read_text())

    def results(self, name: str) -> Path:
        return self.dir / f"{self.prefix}{name}" / "results"

    def run_script(self, name: str, script: str, change: Any = None) -> dict[str, str]:
        """``run`` a busybox ``sh -c script`` to its end; the files it left in /results
        (plus ``exit``, its status, and ``stderr``); ``change`` edits the config first."""
        bundle, cfg = self.bundle(name, ["sh", "-c", script])
        if change is not None:
            change(cfg)
        self.write(bundle, cfg)
        self.ids.add(name)
        res = self("run", "--bundle", str(bundle), name)
        found = {p.name: p.read_text().strip() for p in self.results(name).iterdir()}
        return dict(found, exit=str(res.code), stderr=res.err.strip())

    def bundle(self, name: str, args: list[str], **changes: Any) -> tuple[Path, dict]:
        """A bundle folder with a fresh rootfs copy and a results folder bound at /results."""
        folder = self.dir / f"{self.prefix}{name}"
        results = folder / "results"
        results.mkdir(parents=True)
        results.chmod(0o777)
        cfg = base_config("1.0.2", args, results, f"/{CGROUP_PARENT}/{self.prefix}{name}")
        cfg.update(changes)
        return write_bundle(folder / "bundle", cfg, self.base), cfg

    def write(self, bundle: Path, cfg: dict) -> None:
        (bundle / "config.json").write_text(json.dumps(cfg))

    def create(self, cid: str, bundle: Path) -> Result:
        self.ids.add(cid)
        return self("create", "--bundle", str(bundle), cid)

    def wait_status(self, cid: str, status: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        doc: dict = {}
        while time.monotonic() < deadline:
            res = self("state", cid)
            doc = res.json() if res.code == 0 else {}
            if doc.get("status") == status:
                return doc
            time.sleep(0.05)
        return doc

    def cleanup(self) -> None:
        for cid in sorted(self.ids):
            self("kill", cid, "KILL")
            self("delete", "--force", cid)
        for point in mounts_under(self.dir):
            subprocess.run(["umount", "-l", point], check=False)


def mounts_under(folder: Path) -> list[str]:
    prefix = str(folder.resolve())
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    points = [ln.split()[4] for ln in lines]
    return sorted((p for p in points if p == prefix or p.startswith(prefix + "/")),
                  key=len, reverse=True)


def cgroup_dirs(rel: str) -> list[Path]:
    root = Path("/sys/fs/cgroup")
    hier = [root] if (root / "cgroup.controllers").exists() else \
        [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    return [h / rel for h in hier if (h / rel).is_dir()]


def processes_rooted_in(folder: Path) -> list[int]:
    prefix = str(folder.resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            root = os.readlink(entry / "root")
        except OSError:
            continue
        if root.startswith(prefix):
            found.append(int(entry.name))
    return found


@pytest.fixture()
def rt(tmp_path: Path, base_rootfs: Path) -> Any:
    runtime = Runtime(tmp_path, base_rootfs)
    try:
        yield runtime
    finally:
        runtime.cleanup()
        for path in cgroup_dirs(CGROUP_PARENT):
            for child in sorted(path.glob("*"), reverse=True):
                if child.is_dir():
                    child.rmdir()


@pytest.fixture()
def open_dir() -> Any:
    """A work folder every user can traverse, outside pytest's own temp root (which
    another pytest session may make 0700 at any moment): a user-namespaced container's
    root (an unprivileged host uid) must reach its rootfs."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="oci-conform-reftest-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for point in mounts_under(folder):
            subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def rt_open(open_dir: Path, base_rootfs: Path) -> Any:
    """``rt`` working in :func:`open_dir` (for user namespaces)."""
    runtime = Runtime(open_dir, base_rootfs)
    try:
        yield runtime
    finally:
        runtime.cleanup()


@pytest.fixture()
def runc_open(open_dir: Path, base_rootfs: Path) -> Any:
    """``runc`` working in :func:`open_dir` (for user namespaces)."""
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (the control runtime)")
    runtime = Runtime(open_dir, base_rootfs, ["runc"], "runc-")
    try:
        yield runtime
    finally:
        runtime.cleanup()


@pytest.fixture()
def runc(tmp_path: Path, base_rootfs: Path) -> Any:
    """runc driven like ``rt`` (the control a behaviour is compared with)."""
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (the control runtime)")
    runtime = Runtime(tmp_path, base_rootfs, ["runc"], "runc-")
    try:
        yield runtime
    finally:
        runtime.cleanup()


@pytest.fixture(scope="session", autouse=True)
def _cgroup_parent_cleanup() -> Any:
    yield
    for path in cgroup_dirs(CGROUP_PARENT):
        _rmdir_tree(path)


def _rmdir_tree(path: Path) -> None:
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            child.rmdir()
        except OSError:
            pass
    try:
        path.rmdir()
    except OSError:
        pass
