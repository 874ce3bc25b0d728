"""Run the real image tools (umoci, skopeo, actool) with timeouts, recording each call."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from oci_conform.model.evidence import ProcessRun, tail

TIMEOUT = 120


@dataclass
class ToolRun:
    """One run of an image tool: its command line, exit status and output."""

    argv: list[str]
    exit: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit == 0

    def process_run(self) -> ProcessRun:
        """The typed evidence of this run (output tails kept)."""
        timed_out = self.exit == -9 and self.stderr.startswith("timed out")
        return ProcessRun(argv=list(self.argv), exit_code=None if self.exit < 0 else self.exit,
                          stdout=tail(self.stdout, 500), stderr=tail(self.stderr, 1500),
                          duration=self.seconds, timed_out=timed_out,
                          error=self.stderr if self.exit == -1 else "")


def actool_path() -> str | None:
    here = Path(__file__).resolve().parents[3] / ".tools" / "actool"
    for candidate in (os.environ.get("OCI_CONFORM_ACTOOL", ""), str(here),
                      shutil.which("actool") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def which(tool: str) -> str | None:
    return actool_path() if tool == "actool" else shutil.which(tool)


def run(argv: list[str], timeout: int = TIMEOUT, cwd: Path | None = None) -> ToolRun:
    started = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd,
                           stdin=subprocess.DEVNULL)
        return ToolRun(argv, p.returncode, p.stdout.decode(errors="replace"),
                       p.stderr.decode(errors="replace"), time.monotonic() - started)
    except subprocess.TimeoutExpired:
        return ToolRun(argv, -9, "", f"timed out after {timeout}s")
    except OSError as exc:
        return ToolRun(argv, -1, "", str(exc))


def tool_version(tool: str) -> str:
    exe = which(tool)
    if not exe:
        return ""
    r = run([exe, "--version"] if tool != "actool" else [exe, "version"], timeout=20)
    return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else ""


def busybox_rootfs(root: Path) -> Path:
    """A tiny rootfs: the static busybox plus a few applet links."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in ("sh", "ls", "cat", "echo"):
        link = root / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    # umoci 0.4.7 leaves the last regular file of a layer unpadded (no end-of-archive
    # blocks either): end the tree with a folder so the layers it writes stay whole tars.
    (root / "tmp").mkdir(exist_ok=True)
    return root


def umoci_image(layout: Path, tag: str, rootfs: Path, arch: str = "amd64") -> list[ToolRun]:
    """Build an image with umoci (gzip layer) into ``layout`` under ``tag``."""
    umoci = which("umoci") or "umoci"
    runs = []
    if not (layout / "oci-layout").exists():
        runs.append(run([umoci, "init", "--layout", str(layout)]))
    ref = f"{layout}:{tag}"
    runs.append(run([umoci, "new", "--image", ref]))
    runs.append(run([umoci, "insert", "--image", ref, str(rootfs), "/"]))
    runs.append(run([umoci, "config", "--image", ref, "--config.cmd", "/bin/sh",
                     "--architecture", arch, "--config.env", "PATH=/bin"]))
    return runs


def umoci_delete_layer(layout: Path, tag: str, work: Path, path: str) -> list[ToolRun]:
    """Unpack, delete ``path`` from the rootfs and repack: umoci writes a whiteout layer."""
    umoci = which("umoci") or "umoci"
    bundle = work / f"bundle-{tag}"
    if bundle.exists():
        shutil.rmtree(bundle)
    runs = [run([umoci, "unpack", "--image", f"{layout}:{tag}", str(bundle)])]
    target = bundle / "rootfs" / path.lstrip("/")
    if runs[0].ok and (target.exists() or target.is_symlink()):
        target.unlink()
    runs.append(run([umoci, "repack", "--image", f"{layout}:{tag}", str(bundle)]))
    shutil.rmtree(bundle, ignore_errors=True)
    return runs


def skopeo(*args: str) -> ToolRun:
    return run([which("skopeo") or "skopeo", "--insecure-policy", *args])


def aci(rootfs: Path, work: Path, out: Path) -> list[ToolRun]:
    """Build an ACI from ``rootfs`` with actool, then have actool validate it."""
    exe = actool_path() or "actool"
    image = work / "aci-src"
    if image.exists():
        shutil.rmtree(image)
    shutil.copytree(rootfs, image / "rootfs", symlinks=True)
    manifest = {"acKind": "ImageManifest", "acVersion": "0.8.11",
                "name": "example.com/busybox",
                "labels": [{"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"},
                           {"name": "version", "value": "1.0.0"}],
                "app": {"exec": ["/bin/sh"], "user": "0", "group": "0",
                        "environment": [{"name": "PATH", "value": "/bin"}]}}
    (image / "manifest").write_text(json.dumps(manifest))
    if out.exists():
        out.unlink()
    return [run([exe, "build", str(image), str(out)]), run([exe, "validate", str(out)])]


