"""The bundled reference registry: the distribution-spec API over a filesystem store.

``RegistryServer`` runs it in-process on a free loopback port (used by the tests and
by ``oci-conform matrix``); ``oci-conform-registry serve`` runs it as a command.
"""
from oci_conform.reference.registry.server import RegistryConfig, RegistryServer

__all__ = ["RegistryConfig", "RegistryServer"]
