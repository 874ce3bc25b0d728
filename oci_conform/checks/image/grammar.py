"""Grammars the image spec names: digests, media types (RFC 6838), URIs, platforms."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

DIGEST_RE = re.compile(r"^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")


# Registered algorithms and the length of their hex encoding; blake3 only on main.
HEX_LEN = {"sha256": 64, "sha512": 128, "blake3": 64}


def registered(version: str) -> dict[str, int]:
    """The algorithms a given image-spec version registers, with their hex length."""
    return {n: k for n, k in HEX_LEN.items() if n != "blake3" or version == "main"}


def digest_problems(digest: object, version: str) -> list[tuple[str, str]]:
    """(clause, message) for each way ``digest`` breaks the grammar or its algorithm's rule."""
    if not isinstance(digest, str):
        return [("image.descriptor.properties.3",
                 f"digest must be a string, got {type(digest).__name__}")]
    m = DIGEST_RE.match(digest)
    if not m:
        return [("image.descriptor.digests.1", f"{digest!r} does not match algorithm:encoded")]
    alg, enc = m.group(1), m.group(2)
    hex_len = registered(version).get(alg)
    if hex_len is None:
        return []
    upper = len(enc) == hex_len and bool(re.fullmatch(r"[a-fA-F0-9]+", enc)) \
        and enc != enc.lower()
    bad = not upper and not re.fullmatch(f"[a-f0-9]{{{hex_len}}}", enc)
    if not (upper or bad):
        return []
    case_msg = f"{alg} digest uses upper-case hex: {digest}"
    enc_msg = (f"{alg} encoded part must be {hex_len} lower-case hex digits, "
               f"got {len(enc)} characters")
    if alg == "sha256":
        return [("image.descriptor.sha-256.3", case_msg) if upper
                else ("image.descriptor.sha-256.2", enc_msg)]
    if alg == "sha512":
        return [("image.descriptor.sha-512.3", case_msg) if upper
                else ("image.descriptor.sha-512.2", enc_msg)]
    return [("image.descriptor.blake3.lowercase", case_msg) if upper
            else ("image.descriptor.blake3.encoded", enc_msg)]


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
