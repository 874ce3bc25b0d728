"""Names, tags and digests as the distribution spec spells them."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

NAME_RE = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
TAG_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
DIGEST_RE = re.compile(r"([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)")
MAX_NAME = 255

# Algorithms this registry can verify: name -> (hashlib name, encoded length).
ALGORITHMS = {"sha256": ("sha256", 64), "sha512": ("sha512", 128)}


@dataclass(frozen=True)
class Digest:
    """A parsed digest: algorithm and encoded part."""

    algorithm: str
    encoded: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.encoded}"

    def hasher(self) -> hashlib._Hash:
        return hashlib.new(ALGORITHMS[self.algorithm][0])


def valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME and NAME_RE.fullmatch(name) is not None


def valid_tag(tag: str) -> bool:
    return TAG_RE.fullmatch(tag) is not None


def parse_digest(text: str) -> Digest | None:
    """A digest this registry supports, or None (bad grammar or unsupported algorithm)."""
    m = DIGEST_RE.fullmatch(text)
    if not m:
        return None
    alg, enc = m.group(1), m.group(2)
    spec = ALGORITHMS.get(alg)
    if spec is None or len(enc) != spec[1] or not re.fullmatch(r"[a-f0-9]+", enc):
        return None
    return Digest(alg, enc)


def looks_like_digest(text: str) -> bool:
    """True when ``text`` has a digest's shape (even if its algorithm is unsupported)."""
    return ":" in text


def digest_of(data: bytes, algorithm: str = "sha256") -> Digest:
    return Digest(algorithm, hashlib.new(ALGORITHMS[algorithm][0], data).hexdigest())


def referrers_tag(digest: Digest) -> str:
    """The fallback tag that holds a subject's referrers index."""
    alg = re.sub(r"[^a-zA-Z0-9._-]", "-", digest.algorithm[:32])
    enc = re.sub(r"[^a-zA-Z0-9._-]", "-", digest.encoded[:64])
    return f"{alg}-{enc}"
