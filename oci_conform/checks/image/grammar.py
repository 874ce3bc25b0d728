"""Grammars the image spec names: digests, media types (RFC 6838), URIs, platforms."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from oci_conform.checks.image import clauses as C

DIGEST_RE = re.compile(r"^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")


@dataclass(frozen=True)
class Algorithm:
    name: str
    hex_len: int
    encoded_clause: str
    case_clause: str
    since: str = ""          # first image-spec version that registers it ("" = always)


ALGORITHMS = {
    "sha256": Algorithm("sha256", 64, C.DIGEST_SHA256_ENC, C.DIGEST_SHA256_CASE),
    "sha512": Algorithm("sha512", 128, C.DIGEST_SHA512_ENC, C.DIGEST_SHA512_CASE),
    "blake3": Algorithm("blake3", 64, C.DIGEST_BLAKE3_ENC, C.DIGEST_BLAKE3_CASE, since="main"),
}


def registered(version: str) -> dict[str, Algorithm]:
    """The algorithms a given image-spec version registers."""
    return {n: a for n, a in ALGORITHMS.items() if not a.since or version == "main"}


def digest_problems(digest: object, version: str) -> list[tuple[str, str]]:
    """(clause, message) for each way ``digest`` breaks the grammar or its algorithm's rule."""
    if not isinstance(digest, str):
        return [(C.DESC_DIGEST, f"digest must be a string, got {type(digest).__name__}")]
    m = DIGEST_RE.match(digest)
    if not m:
        return [(C.DIGEST_GRAMMAR, f"{digest!r} does not match algorithm:encoded")]
    alg = registered(version).get(m.group(1))
    if not alg:
        return []
    enc = m.group(2)
    if len(enc) == alg.hex_len and re.fullmatch(r"[a-fA-F0-9]+", enc) and enc != enc.lower():
        return [(alg.case_clause, f"{alg.name} digest uses upper-case hex: {digest}")]
    if not re.fullmatch(f"[a-f0-9]{{{alg.hex_len}}}", enc):
        return [(alg.encoded_clause, f"{alg.name} encoded part must be {alg.hex_len} lower-case "
                                     f"hex digits, got {len(enc)} characters")]
    return []


_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
MEDIA_TYPE_RE = re.compile(rf"^{_NAME}/{_NAME}(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"[^\"]*\"))*$")


def media_type_ok(value: object) -> bool:
    """RFC 6838 section 4.2 names (type/subtype), with optional parameters."""
    return isinstance(value, str) and bool(MEDIA_TYPE_RE.match(value))


_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


def uri_ok(value: object) -> bool:
    """An absolute RFC 3986 URI (scheme, no spaces or forbidden characters, valid % escapes)."""
    if not isinstance(value, str) or not _URI_RE.match(value):
        return False
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        return False
    try:
        urlsplit(value)
    except ValueError:
        return False
    return True


GOOS = {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
        "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"}
GOARCH = {"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
          "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
          "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"}
VARIANTS = {"arm": {"v6", "v7", "v8"}, "arm64": {"v8", "v8.0", "v8.1", "v8.2", "v8.3", "v8.4",
                                               "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9",
                                               "v9.0", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"},
            "amd64": {"v1", "v2", "v3", "v4"}, "386": {"sse", "softfloat"},
            "ppc64le": {"power8", "power9", "power10"}, "riscv64": {"rva20u64", "rva22u64"}}

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYOUT = "application/vnd.oci.layout.header.v1+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_DESCRIPTOR = "application/vnd.oci.descriptor.v1+json"
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": "none",
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd": "zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": "none",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": "zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.diff.tar": "none",
    "application/vnd.docker.image.rootfs.diff.tar.zstd": "zstd",
}
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
