"""Engines as consumers by pull: ``podman pull``, ``ctr images pull --plain-http`` and
``docker pull`` of every OCI image of the malformed corpus, served as it is by a read-only
loopback registry of our own (``drivers/layout_registry.py``).

The columns plug into the image-tools suite (``suites/image_tools.py``) and are judged there
exactly like the load columns: a producer rule is n/a with what the engine did, a
consumer-binding clause is pass (refused) or fail (accepted).  One more case exists only for
pull (:data:`PULL_CASES`): a layer whose bytes do not hash to the digest the manifest names,
which every reader of untrusted content must catch.

Each pull goes into a store nothing else used: podman a fresh ``--root`` per pull, ctr a
fresh namespace of a containerd whose content is not shared between namespaces, docker an
engine from which every image is removed after each pull.  The argv builders read the column
command ``CLIENT... -- HOST ROOT`` that :func:`with_registry` writes: the registry's
``host:port`` and the folder whose layouts it serves.
"""
from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

PULL_TOOLS = ("podman-pull", "ctr-pull", "docker-pull")
BINARY = {"podman-pull": "podman", "ctr-pull": "ctr", "docker-pull": "dockerd"}

# podman pull into a throwaway store (see drivers/engines.py for the runroot dance).
# $0 podman, $1 work folder, $2 reference; the exit code is podman's.
_PODMAN = ('r=$(mktemp -d /tmp/oc-pull-XXXXXX) || exit 125; '
           '"$0" --root "$1/root" --runroot "$r" --tmpdir "$1/tmp" --storage-driver vfs '
           '--cgroup-manager cgroupfs --events-backend file pull --tls-verify=false '
           '"docker://$2"; rc=$?; rm -rf "$r"; exit $rc')
# ctr pull into a fresh namespace, unpacked by the native snapshotter (no mounts).
# $0 ctr, $1 socket, $2 reference; the exit code is ctr's.
_CTR = ('ns=oc-$(date +%s%N)-$$; "$0" --address "$1" --namespace "$ns" images pull '
        '--plain-http --snapshotter native --platform linux/amd64 "$2"')
# docker pull, then every image removed so no later pull finds a layer already there.
# $0 client, $1 daemon address, $2 reference; the exit code is the pull's.
_DOCKER = ('"$0" -H "$1" pull "$2"; rc=$?; ids=$("$0" -H "$1" images -aq); '
           '[ -z "$ids" ] || "$0" -H "$1" rmi -f $ids >/dev/null 2>&1; exit $rc')


def split_command(command: str) -> tuple[list[str], str, Path]:
    """(client words, registry host, served root) of a pull column command."""
    words = shlex.split(command)
    cut = words.index("--") if "--" in words else len(words)
    rest = words[cut + 1:] + ["", ""]
    return words[:cut], rest[0], Path(rest[1] or ".")


def reference(host: str, root: Path, image: Path) -> str:
    name = image.resolve().relative_to(root.resolve()).as_posix()
    return f"{host}/{name}:latest"


def _podman(command: str, image: Path, work: Path, kind: str) -> list[str]:
    client, host, root = split_command(command)
    return ["sh", "-c", _PODMAN, client[0], str(work), reference(host, root, image)]


def _ctr(command: str, image: Path, work: Path, kind: str) -> list[str]:
    client, host, root = split_command(command)
    return ["sh", "-c", _CTR, client[0], client[-1], reference(host, root, image)]


def _docker(command: str, image: Path, work: Path, kind: str) -> list[str]:
    client, host, root = split_command(command)
    return ["sh", "-c", _DOCKER, client[0], client[-1], reference(host, root, image)]


ARGV: dict[str, Callable[[str, Path, Path, str], list[str]]] = {
    "podman-pull": _podman, "ctr-pull": _ctr, "docker-pull": _docker}


def with_registry(command: str, root: Path, host: str) -> str:
    return shlex.join([*shlex.split(command), "--", host, str(root)])


def _digest_lies(root: Path) -> Path:
    """A layout whose layer blob holds other bytes than its digest names: the size in the
    manifest and the config's diff_ids fit the bytes served, only the digest lies."""
    from oci_conform.drivers.image_sources.build import (
        BASE_LAYER,
        Entry,
        ImageSpec,
        compress,
        sha256,
        tar_bytes,
        write_layout,
    )
    raw = tar_bytes(BASE_LAYER[:3] + [Entry("etc/motd", data=b"swapped\n")])
    other = compress(raw, "gzip")

    def manifest(m: dict) -> dict:
        m["layers"][0]["size"] = len(other)
        return m

    def config(c: dict) -> dict:
        c["rootfs"]["diff_ids"] = [sha256(raw)]
        return c
    write_layout(root, ImageSpec(manifest_hook=manifest, config_hook=config))
    index = json.loads((root / "index.json").read_bytes())
    blobs = root / "blobs" / "sha256"
    doc = json.loads((blobs / index["manifests"][0]["digest"][7:]).read_bytes())
    (blobs / doc["layers"][0]["digest"][7:]).write_bytes(other)
    return root


def pull_cases() -> list:
    from oci_conform.drivers.image_sources.corpus import Case
    return [Case("layer-digest-lies", "image.image-layout.blobs.1", "oci", _digest_lies,
                 consumer="image.descriptor.verification.1")]


def cases_for(impl_name: str) -> list:
    """The extra corpus cases a column reads (only the pull columns get :func:`pull_cases`)."""
    return pull_cases() if impl_name in PULL_TOOLS else []


def with_registry_run(run, impl, ctx, base: Path) -> Iterator:
    """Serve ``base`` (where the suite writes its controls and corpus) for one pull column;
    dockerd and containerd are wrapped by the caller."""
    from dataclasses import replace

    from oci_conform.drivers.layout_registry import LayoutRegistry
    base.mkdir(parents=True, exist_ok=True)
    with LayoutRegistry(base) as registry:
        yield from run(replace(impl, command=with_registry(impl.command, base, registry.host)),
                       ctx)
