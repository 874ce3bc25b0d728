"""What a check or case declares it judges: the source of the judged set and of ``--where``.

Each area exposes ``declarations() -> list[Declaration]`` built from explicit tables (a check
table, ``Case(clauses=...)`` objects): never from reflection over constants. The catalog's
judged count, ``oci-conform clauses --where`` and the contract test all read these.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Declaration:
    """A check or case and the clause ids it judges (written whole where it judges them)."""

    name: str                        # as results show it in ``case``: "runtime:delete-stopped"
    where: str                       # "module:function" of the code that judges
    clauses: tuple[str, ...]
    suite: str                       # runtime | registry | image | config | image-formats | ...
    select: str = ""                 # how to run just this: "oci-conform runtime test --case X"
    fixtures: tuple[str, ...] = ()   # fixture paths that exercise it
    can_judge: bool = True           # False: it can only ever skip here (e.g. other platform)
