"""Start Debian's ``docker-registry`` (distribution 2.x) on loopback for a run.

Use::

    with DockerRegistry() as reg:          # temp storage, delete enabled, free port
        print(reg.url, reg.version)

The process writes its log to a file in its temp folder (never a pipe), is stopped with
SIGTERM then SIGKILL, and the folder is removed on exit.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

BINARY = "/usr/bin/docker-registry"


class RegistryStartError(RuntimeError):
    """The registry did not start or did not become ready."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary_path() -> str | None:
    found = shutil.which("docker-registry")
    if found:
        return found
    return BINARY if os.access(BINARY, os.X_OK) else None


def registry_version(binary: str | None = None) -> str:
    """``docker-registry --version`` as one line ("" when it cannot run)."""
    path = binary or binary_path()
    if not path:
        return ""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    words = (done.stdout or done.stderr).split()
    return words[-1] if words else ""


def config_yaml(storage: Path, port: int, delete: bool = True, auth: str = "") -> str:
    """A minimal registry config (YAML written by hand: no YAML dependency)."""
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {storage}",
        "  delete:",
        f"    enabled: {'true' if delete else 'false'}",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  secret: oci-conform-local-only",
    ]
    if auth:
        lines.append(auth.rstrip())
    return "\n".join(lines) + "\n"


@dataclass
class DockerRegistry:
    """One docker-registry process on 127.0.0.1, in its own temp folder."""

    delete: bool = True
    auth: str = ""                      # extra YAML for an ``auth:`` section
    binary: str | None = None
    port: int = 0
    startup_timeout: float = 20.0
    folder: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    version: str = ""
    _own_folder: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.folder is not None
        return self.folder / "registry.log"

    def start(self) -> DockerRegistry:
        path = self.binary or binary_path()
        if not path:
            raise RegistryStartError("docker-registry is not installed "
                                     "(apt-get install docker-registry)")
        self.binary = path
        self.version = registry_version(path)
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="oci-conform-registry-"))
            self._own_folder = True
        storage = self.folder / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        config = self.folder / "config.yml"
        config.write_text(config_yaml(storage, self.port, self.delete, self.auth))
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([path, "serve", str(config)], stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RegistryStartError(f"docker-registry exited with {self.process.returncode}: "
                                         + self.log_tail())
            try:
                resp = requests.get(self.url + "/v2/", timeout=2)
                if resp.status_code in (200, 401):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RegistryStartError(f"docker-registry not ready after {self.startup_timeout}s")

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        proc = self.process
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_folder and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> DockerRegistry:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *_exc: object) -> None:
        self.cleanup()
