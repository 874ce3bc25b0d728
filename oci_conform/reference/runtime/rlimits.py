"""POSIX rlimit names and applying them with setrlimit."""
from __future__ import annotations

NUMBERS = {
    "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
    "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8,
    "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12,
    "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
}
_UNLIMITED = (1 << 64) - 1


def known(name: object) -> bool:
    return isinstance(name, str) and name in NUMBERS


def _value(v: int) -> int:
    import resource
    return resource.RLIM_INFINITY if v < 0 or v >= _UNLIMITED else v


def apply(limits: list[dict]) -> None:
    """setrlimit each entry (OSError names the type on failure)."""
    import resource
    for lim in limits:
        try:
            resource.setrlimit(NUMBERS[lim["type"]], (_value(lim["soft"]), _value(lim["hard"])))
        except (OSError, ValueError) as exc:
            raise OSError(getattr(exc, "errno", 1) or 1,
                          f"setrlimit {lim['type']} soft {lim['soft']} hard {lim['hard']}: "
                          f"{exc}") from None
