"""The bundled reference OCI runtime: plain Python plus ctypes for the system calls.

Entry point: :func:`oci_conform.reference.runtime.cli.main` (``oci-conform-runtime``).
"""
