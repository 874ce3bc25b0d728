"""The bundled reference registry: the distribution-spec API over a filesystem store.

``RegistryServer`` runs it in-process on a free loopback port (used by the tests and
by ``oci-conform matrix`` through ``running``); ``oci-conform-registry serve`` runs it
as a command.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oci_conform import __version__
from oci_conform.reference.registry.server import RegistryConfig, RegistryServer

__all__ = ["RegistryConfig", "RegistryServer", "running", "__version__"]


@contextlib.contextmanager
def running(folder: Path, **options: Any) -> Iterator[str]:
    """Serve a registry stored under ``folder`` on a free loopback port; yield its base URL.

    ``options`` are RegistryConfig fields (profile, read_only, htpasswd, token_auth, ...).
    """
    with RegistryServer(RegistryConfig(storage=Path(folder) / "storage", **options)) as server:
        yield server.url
