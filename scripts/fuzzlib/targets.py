"""The fuzz targets: how each makes an input and how an input becomes a command line.

An input is bytes (what a regression fixture stores). ``prepare`` lays it out in the job's
input folder and returns the ``oci-conform`` argv (and a stdin file). Everything the
command line depends on besides the bytes (output format, a bundle folder or a plain
file, stdin or a path) is chosen from a hash of the bytes, so a saved input replays the
same command.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fuzzlib import images, jsonmut, trees
from fuzzlib.pool import REPO

FORMATS = ("text", "json", "html", "junit", "tap", "sarif", "github", "markdown")
DOCS = REPO / "fixtures" / "image" / "documents" / "good"
CONFIGS = REPO / "fixtures" / "config"
SEEDS = REPO / "fixtures" / "fuzz" / "seeds"

SCHEMA1 = (b'{"schemaVersion":1,"name":"library/fuzz","tag":"latest","architecture":"amd64",'
           b'"fsLayers":[{"blobSum":"sha256:' + b"a" * 64 + b'"}],"history":[{"v1Compatibility":'
           b'"{\\"id\\":\\"' + b"b" * 64 + b'\\"}"}],"signatures":[]}')


@dataclass(frozen=True)
class Job:
    argv: list[str]
    stdin: Path | None = None


@dataclass(frozen=True)
class Target:
    name: str
    family: str                                       # cli | registry | client
    about: str
    generate: Callable[[random.Random], bytes]
    prepare: Callable[[bytes, Path], Job] | None = None


def _pick(data: bytes, n: int, salt: int = 0) -> int:
    return hashlib.sha256(data).digest()[salt] % n


@cache
def _seed_files(*paths: str) -> tuple[bytes, ...]:
    out: list[bytes] = []
    for p in paths:
        path = Path(p)
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        out.extend(f.read_bytes() for f in files)
    return tuple(out)


def _json_gen(*paths: str, extra: tuple[bytes, ...] = ()) -> Callable[[random.Random], bytes]:
    def generate(rng: random.Random) -> bytes:
        seeds = _seed_files(*paths) + extra
        return jsonmut.mutate_json(rng, rng.choice(seeds))
    return generate


def _format(data: bytes) -> list[str]:
    """Text for three inputs in four, another renderer for the rest."""
    if _pick(data, 4) != 0:
        return []
    return ["--format", FORMATS[_pick(data, len(FORMATS), 1)]]


def _doc_job(media: str) -> Callable[[bytes, Path], Job]:
    def prepare(data: bytes, folder: Path) -> Job:
        path = folder / "doc.json"
        path.write_bytes(data)
        argv = ["image", "validate-document"]
        stdin = None
        if _pick(data, 5, 2) == 0:
            argv.append("-")
            stdin = path
        else:
            argv.append(str(path))
        if media:
            argv += ["--media-type", media]
        return Job(argv + _format(data), stdin)
    return prepare


def _config_job(kind: str) -> Callable[[bytes, Path], Job]:
    def prepare(data: bytes, folder: Path) -> Job:
        argv = ["config", "validate", "--kind", kind]
        if kind == "config" and _pick(data, 3, 2) == 0:      # a bundle folder
            bundle = folder / "bundle"
            (bundle / "rootfs").mkdir(parents=True)
            (bundle / "config.json").write_bytes(data)
            return Job(argv + [str(bundle)] + _format(data))
        path = folder / f"{kind}.json"
        path.write_bytes(data)
        return Job(argv + [str(path)] + _format(data))
    return prepare


def _render_job(data: bytes, folder: Path) -> Job:
    path = folder / "results.json"
    path.write_bytes(data)
    return Job(["report", "render", str(path), "--format",
                FORMATS[_pick(data, len(FORMATS), 1)]])


def _archive_job(kind: str, suffix: str) -> Callable[[bytes, Path], Job]:
    def prepare(data: bytes, folder: Path) -> Job:
        path = folder / f"image{suffix}"
        path.write_bytes(data)
        ref = str(path) if _pick(data, 4, 2) == 0 else f"{kind}:{path}"   # bare: sniffed
        return Job(["image", "validate", ref] + _format(data))
    return prepare


def _layout_gen(rng: random.Random) -> bytes:
    return trees.pack(images.oci_layout(rng))


def _layout_job(data: bytes, folder: Path) -> Job:
    layout = folder / "layout"
    try:
        nodes = trees.unpack(data)
    except Exception:  # noqa: BLE001 - a damaged saved input: an empty layout still runs
        nodes = []
    trees.materialize(nodes, layout)
    ref = f"oci:{layout}" + (":latest" if _pick(data, 3, 2) == 0 else "")
    return Job(["image", "validate", ref] + _format(data))


def _doc(name: str, media: str, seeds: tuple[str, ...], about: str,
         extra: tuple[bytes, ...] = ()) -> Target:
    paths = tuple(str(DOCS / s) for s in seeds)
    return Target(name, "cli", about, _json_gen(*paths, extra=extra), _doc_job(media))


def all_targets() -> dict[str, Target]:
    from fuzzlib import registry_target
    every_doc = tuple(p.name for p in sorted(DOCS.glob("*.json")))
    found = [
        _doc("doc-manifest", "manifest", ("manifest.json", "artifact-manifest.json"),
             "image validate-document --media-type manifest"),
        _doc("doc-index", "index", ("index.json",), "... --media-type index"),
        _doc("doc-config", "config", ("config.json",), "... --media-type config"),
        _doc("doc-descriptor", "descriptor", ("descriptor-empty.json",),
             "... --media-type descriptor"),
        _doc("doc-layout", "oci-layout", ("oci-layout.json",), "... --media-type oci-layout"),
        _doc("doc-docker-manifest", "docker-manifest", ("docker-manifest.json",),
             "... --media-type docker-manifest"),
        _doc("doc-docker-list", "docker-manifest-list", ("docker-manifest-list.json",),
             "... --media-type docker-manifest-list"),
        _doc("doc-docker-config", "docker-config", ("config.json",),
             "... --media-type docker-config"),
        _doc("doc-docker-schema1", "docker-schema1", (), "... --media-type docker-schema1",
             extra=(SCHEMA1,)),
        _doc("doc-appc", "appc-manifest", ("appc-manifest.json",),
             "... --media-type appc-manifest"),
        _doc("doc-sniffed", "", every_doc, "image validate-document without --media-type "
                                            "(kind guessed from the content)"),
        Target("config-config", "cli", "config validate --kind config (file or bundle)",
               _json_gen(str(CONFIGS / "good")), _config_job("config")),
        Target("config-state", "cli", "config validate --kind state",
               _json_gen(str(CONFIGS / "state" / "good")), _config_job("state")),
        Target("config-features", "cli", "config validate --kind features",
               _json_gen(str(CONFIGS / "features" / "good")), _config_job("features")),
        Target("report-render", "cli", "report render RESULTS --format F (every renderer)",
               _json_gen(str(SEEDS)), _render_job),
        Target("archive-oci", "cli", "image validate oci-archive:FILE",
               images.oci_archive, _archive_job("oci-archive", ".tar")),
        Target("archive-docker", "cli", "image validate docker-archive:FILE",
               images.docker_archive, _archive_job("docker-archive", ".tar")),
        Target("archive-aci", "cli", "image validate aci:FILE", images.aci,
               _archive_job("aci", ".aci")),
        Target("layout-oci", "cli", "image validate oci:DIR (a layout folder on disk)",
               _layout_gen, _layout_job),
        registry_target.TARGET,
    ]
    try:
        from fuzzlib import client_target
        found.append(client_target.TARGET)
    except ImportError:
        pass
    return {t.name: t for t in found}
