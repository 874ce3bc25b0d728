"""Clauses and specs: the catalog as data."""
from __future__ import annotations

from dataclasses import dataclass, field

from oci_conform.model.outcome import Level
from oci_conform.model.results import ClauseInfo

BINDS = ("image", "runtime", "registry", "client", "config", "image-tool", "harness")
PLATFORMS = ("linux", "windows", "solaris", "freebsd", "vm", "zos")


@dataclass(frozen=True)
class Spec:
    """One specification: its versions (oldest first) and its link pattern."""

    name: str
    prefix: str
    title: str
    versions: tuple[str, ...]
    default_version: str
    link: str
    ref: str
    derived: bool = False

    def link_for(self, document: str, anchor: str, version: str | None = None) -> str:
        ver = version or self.default_version
        ref = self.ref.format(version=ver) if ver != "main" else "main"
        return self.link.format(ref=ref, document=document, anchor=anchor)

    def index(self, version: str) -> int:
        return self.versions.index(version)


@dataclass(frozen=True)
class Clause:
    """One normative statement: what it asks, of whom, since when, and how it is judged."""

    id: str
    spec: str
    document: str
    anchor: str
    level: Level
    binds: str
    summary: str
    since: str = ""                     # first version it holds for ("" = the first known)
    until: str = ""                     # first version it no longer holds for ("" = still holds)
    platform: str = ""                  # "" = every platform
    untestable: str = ""                # why no program can judge it, when none can
    derived: bool = False               # derived from prose without RFC 2119 words
    line: int = 0                       # the line in the reference text it came from
    text: str = ""                      # which reference text ("v1.1.1", "main")
    note: str = ""                      # why this clause differs from a plain one-line count
    section: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def holds_for(self, spec: Spec, version: str) -> bool:
        """True when this clause's rule is in force in ``version`` of its spec."""
        if version not in spec.versions:
            return True
        at = spec.index(version)
        if self.since and at < spec.index(self.since):
            return False
        return not (self.until and at >= spec.index(self.until))

    def info(self, spec: Spec, version: str | None = None) -> ClauseInfo:
        return ClauseInfo(id=self.id, spec=self.spec, document=self.document,
                          section=self.section or self.anchor, level=self.level,
                          summary=self.summary, link=spec.link_for(self.document, self.anchor,
                                                                   version))
