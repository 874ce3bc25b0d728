"""Why gVisor's ``runsc`` refused: its sandbox writes the reason to its own debug logs.

When the sandbox of a container fails to start, ``runsc create`` only says it could not
read from the sandbox ("waiting for sandbox to start: EOF"); the gofer and boot processes
log the actual reason as a ``FATAL ERROR`` line. The runtime driver gives each runsc call a
``--debug-log`` folder of its own and, on failure, adds those lines to the call's stderr, so
a refusal is judged by what the runtime itself said.
"""
from __future__ import annotations

from pathlib import Path

from oci_conform.drivers.files import UnsafePath, read_regular

MARKER = "FATAL ERROR:"
MAX_LOG = 1 << 20          # bytes read per log file
MAX_FILES = 16


def is_runsc(binary: str) -> bool:
    return Path(binary).name == "runsc"


def debug_log_args(folder: Path) -> list[str]:
    """The global flag that sends this call's logs to ``folder`` (a trailing slash makes
    runsc write one file per process there)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [f"--debug-log={folder}/"]


def fatal_lines(folder: Path) -> list[str]:
    """The distinct ``FATAL ERROR`` messages in ``folder``'s logs, oldest file first."""
    found: list[str] = []
    try:
        files = sorted(p for p in folder.iterdir() if p.name.startswith("runsc.log."))
    except OSError:
        return found
    for path in files[:MAX_FILES]:
        try:
            text = read_regular(path, MAX_LOG).decode(errors="replace")
        except (OSError, UnsafePath):
            continue
        for line in text.splitlines():
            if MARKER in line:
                message = line.split(MARKER, 1)[1].strip()
                if message and message not in found:
                    found.append(message)
    return found


def with_reason(stderr: str, folder: Path) -> str:
    """``stderr`` followed by the sandbox's own reason, when its logs hold one."""
    lines = fatal_lines(folder)
    if not lines:
        return stderr
    return stderr.rstrip() + "\nrunsc sandbox log: " + " | ".join(lines)[-1000:]
