"""process.scheduler and process.ioPriority (runtime-spec 1.1.0), read back inside.

The probe copies ``/proc/1/stat`` (field 19 nice, 40 rt_priority, 41 policy) and asks
busybox ``ionice -p 1`` for the I/O class and level of the container process.
"""
from __future__ import annotations

from pathlib import Path

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Probe,
    Why,
    broke,
    expect,
    probe_case,
    unjudged,
)
from oci_conform.suites.runtime.refusal import error_case
from oci_conform.suites.runtime.sandbox import JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

G = "process"
STAT = "cat /proc/1/stat > /results/stat"
POLICIES = {0: "SCHED_OTHER", 1: "SCHED_FIFO", 2: "SCHED_RR", 3: "SCHED_BATCH",
            5: "SCHED_IDLE", 6: "SCHED_DEADLINE"}


def sched_fields(obs: Probe) -> dict[str, int] | None:
    """nice, rt_priority and policy of the container process from /proc/1/stat."""
    text = obs.get("stat")
    if ")" not in text:
        return None
    rest = text.rsplit(")", 1)[1].split()   # rest[0] is field 3 (state)
    try:
        return {"nice": int(rest[16]), "rt_priority": int(rest[37]), "policy": int(rest[38])}
    except (IndexError, ValueError):
        return None


def _sched(entry: JSON):
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["process"]["scheduler"] = dict(entry)
    return m


def _show(f: dict[str, int]) -> str:
    return (f"policy {POLICIES.get(f['policy'], f['policy'])}, nice {f['nice']}, "
            f"rt_priority {f['rt_priority']}")


def batch_nice_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> list[Judgment] | Judgment:
        f = sched_fields(obs)
        if f is None:
            return broke(f"unreadable /proc/1/stat: {obs.get('stat')[:120]!r}")
        return [expect(f["policy"] == 3, "scheduler.policy applies", "SCHED_BATCH", _show(f),
                       "", "rt.config.linux-process.14", "rt.config.linux-process.15"),
                expect(f["nice"] == 5, "scheduler.nice applies", "nice 5", _show(f), "",
                       "rt.config.linux-process.16")]
    return probe_case("scheduler-batch-nice", G, ("rt.config.linux-process.14",
                                                  "rt.config.linux-process.15",
                                                  "rt.config.linux-process.16"), STAT, judge,
                      _sched({"policy": "SCHED_BATCH", "nice": 5}), since="1.1.0")


def defaults_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> list[Judgment] | Judgment:
        f = sched_fields(obs)
        if f is None:
            return broke(f"unreadable /proc/1/stat: {obs.get('stat')[:120]!r}")
        applied = expect(f["policy"] == 5, "scheduler.policy applies", "SCHED_IDLE",
                         _show(f), "", "rt.config.linux-process.14")
        if f["policy"] != 5:
            return [applied, unjudged(Why.ABSENT, "the scheduler was not applied (failed "
                                      "under rt.config.linux-process.14), so it has no "
                                      "defaults to show", "rt.config.linux-process.16-b",
                                      "rt.config.linux-process.17-b")]
        return [applied,
                expect(f["nice"] == 0, "a scheduler without nice uses nice 0", "nice 0",
                       _show(f), "", "rt.config.linux-process.16-b"),
                expect(f["rt_priority"] == 0, "a scheduler without priority uses 0",
                       "rt_priority 0", _show(f), "", "rt.config.linux-process.17-b")]

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["process"]["scheduler"] = {"policy": "SCHED_IDLE"}
    return probe_case("scheduler-defaults", G, ("rt.config.linux-process.14",
                                                "rt.config.linux-process.16-b",
                                                "rt.config.linux-process.17-b"), STAT,
                      judge, mutate, since="1.1.0",
                      doc="weak when the harness itself runs at nice 0: the default is "
                          "then also what inheritance gives")


def _no_rt_group(t: RuntimeTarget) -> str | None:
    if Path("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").exists() or \
            Path("/sys/fs/cgroup/cpu.rt_runtime_us").exists():
        return ("host has realtime group scheduling: a new container cgroup has no "
                "realtime budget, so SCHED_FIFO cannot be granted there")
    return None


def fifo_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> list[Judgment] | Judgment:
        f = sched_fields(obs)
        if f is None:
            return broke(f"unreadable /proc/1/stat: {obs.get('stat')[:120]!r}")
        return expect(f["policy"] == 1 and f["rt_priority"] == 10, "scheduler.priority "
                      "applies to a real-time policy", "SCHED_FIFO, rt_priority 10", _show(f))
    return probe_case("scheduler-fifo-priority", G, ("rt.config.linux-process.17",), STAT, judge,
                      _sched({"policy": "SCHED_FIFO", "priority": 10}),
                      requires=(_no_rt_group,), since="1.1.0")


def _bad_policy(cfg: JSON, sb: Sandbox) -> None:
    cfg["process"]["scheduler"] = {"policy": "SCHED_NO_SUCH"}


def _other_policy(cfg: JSON, sb: Sandbox) -> None:
    cfg["process"]["scheduler"] = {"policy": "SCHED_OTHER"}


IOPRIO = {"IOPRIO_CLASS_BE": ("best-effort", 6), "IOPRIO_CLASS_IDLE": ("idle", 0)}


def ioprio_case(klass: str) -> Case:
    word, level = IOPRIO[klass]
    script = "ionice -p 1 > /results/ionice 2>&1"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = obs.get("ionice").strip()
        if not got:
            return broke("ionice printed nothing")
        want = f"{word}: prio {level}" if word != "idle" else "idle"
        good = got.startswith(want)
        return expect(good, "ioPriority applies to the container process", want, got)
    name = word.replace("-", "")
    return probe_case(f"io-priority-{name}", G, ("rt.config.linux-process.23",
                                                 "rt.config.linux-process.24",
                                                 "rt.config.linux-process.25"), script, judge,
                      lambda c, s: c["process"].__setitem__(
                          "ioPriority", {"class": klass, "priority": level}),
                      since="1.1.0")


CASES: list[Case] = [
    batch_nice_case(), defaults_case(), fifo_case(),
    error_case("scheduler-unknown-policy-errors", G, ("rt.config.linux-process.15",), _bad_policy,
               ("SCHED_NO_SUCH", "policy", "scheduler"), _other_policy, since="1.1.0"),
    *[ioprio_case(k) for k in IOPRIO],
]
