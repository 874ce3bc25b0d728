"""oci-conform: conformance checks for the OCI image, runtime and distribution specs."""

__version__ = "0.1.0"
