"""A tiny classic-BPF assembler with forward labels (for seccomp filters).

Instructions are (code, jt, jf, k) where jt/jf may be label names; ``assemble``
resolves labels to the 8-bit forward offsets the kernel wants.
"""
from __future__ import annotations

import struct

LD_W_ABS = 0x20
ALU_AND_K = 0x54
JEQ_K = 0x15
JGT_K = 0x25
JGE_K = 0x35
RET_K = 0x06

Target = int | str


class Program:
    def __init__(self) -> None:
        self.code: list[tuple[int, Target, Target, int]] = []
        self.labels: dict[str, int] = {}
        self._n = 0

    def label(self, hint: str = "L") -> str:
        self._n += 1
        return f"{hint}{self._n}"

    def here(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def ld(self, offset: int) -> None:
        self.code.append((LD_W_ABS, 0, 0, offset))

    def and_(self, mask: int) -> None:
        self.code.append((ALU_AND_K, 0, 0, mask & 0xFFFFFFFF))

    def jump(self, op: int, k: int, jt: Target = 0, jf: Target = 0) -> None:
        self.code.append((op, jt, jf, k & 0xFFFFFFFF))

    def ret(self, k: int) -> None:
        self.code.append((RET_K, 0, 0, k & 0xFFFFFFFF))

    def assemble(self) -> bytes:
        out = []
        for pc, (code, jt, jf, k) in enumerate(self.code):
            out.append(struct.pack("=HBBI", code, self._off(pc, jt), self._off(pc, jf), k))
        if len(self.code) > 4096:
            raise ValueError(f"seccomp filter too long ({len(self.code)} instructions)")
        return b"".join(out)

    def _off(self, pc: int, target: Target) -> int:
        if isinstance(target, int):
            return target
        if target not in self.labels:
            raise ValueError(f"undefined label {target}")
        off = self.labels[target] - pc - 1
        if not 0 <= off <= 255:
            raise ValueError(f"jump to {target} out of range ({off})")
        return off
