"""Bundle rules: judged from the facts ``drivers.bundle_layout`` reads (pure, no I/O).

Whether ``config.json`` sits at the bundle's root as a regular file, and whether
``root.path`` names a directory there. Everything else is judged from the document.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.model.judging import Observation, failed, observed, passed

CONFIG_NAME = "config.json"


def config_file(facts: Any) -> Iterator[Observation]:
    """rt.bundle.container-format.1: the bundle holds config.json directly at its root."""
    if not facts.config:
        yield passed("rt.bundle.container-format.1")
        return
    what = "there is none" if facts.config == "absent" else f"it is {facts.config}"
    yield failed("rt.bundle.container-format.1",
                 f"no regular file {CONFIG_NAME} at the root of bundle {facts.folder} ({what})",
                 location="", expected=f"{facts.folder}/{CONFIG_NAME}",
                 actual=", ".join(facts.others) or facts.config)


def root_directory(facts: Any, platform: str) -> Iterator[Observation]:
    """rt.config.root.8: root.path (relative to the bundle) is an existing directory;
    rt.bundle.container-format.2: that directory sits in the bundle folder with config.json."""
    if platform == "windows" or not facts.root_path:
        return
    if facts.root == "directory" and facts.root_inside is not None:
        yield observed("rt.bundle.container-format.2", facts.root_inside,
                       "the root filesystem is not in the bundle folder beside config.json",
                       location="/root/path", expected=f"a directory under {facts.folder}",
                       actual=f"{facts.root_path} -> {facts.root_real}")
    state = "does not exist" if facts.root == "absent" else f"is {facts.root}"
    yield observed("rt.config.root.8", facts.root == "directory",
                   f"root.path does not name a directory ({facts.root_target} {state})",
                   location="/root/path", expected="an existing directory",
                   actual=facts.root_target)
