"""Fixtures for the registry tests: Debian's docker-registry on loopback, one suite run."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.docker_registry import DockerRegistry, binary_path
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RegistryOptions, RunContext
from oci_conform.suites.registry import SUITE


@dataclass
class SuiteRun:
    registry: DockerRegistry
    results: list[CaseResult]


@pytest.fixture(scope="session")
def docker_registry() -> Iterator[DockerRegistry]:
    if not binary_path():
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    with DockerRegistry() as reg:
        yield reg


@pytest.fixture(scope="session")
def suite_run(docker_registry: DockerRegistry) -> SuiteRun:
    """The whole suite, once, against the loopback docker-registry (profile v1.1)."""
    with tempfile.TemporaryDirectory(prefix="oci-conform-test-") as tmp:
        ctx = RunContext(catalog=default_catalog(), workdir=Path(tmp),
                         registry=RegistryOptions(profile="v1.1"))
        impl = Implementation("docker-registry", "registry", command=docker_registry.url)
        results = list(SUITE.run(impl, ctx))
    return SuiteRun(docker_registry, results)
