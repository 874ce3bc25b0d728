"""Version numbers this runtime states (its own and the runtime-spec versions it accepts)."""
from __future__ import annotations

RUNTIME_VERSION = "0.1.0"
OCI_VERSION_MIN = "1.0.0"
OCI_VERSION_MAX = "1.3.0"
