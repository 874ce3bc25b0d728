"""Hostile images: layers, OCI layouts, oci-archive, docker-archive and ACI files.

Each generator builds a valid image from scratch, then lets the Random damage it at every
level: tar entries of a layer (absolute and ``..`` names, links out, special files,
duplicates, whiteouts, odd names), compression (wrong type, truncated, bombs), documents
(structure-aware JSON mutation), descriptors (digest and size lies), blobs on disk
(missing, misnamed, symlinked out, FIFOs, devices) and the archive itself (truncation,
byte flips, escaping member names).
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import random
import tarfile
import zlib
from functools import lru_cache

from fuzzlib import bytemut, jsonmut
from fuzzlib.jsonmut import big
from fuzzlib.trees import CANARY_ABS, Node, pack

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
               "none": "application/vnd.oci.image.layer.v1.tar",
               "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}
# relative escapes that land in the run's canary folder from the layout, the archive's
# folder and the working folder (see campaign.Sandbox)
ESCAPES = ["../../../canary/pwned", "../../canary/pwned", "../canary/pwned",
           CANARY_ABS + "/pwned", "/etc/passwd", "../../../canary/secret", "/dev/zero",
           "/proc/self/mem", "../" * 40 + "tmp/oci-conform-fuzz-canary/pwned"]


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def base_rootfs() -> list[Node]:
    return [Node("bin", "dir"), Node("bin/busybox", "file", b"\x7fELF" + b"\0" * 60, mode=0o755),
            Node("bin/sh", "symlink", target="busybox"), Node("etc", "dir"),
            Node("etc/hostname", "file", b"fuzz\n"), Node("etc/passwd", "file",
                                                         b"root:x:0:0::/root:/bin/sh\n")]


def hostile_entry(rng: random.Random) -> list[Node]:
    """One or two tar entries that a careless reader would mishandle."""
    roll = rng.randrange(14)
    esc = rng.choice(ESCAPES)
    if roll == 0:
        return [Node(esc, "file", b"escaped")]
    if roll == 1:
        return [Node("evil", "symlink", target=esc), Node("evil/pwned", "file", b"through")]
    if roll == 2:
        return [Node("hl", "hardlink", target=esc)]
    if roll == 3:
        return [Node("dev/zero", "chardev")]
    if roll == 4:
        return [Node("fifo", "fifo")]
    if roll == 5:
        return [Node("etc/hostname", "file", b"again")]           # duplicate
    if roll == 6:
        return [Node("etc/.wh.hostname", "file"), Node("etc/.wh..wh..opq", "file")]
    if roll == 7:
        return [Node("a" * big(rng, [100, 101, 255, 256], [4096, 70000]), "file", b"long")]
    if roll == 8:
        return [Node(rng.choice(["\u00e9t\u00e9", "a\x01b", "sp ace", "new\nline", "./././x",
                                 "x/../../y", "//double", "back\\slash", "\udc80raw",
                                 ".wh..wh.plnk", ".wh.", "trailing/"]), "file", b"odd")]
    if roll == 9:
        return [Node("loop", "symlink", target="loop"), Node("self", "symlink", target=".")]
    if roll == 10:
        return [Node("hl2", "hardlink", target="does/not/exist")]
    if roll == 11:
        return [Node("big", "file", b"\0" * big(rng, [1 << 12], [1 << 16, 1 << 20]))]
    if roll == 12:
        return [Node(f"many/{i}", "file") for i in range(big(rng, [20, 100], [2000]))]
    return [Node("etc", "symlink", target="/etc"), Node("etc/shadow", "file", b"x")]


def layer_nodes(rng: random.Random) -> list[Node]:
    nodes = base_rootfs()
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        at = rng.randrange(len(nodes) + 1)
        nodes[at:at] = hostile_entry(rng)
    return nodes


@lru_cache(maxsize=4)
def bomb(kind: str, size: int) -> bytes:
    """A compressed tar holding one file of ``size`` zero bytes (streamed, built once)."""
    info = tarfile.TarInfo("zeros")
    info.size = size
    header = info.tobuf(tarfile.PAX_FORMAT)
    pad = (-size) % 512
    comp = lzma.LZMACompressor() if kind == "xz" else zlib.compressobj(6, zlib.DEFLATED, 31)
    parts = [comp.compress(header)]
    zeros = bytes(1 << 20)
    for _ in range(size >> 20):
        parts.append(comp.compress(zeros))
    parts += [comp.compress(bytes((size & ((1 << 20) - 1)) + pad + 1024)), comp.flush()]
    return b"".join(parts)


def compress(kind: str, data: bytes) -> bytes:
    if kind == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if kind == "xz":
        return lzma.compress(data, preset=0)      # a valid xz stream; the fast preset
    if kind == "bz2":
        return bz2.compress(data, compresslevel=1)
    return data


def damage(rng: random.Random, data: bytes) -> bytes:
    """Stream damage: truncation at a random point, or a few flipped bytes."""
    if not data:
        return data
    if rng.random() < 0.5:
        return data[: rng.randrange(len(data))]
    return bytemut.mutate(rng, data, rounds=rng.choice([1, 3]))


def make_layer(rng: random.Random) -> tuple[bytes, bytes, str]:
    """(blob, uncompressed tar, media type) of a possibly hostile layer."""
    if rng.random() < 0.01:
        plain = b""
        blob = bomb("gzip", rng.choice([64 << 20, 128 << 20]))
        return blob, plain, LAYER_TYPES["gzip"]
    plain = pack(layer_nodes(rng), rng.choice([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT,
                                               tarfile.USTAR_FORMAT]))
    kind = rng.choice(["gzip", "gzip", "none", "xz", "bz2"])
    blob = compress(kind, plain)
    media = LAYER_TYPES.get(kind, LAYER_TYPES["gzip"])
    if rng.random() < 0.15:
        media = rng.choice(list(LAYER_TYPES.values()))         # type does not match content
    if rng.random() < 0.1:
        blob = damage(rng, blob)
    return blob, plain, media


def maybe_mutate(rng: random.Random, doc: object, p: float) -> bytes:
    data = json.dumps(doc, separators=(",", ":")).encode()
    return jsonmut.mutate_json(rng, data) if rng.random() < p else data


def descriptor(rng: random.Random, media: str, blob: bytes, lie: float = 0.08) -> dict:
    desc = {"mediaType": media, "digest": sha(blob), "size": len(blob)}
    if rng.random() < lie:
        which = rng.randrange(4)
        if which == 0:
            desc["digest"] = sha(blob + b"x")
        elif which == 1:
            desc["size"] = rng.choice([0, len(blob) - 1, len(blob) + 1, 2 ** 53, -1])
        elif which == 2:
            desc["digest"] = "sha512:" + hashlib.sha512(blob).hexdigest()
        else:
            desc["digest"] = rng.choice(["sha256:../../../canary/secret", "sha256:" + "A" * 64,
                                         "sha256:/etc/passwd", "sha256:" + "0" * 64])
    return desc


def oci_image(rng: random.Random) -> tuple[list[Node], dict[str, bytes]]:
    """The nodes of an OCI layout and its blobs by digest (before blob damage)."""
    blobs: dict[str, bytes] = {}
    layers = []
    diff_ids = []
    for _ in range(rng.choice([1, 1, 2])):
        blob, plain, media = make_layer(rng)
        blobs[sha(blob)] = blob
        layers.append(descriptor(rng, media, blob))
        diff_ids.append(sha(plain) if rng.random() > 0.05 else sha(blob))
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created_by": "fuzz"} for _ in diff_ids]}
    config_blob = maybe_mutate(rng, config, 0.15)
    blobs[sha(config_blob)] = config_blob
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": descriptor(rng, OCI_CONFIG, config_blob), "layers": layers}
    manifest_blob = maybe_mutate(rng, manifest, 0.15)
    blobs[sha(manifest_blob)] = manifest_blob
    mdesc = descriptor(rng, OCI_MANIFEST, manifest_blob)
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [mdesc]}
    if rng.random() < 0.05:          # a nested index, or an index naming itself
        inner = maybe_mutate(rng, index, 0.1)
        blobs[sha(inner)] = inner
        index["manifests"].append(descriptor(rng, OCI_INDEX, inner))
    nodes = [Node("oci-layout", "file", maybe_mutate(rng, {"imageLayoutVersion": "1.0.0"},
                                                     0.08)),
             Node("index.json", "file", maybe_mutate(rng, index, 0.15)),
             Node("blobs", "dir"), Node("blobs/sha256", "dir")]
    return nodes, blobs


def blob_nodes(rng: random.Random, blobs: dict[str, bytes]) -> list[Node]:
    """Blob files, some of them damaged on disk."""
    out = []
    for digest, data in blobs.items():
        name = "blobs/" + digest.replace(":", "/", 1)
        roll = rng.random()
        if roll < 0.02:
            continue                                             # missing
        if roll < 0.04:
            out.append(Node(name, "symlink", target=rng.choice(ESCAPES)))
        elif roll < 0.05:
            out.append(Node(name, "fifo"))
        elif roll < 0.06:
            out.append(Node(name, "chardev"))
        elif roll < 0.07:
            out.append(Node(name, "dir"))
        elif roll < 0.09:
            out.append(Node(name.upper(), "file", data))
        elif roll < 0.11:
            out.append(Node(name, "file", damage(rng, data)))
        else:
            out.append(Node(name, "file", data))
    if rng.random() < 0.03:
        out.append(Node("blobs/sha256/extra", "file", b"stray"))
    if rng.random() < 0.03:
        out.append(Node("blobs/md5", "dir"))
    return out


def oci_layout(rng: random.Random) -> list[Node]:
    nodes, blobs = oci_image(rng)
    nodes += blob_nodes(rng, blobs)
    if rng.random() < 0.05:
        at = rng.randrange(len(nodes) + 1)
        nodes[at:at] = hostile_entry(rng)
    if rng.random() < 0.02:
        for node in nodes:
            if node.path in ("index.json", "oci-layout") and rng.random() < 0.5:
                node.kind, node.target, node.data = rng.choice(
                    [("symlink", rng.choice(ESCAPES), b""), ("fifo", "", b""),
                     ("dir", "", b"")])
    return nodes


def archive_bytes(rng: random.Random, nodes: list[Node]) -> bytes:
    """Pack, maybe prefix names, compress, maybe damage."""
    prefix = rng.choice(["", "", "", "./", "/", "../", "x/"])
    for node in nodes:
        node.path = prefix + node.path
    if rng.random() < 0.1:
        at = rng.randrange(len(nodes) + 1)
        nodes[at:at] = hostile_entry(rng)
    data = pack(nodes, rng.choice([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT]))
    data = compress(rng.choice(["none", "none", "none", "gzip", "xz", "bz2"]), data)
    if rng.random() < 0.12:
        data = damage(rng, data)
    return data


def oci_archive(rng: random.Random) -> bytes:
    return archive_bytes(rng, oci_layout(rng))


def docker_archive(rng: random.Random) -> bytes:
    blob, plain, _media = make_layer(rng)
    layer_tar = plain if plain and rng.random() < 0.8 else blob
    config = {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [sha(plain or blob)]},
              "history": [{"created_by": "fuzz"}]}
    config_blob = maybe_mutate(rng, config, 0.15)
    config_name = sha(config_blob).split(":")[1] + ".json"
    layer_id = hashlib.sha256(layer_tar).hexdigest()
    layer_name = rng.choice([f"{layer_id}/layer.tar", f"blobs/sha256/{layer_id}",
                             rng.choice(ESCAPES), "missing/layer.tar"] if rng.random() < 0.1
                            else [f"{layer_id}/layer.tar"])
    manifest = [{"Config": rng.choice([config_name] * 9 + [rng.choice(ESCAPES)]),
                 "RepoTags": ["fuzz:latest"], "Layers": [layer_name]}]
    repos = {"fuzz": {"latest": layer_id}}
    nodes = [Node("manifest.json", "file", maybe_mutate(rng, manifest, 0.2)),
             Node(config_name, "file", config_blob), Node(layer_id, "dir"),
             Node(f"{layer_id}/layer.tar", "file", layer_tar)]
    if rng.random() < 0.5:
        nodes.append(Node("repositories", "file", maybe_mutate(rng, repos, 0.15)))
    if rng.random() < 0.2:
        nodes.append(Node(f"{layer_id}/VERSION", "file", b"1.0"))
        nodes.append(Node(f"{layer_id}/json", "file", maybe_mutate(rng, {"id": layer_id}, 0.3)))
    rng.shuffle(nodes) if rng.random() < 0.1 else None
    return archive_bytes(rng, nodes)


def aci(rng: random.Random) -> bytes:
    manifest = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/fuzz",
                "labels": [{"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}],
                "app": {"exec": ["/bin/sh"], "user": "0", "group": "0"}}
    nodes = [Node("manifest", "file", maybe_mutate(rng, manifest, 0.3)), Node("rootfs", "dir")]
    for node in layer_nodes(rng):
        node.path = "rootfs/" + node.path
        nodes.append(node)
    if rng.random() < 0.01:
        return bomb(rng.choice(["gzip", "xz"]), 64 << 20)
    return archive_bytes(rng, nodes)
