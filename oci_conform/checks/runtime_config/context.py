"""What a check may know besides the document: target platform and spec version."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

RUNTIME_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "main")
PLATFORMS = ("linux", "windows", "solaris", "vm", "zos", "freebsd")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")


def _triple(version: str) -> tuple[int, int, int] | None:
    m = SEMVER.match(version)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def spec_version_for(declared: Any, known: tuple[str, ...] = RUNTIME_VERSIONS) -> str:
    """The catalog version whose rules apply to a document declaring ``declared``.

    A release ``X.Y.Z`` maps to itself; a pre-release or build (``1.0.2-dev``,
    ``1.3.0+dev``) maps to the newest release not after ``X.Y.Z``; anything newer
    than every release, or unparsable, maps to the newest text (``main``).
    """
    if isinstance(declared, str) and declared in known:
        return declared
    triple = _triple(declared) if isinstance(declared, str) else None
    releases = [(t, v) for v in known if (t := _triple(v)) is not None]
    if triple is None or not releases:
        return known[-1]
    if triple > max(t for t, _ in releases):
        return known[-1]
    fitting = [v for t, v in releases if t <= triple]
    return fitting[-1] if fitting else releases[0][1]


def platform_of(doc: Any) -> str:
    """The platform a config targets: the one platform section it has, else linux."""
    if isinstance(doc, dict):
        present = [p for p in PLATFORMS if p in doc and p != "vm"]
        if len(present) == 1:
            return present[0]
    return "linux"


@dataclass(frozen=True)
class Ctx:
    """The platform and spec version a config is judged against."""

    platform: str = "linux"
    version: str = "main"
    versions: tuple[str, ...] = RUNTIME_VERSIONS
    also: frozenset[str] = frozenset()    # platforms whose sections also apply (e.g. vm)
    # Clauses below MUST level (MAY "may be set", SHOULD): a wrong value of their field is
    # judged under the document's MUST on field values, not under them.
    optional: frozenset[str] = frozenset()

    def at_least(self, version: str) -> bool:
        """True when the judged spec version is ``version`` or later."""
        if self.version not in self.versions or version not in self.versions:
            return True
        return self.versions.index(self.version) >= self.versions.index(version)

    @property
    def posix(self) -> bool:
        return self.platform != "windows"
