"""``oci-conform-registry`` as the fuzz campaign starts it: the real command, plus tracebacks.

The reference registry answers an unexpected exception with a 500 and logs only its repr.
This wrapper makes the log line carry the traceback too (so a report can name the file
and line), then runs the real command line unchanged.
"""
from __future__ import annotations

import sys
import traceback


def main() -> int:
    from oci_conform.reference.registry import server
    from oci_conform.reference.registry.cli import main as real_main

    original = server.Handler.log_error

    def log_error(self, format: str, *args: object) -> None:  # noqa: A002
        original(self, format, *args)
        # only the project's own catch-all; the standard library also logs from inside its
        # own except clauses (a bad request line, too many headers) where nothing is wrong
        if format.startswith("internal error") and sys.exc_info()[1] is not None:
            sys.stderr.write(traceback.format_exc())
            sys.stderr.flush()

    server.Handler.log_error = log_error  # type: ignore[method-assign]
    return real_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