@dataclass
class RealImages:
    """Images made by the real tools from one busybox rootfs, and every tool call made."""

    folder: Path
    refs: dict[str, str]               # name -> reference for ``image validate``
    runs: list[ToolRun]
    problems: list[str]                # tool calls that failed (name: stderr tail)


def make_real_images(folder: Path, registry_url: str = "", with_known_bad: bool = False
                     ) -> RealImages:
    """umoci (gzip), skopeo (zstd, uncompressed, oci-archive, docker-archive), actool (ACI),
    and with a registry: a docker v2s2 push and a multi-platform index copied back by skopeo."""
    folder.mkdir(parents=True, exist_ok=True)
    rootfs = busybox_rootfs(folder / "rootfs")
    runs: list[ToolRun] = []
    refs: dict[str, str] = {}
    problems: list[str] = []

    def step(name: str, new: list[ToolRun], ref: str = "") -> None:
        runs.extend(new)
        bad = [r for r in new if not r.ok]
        if bad:
            problems.append(f"{name}: {' '.join(bad[0].argv[:3])}: {bad[0].stderr[-300:]}")
        elif ref:
            refs[name] = ref

    lay = folder / "umoci"
    step("umoci-gzip", umoci_image(lay, "amd64", rootfs)
         + umoci_delete_layer(lay, "amd64", folder, "/bin/cat")
         + umoci_image(lay, "arm64", rootfs, "arm64"), f"oci:{lay}:amd64")
    src = f"oci:{lay}:amd64"
    step("skopeo-zstd", [skopeo("copy", "--dest-compress-format", "zstd", src,
                                f"oci:{folder / 'zstd'}:latest")], f"oci:{folder / 'zstd'}")
    step("docker-archive", [skopeo("copy", src, f"docker-archive:{folder / 'docker.tar'}"
                                                f":example/busybox:1")],
         f"docker-archive:{folder / 'docker.tar'}")
    step("skopeo-uncompressed", [
        skopeo("copy", "--dest-decompress", src, f"dir:{folder / 'plain-dir'}"),
        skopeo("copy", "--dest-oci-accept-uncompressed-layers", f"dir:{folder / 'plain-dir'}",
               f"oci:{folder / 'plain'}:latest")], f"oci:{folder / 'plain'}")
    if with_known_bad:
        step("skopeo-docker-archive-to-oci", [
            skopeo("copy", "--dest-oci-accept-uncompressed-layers",
                   f"docker-archive:{folder / 'docker.tar'}",
                   f"oci:{folder / 'plain-from-docker'}:latest")],
             f"oci:{folder / 'plain-from-docker'}")
    step("oci-archive", [skopeo("copy", src, f"oci-archive:{folder / 'oci.tar'}:latest")],
         f"oci-archive:{folder / 'oci.tar'}")
    if actool_path():
        step("appc-aci", aci(rootfs, folder, folder / "busybox.aci"),
             f"aci:{folder / 'busybox.aci'}")
    if registry_url:
        host = registry_url.split("://", 1)[-1]
        step("docker-v2s2", [skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", src,
                                    f"docker://{host}/example/busybox:v2s2")],
             f"docker://{host}/example/busybox:v2s2")
        multi = _multi_platform_index(folder, lay)
        step("multi-platform", [
            skopeo("copy", "--all", "--dest-tls-verify=false", f"oci:{multi}:multi",
                   f"docker://{host}/example/multi:1"),
            skopeo("copy", "--all", "--src-tls-verify=false", f"docker://{host}/example/multi:1",
                   f"oci:{folder / 'multi-copy'}:multi")], f"oci:{folder / 'multi-copy'}")
        step("docker-v2s2-list", [
            skopeo("copy", "--all", "--format", "v2s2", "--dest-tls-verify=false",
                   f"oci:{multi}:multi", f"docker://{host}/example/list:1")],
             f"docker://{host}/example/list:1")
    return RealImages(folder, refs, runs, problems)


def _multi_platform_index(folder: Path, lay: Path) -> Path:
    """An index over umoci's amd64 and arm64 manifests (the one hand-written document),
    which skopeo then pushes and copies back with --all."""
    import hashlib
    out = folder / "multi-src"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(lay, out)
    index = json.loads((out / "index.json").read_bytes())
    entries = []
    for d in index["manifests"]:
        arch = d.get("annotations", {}).get("org.opencontainers.image.ref.name", "amd64")
        entries.append({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
                        "platform": {"architecture": arch, "os": "linux"}})
    body = json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": entries}).encode()
    digest = hashlib.sha256(body).hexdigest()
    (out / "blobs" / "sha256" / digest).write_bytes(body)
    index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                               "digest": "sha256:" + digest, "size": len(body),
                               "annotations": {"org.opencontainers.image.ref.name": "multi"}})
    (out / "index.json").write_text(json.dumps(index))
    return out
