"""Columns made of shell commands (``NAME=COMMAND``): parsing, presence and version."""
from __future__ import annotations

import shutil
import subprocess

from oci_conform.model.results import Implementation


def parse_name_command(text: str, builtin: dict[str, str]) -> tuple[str, str]:
    """(name, command) from ``NAME=COMMAND``; a built-in name as COMMAND stands for its
    command. Raises ValueError with a one-line reason."""
    name, sep, command = text.partition("=")
    if not sep or not name.strip() or not command.strip():
        raise ValueError(f"expected NAME=COMMAND, got {text!r}")
    return name.strip(), builtin.get(command.strip(), command.strip())


def tool_version(tool: str) -> str:
    """The first line ``TOOL --version`` prints ('' when it cannot run)."""
    try:
        done = subprocess.run([tool, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout.decode(errors="replace").strip().splitlines() or [""])[0][:80]


def command_implementation(name: str, kind: str, command: str, tool: str) -> Implementation:
    """A column for ``command``; unavailable, with the reason, when ``tool`` is missing."""
    if not shutil.which(tool):
        return Implementation(name, kind, command=command, available=False,
                              reason=f"{tool} is not installed")
    return Implementation(name, kind, command=command, version=tool_version(tool))
