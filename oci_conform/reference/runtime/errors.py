"""The one exception type the runtime raises for a user-facing failure."""
from __future__ import annotations


class RuntimeFailure(Exception):
    """An operation failed; the message is the one line printed on stderr."""
