"""Observations that still work on a runtime with its own kernel (gVisor's runsc): limits and
umask read back through PID 1's own calls, refusal reasons from runsc's sandbox logs, the
synopsis naming a missing id. Pure parts; the real runs are in tests/engines."""
from __future__ import annotations

from pathlib import Path

from oci_conform.drivers import runsc_logs
from oci_conform.suites.runtime.case import Probe
from oci_conform.suites.runtime.process import _rlimit_seen, _rounded, _ulimit_value
from oci_conform.suites.runtime.refusal import names_fault
from oci_conform.suites.runtime.state_ops import NO_ID_WORDS

# busybox ash's ``ulimit -a`` as gVisor's sentry answers it (soft, then hard)
SOFT = """core file size (blocks)         (-c) 1
file size (blocks)              (-f) unlimited
open files                      (-n) 300
POSIX message queues (bytes)    (-q) 819200
cpu time (seconds)              (-t) unlimited
max user processes              (-u) unlimited
"""
HARD = SOFT.replace("(-n) 300", "(-n) 600").replace("(-c) 1", "(-c) 3")


def _probe(**files: str) -> Probe:
    return Probe(files=dict(files), create=None, start=None, state=None)


def test_limits_come_from_proc_when_it_has_the_row() -> None:
    obs = _probe(limits="Max open files            100                  200                  "
                        "files\n", **{"ulimit-soft": SOFT, "ulimit-hard": HARD})
    assert _rlimit_seen(obs, "RLIMIT_NOFILE") == ("100", "200", "/proc/1/limits")


def test_limits_fall_back_to_getrlimit_without_proc_limits() -> None:
    obs = _probe(**{"ulimit-soft": SOFT, "ulimit-hard": HARD})
    soft, hard, source = _rlimit_seen(obs, "RLIMIT_NOFILE") or ("", "", "")
    assert (soft, hard) == ("300", "600") and source.startswith("getrlimit")
    # core sizes are shown in 512-byte blocks: compared at that precision
    assert _ulimit_value(obs, "soft", "RLIMIT_CORE") == "512"
    assert _rounded(1000, "RLIMIT_CORE", source) == "512"
    assert _rounded(1000, "RLIMIT_CORE", "/proc/1/limits") == "1000"
    assert _ulimit_value(obs, "soft", "RLIMIT_FSIZE") == "unlimited"


def test_nothing_seen_is_none_never_a_value() -> None:
    assert _rlimit_seen(_probe(), "RLIMIT_NOFILE") is None
    assert _rlimit_seen(_probe(**{"ulimit-soft": SOFT}), "RLIMIT_NOFILE") is None


def test_runsc_sandbox_reason_is_added_to_stderr(tmp_path: Path) -> None:
    (tmp_path / "runsc.log.20261207-042513.939287.gofer.txt").write_text(
        "I1207 main.go:255] Failed to set RLIMIT_MEMLOCK\n"
        "W1207 util.go:64] FATAL ERROR: Error setting up root FS: mounting root: "
        "no such file or directory\n")
    (tmp_path / "runsc.log.20261207-042513.941875.boot.txt").write_text(
        "W1207 util.go:64] FATAL ERROR: Error reading mounts file: unexpected end\n")
    (tmp_path / "unrelated.txt").write_text("FATAL ERROR: not runsc's\n")
    said = runsc_logs.with_reason("waiting for sandbox to start: EOF", tmp_path)
    assert said.startswith("waiting for sandbox to start: EOF\nrunsc sandbox log: ")
    assert "mounting root: no such file or directory" in said and "not runsc's" not in said
    assert runsc_logs.with_reason("x", tmp_path / "absent") == "x"
    assert runsc_logs.is_runsc("/usr/bin/runsc") and not runsc_logs.is_runsc("runc")


def test_runsc_synopsis_names_the_missing_id() -> None:
    assert names_fault("state [flags] <container id> - get the state of a container",
                       NO_ID_WORDS)
    assert names_fault("delete [flags] <container ids>", NO_ID_WORDS)
    assert not names_fault("cannot read client sync file: EOF", NO_ID_WORDS)
