"""Byte-level damage: bit flips, truncation, insertion, deletion, splices of interesting bytes."""
from __future__ import annotations

import random

INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xef\xbb\xbf",
               b"\\u0000", b"\\ud800", b'"', b"{", b"[", b"}", b"]", b",", b":", b"\n",
               b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh", b"\x28\xb5\x2f\xfd", b"ustar\x00"]


def flip(rng: random.Random, data: bytearray) -> None:
    if data:
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)


def mutate(rng: random.Random, data: bytes, rounds: int | None = None) -> bytes:
    """1-8 random byte edits; always returns bytes (possibly empty)."""
    buf = bytearray(data)
    for _ in range(rounds or rng.choice([1, 1, 2, 4, 8])):
        roll = rng.randrange(7)
        if roll == 0:
            flip(rng, buf)
        elif roll == 1 and buf:
            del buf[rng.randrange(len(buf)):]              # truncate
        elif roll == 2:
            i = rng.randrange(len(buf) + 1)
            buf[i:i] = rng.choice(INTERESTING)
        elif roll == 3 and buf:
            i = rng.randrange(len(buf))
            del buf[i:i + rng.choice([1, 2, 16, 512])]
        elif roll == 4 and buf:
            i = rng.randrange(len(buf))
            buf[i] = rng.randrange(256)
        elif roll == 5 and buf:
            i = rng.randrange(len(buf))
            j = rng.randrange(len(buf))
            buf[i:i] = buf[j:j + rng.choice([4, 64, 1024])]   # duplicate a slice
        else:
            for _ in range(rng.choice([1, 8, 64])):
                flip(rng, buf)
    return bytes(buf)
