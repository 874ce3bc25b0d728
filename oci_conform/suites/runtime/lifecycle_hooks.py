"""The six hook types: when they run, what they get on stdin, where, with what, and failures.

Every hook is a small POSIX ``sh`` script (``hook.sh`` on the host for hooks whose
path resolves in the runtime namespace, ``/oci-hook.sh`` in the rootfs for
``startContainer``).  It appends ``HOOK <label>`` to an order log that the harness
also writes ``OP <operation> begin|end`` lines to, and saves its arguments,
environment, namespaces and stdin in ``hook-<label>.txt``.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Why,
    bad,
    broke,
    expect,
    needs_hook,
    ok,
    unjudged,
)
from oci_conform.suites.runtime.sandbox import Sandbox, parse_json

G = "hooks"
SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
TYPES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
         "poststop")
NEW_TYPES = ("createRuntime", "createContainer", "startContainer")
PHASE = {"prestart": "create", "createRuntime": "create", "createContainer": "create",
         "startContainer": "start", "poststart": "start", "poststop": "delete"}
IN_CONTAINER = ("createContainer", "startContainer")
NS_TYPES = ("mnt", "uts", "ipc", "net")
ENV = ["OC_HOOK=1", "OC_SPACED=a b  c", "OC_EMPTY="]
ARGS_TAIL = ["two words", "--flag=x", ""]
ANNOTATIONS = {"org.oci-conform.hooks": "state fields"}
# The status each hook type sees: during create the container is still being created; the
# startContainer hooks run after create finished and before the program; poststart after
# the program was executed (it is still running: it waits for the harness's word on the
# GO fifo, given only after ``start`` returned); poststop once it has exited.
HOOK_STATUS = {"prestart": "creating", "createRuntime": "creating",
               "createContainer": "creating", "startContainer": "created",
               "poststart": "running", "poststop": "stopped"}
GO = "go"
PROGRAM = ("echo PROG >> /results/order.log; read -r word < /results/go; "
           "echo done > /results/prog-done")

HOOK_SCRIPT = r"""#!/bin/sh
# $1: label; $2: behaviour (ok|fail|sleep); the rest: arguments to record verbatim.
dir=@HOSTRESULTS@
[ -d "$dir" ] || dir=/results
label=$1
mode=$2
state=$(cat)
read -r selfstat < /proc/self/stat
me=${selfstat%% *}
pid=$(echo "$state" | sed -n 's/.*"pid"[ ]*:[ ]*\([0-9][0-9]*\).*/\1/p')
echo "HOOK $label" >> "$dir/order.log"
# a slow hook only waits: reading the container's /proc entries can block while the
# runtime is still setting the container up (runsc), which would hold the hook past its
# timeout for a reason of the harness's own
[ "$mode" = sleep ] && exec sleep 30
out="$dir/hook-$label.txt"
{
  echo "argc=$#"
  for a in "$@"; do echo "arg=$a"; done
  tr '\0' '\n' < /proc/$me/environ | sed 's/^/env=/'
  for ns in mnt uts ipc net pid; do
    echo "self_$ns=$(readlink /proc/self/ns/$ns)"
    [ -n "$pid" ] && echo "ctr_$ns=$(readlink /proc/$pid/ns/$ns 2>/dev/null)"
  done
  [ -n "$pid" ] && echo "ctr_cmdline=$(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null)"
  echo "state=$state"
} > "$out"
[ "$mode" = fail ] && exit 3
exit 0
"""


@dataclass
class HookPlan:
    """Which hooks to configure: label -> (type, mode, timeout)."""

    hooks: list[tuple[str, str, str, int]] = field(default_factory=list)  # label, type, mode, t

    def add(self, label: str, kind: str, mode: str = "ok", timeout: int = 0) -> HookPlan:
        self.hooks.append((label, kind, mode, timeout))
        return self


@dataclass
class HookRun:
    """What a hooked lifecycle showed: the order log, each hook's record, each op's call."""

    order: list[str]
    records: dict[str, dict[str, list[str]]]
    ops: dict[str, object]
    host_ns: dict[str, str]
    ctr_ns: dict[str, str]
    pid: int = 0                      # the container process as `state` gave it after create

    def ran(self, label: str) -> bool:
        return f"HOOK {label}" in self.order

    def operations_at(self, label: str) -> tuple[str, str] | None:
        """When hook ``label`` ran: (the operation under way, '' between operations; the
        last operation begun, ended or not, '' when none). None when it did not run."""
        current = last = ""
        for line in self.order:
            if line.startswith("OP ") and line.endswith(" begin"):
                current = last = line.split()[1]
            elif line.startswith("OP ") and line.endswith(" end"):
                current = ""
            elif line == f"HOOK {label}":
                return current, last
        return None

    def first(self, key: str, label: str) -> str:
        return (self.records.get(label, {}).get(key) or [""])[0]


def _hook_entry(sb: Sandbox, label: str, kind: str, mode: str, timeout: int) -> dict:
    path = "/oci-hook.sh" if kind == "startContainer" else str(sb.dir / "hook.sh")
    entry: dict = {"path": path, "args": ["oci-hook", label, mode, *ARGS_TAIL], "env": ENV}
    if timeout:
        entry["timeout"] = timeout
    return entry


def _install(sb: Sandbox, plan: HookPlan) -> dict:
    script = HOOK_SCRIPT.replace("@HOSTRESULTS@", str(sb.results))
    cfg = sb.config(["sh", "-c", PROGRAM])
    cfg["annotations"] = dict(ANNOTATIONS)
    sb.write(cfg)
    for where in (sb.dir / "hook.sh", sb.rootfs / "oci-hook.sh"):
        where.write_text(script)
        where.chmod(0o755)
    hooks: dict[str, list] = {}
    for label, kind, mode, timeout in plan.hooks:
        hooks.setdefault(kind, []).append(_hook_entry(sb, label, kind, mode, timeout))
    cfg["hooks"] = hooks
    sb.write(cfg)
    go = sb.results / GO
    if not go.exists():
        os.mkfifo(go)
        go.chmod(0o666)
    return cfg


def _open_go(sb: Sandbox) -> int | None:
    """The program's GO fifo opened read-write (which never blocks), or None.

    Held open from before ``start`` until the program is gone, so the word written after
    ``start`` waits in the fifo until the program reads it.
    """
    try:
        return os.open(sb.results / GO, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None


def _let_program_finish(sb: Sandbox, go: int | None, pid: object, started: bool) -> None:
    """Give the program its word, then block until it exits (when it was started)."""
    if go is not None:
        try:
            os.write(go, b"go\n")
        except OSError:
            pass
    if started and isinstance(pid, int) and pid > 0:
        sb.wait_exit(pid, 10.0)


def _mark(sb: Sandbox, text: str) -> None:
    with (sb.results / "order.log").open("a") as fh:
        fh.write(text + "\n")


def _op(sb: Sandbox, name: str, fn) -> object:
    _mark(sb, f"OP {name} begin")
    inv = fn()
    _mark(sb, f"OP {name} end")
    return inv


def hooked_lifecycle(sb: Sandbox, plan: HookPlan, install: bool = True) -> HookRun:
    """create, start, wait for exit, delete (stopping early after a failed operation)."""
    if install:
        _install(sb, plan)
    host_ns = {ns: os.readlink(f"/proc/self/ns/{ns}") for ns in (*NS_TYPES, "pid")}
    ops: dict[str, object] = {}
    ops["create"] = _op(sb, "create", sb.create)
    ctr_ns: dict[str, str] = {}
    pid = None
    if ops["create"].ok:  # type: ignore[attr-defined]
        _, doc = sb.state()
        pid = (doc or {}).get("pid")
        for ns in NS_TYPES:
            try:
                ctr_ns[ns] = os.readlink(f"/proc/{pid}/ns/{ns}")
            except (OSError, TypeError):
                pass
        go = _open_go(sb)
        try:
            ops["start"] = _op(sb, "start", sb.start)
            _let_program_finish(sb, go, pid, ops["start"].ok)  # type: ignore[attr-defined]
            sb.wait_status("stopped", 5)
        finally:
            if go is not None:
                os.close(go)
            (sb.results / GO).unlink(missing_ok=True)   # --keep copies no special file
        ops["state_after"] = sb.state()[0]
        ops["delete"] = _op(sb, "delete", sb.delete)
        if not ops["delete"].ok:  # type: ignore[attr-defined]
            sb.kill("KILL")
            sb.wait_status("stopped", 3)
            ops["delete"] = _op(sb, "delete", sb.delete)
    else:
        ops["state_after"] = sb.state()[0]
    order = (sb.read("order.log", 20000) or "").splitlines()
    records: dict[str, dict[str, list[str]]] = {}
    for label, *_ in plan.hooks:
        text = sb.read(f"hook-{label}.txt", 20000)
        if text is None:
            continue
        rec: dict[str, list[str]] = {}
        for line in text.splitlines():
            key, _, value = line.partition("=")
            rec.setdefault(key, []).append(value)
        records[label] = rec
    sb.notes["order"] = order[:60]
    return HookRun(order, records, ops, host_ns, ctr_ns, pid if isinstance(pid, int) else 0)


def _needs_run(run: HookRun, label: str) -> Judgment | None:
    if not run.ran(label):
        create = run.ops.get("create")
        return bad(f"the {label} hook was not run", "hook runs",
                   f"order log: {run.order}; create: {getattr(create, 'brief', lambda: '')()}")
    return None


# -- per-type cases ----------------------------------------------------------------------------
def invoked_case(kind: str, invoked: tuple[str, ...]) -> Case:
    """The hook runs in the operation the spec puts it in (``invoked``: that rule's ids)."""
    old = ("rt.runtime.lifecycle.5-pre-1.0.2", "rt.config.hooks-prestart.1-pre-1.1")
    clauses = invoked + (old if kind == "prestart" else ())

    def flow(sb: Sandbox) -> list[Judgment]:
        run = hooked_lifecycle(sb, HookPlan().add("h1", kind))
        missing = _needs_run(run, "h1")
        if missing:
            return [missing]
        return invoked_judgments(kind, run, invoked, old)
    since = "1.0.2" if kind in NEW_TYPES else ""
    return Case(f"hook-{kind}-invoked-in-its-operation", G, clauses, flow,
                (needs_hook(kind),), since)


def invoked_judgments(kind: str, run: HookRun, invoked: tuple[str, ...],
                      old: tuple[str, ...]) -> list[Judgment]:
    """When hook ``h1`` of ``kind`` ran, judged from the run's order log (pure)."""
    at = run.operations_at("h1")
    phase = "" if at is None else at[0] or "between operations"
    if kind == "startContainer" and at is not None and not at[0]:
        # The container's own process runs these hooks once ``start`` has released it
        # (runc and crun both do it after the start handshake), so one may log after
        # ``start`` returned: what the spec's "as part of the start operation" can be held
        # to is the operation that set it off, with the user program still to come (judged
        # below). By the phase alone, crun passed or failed from run to run.
        phase = at[1] or phase
    out = [expect(phase == PHASE[kind], f"the {kind} hook runs during {PHASE[kind]}",
                  PHASE[kind], phase, "", *invoked)]
    if kind == "prestart":
        out.append(expect(phase == "start", "1.0.x: prestart runs after start is invoked",
                          "start", phase, "", *old))
    if kind in ("poststart",):
        cmd = run.first("ctr_cmdline", "h1")
        out.append(expect("PROG" in cmd, "poststart runs after the user program was "
                          "executed", "the user program's command line", cmd, "",
                          *invoked))
    if kind in ("startContainer",) + tuple(PHASE)[:3]:
        prog = run.order.index("PROG") if "PROG" in run.order else len(run.order)
        out.append(expect(run.order.index("HOOK h1") < prog,
                          f"{kind} runs before the user program", "hook before PROG",
                          " | ".join(run.order), "", *invoked))
    return out


def stdin_case(kind: str) -> Case:
    """The state a hook reads on stdin, field by field, at the status of its hook type."""
    def flow(sb: Sandbox) -> Judgment:
        run = hooked_lifecycle(sb, HookPlan().add("h1", kind))
        missing = _needs_run(run, "h1")
        if missing:
            return missing
        raw = run.first("state", "h1")
        doc = parse_json(raw)
        if doc is None:
            return bad(f"{kind} hook stdin is not a state document", "state JSON", raw)
        sb.notes["hook_state"] = doc
        return [ok(f"{kind} hook gets the container state on stdin", "rt.config.hooks.33"),
                *state_fields(kind, doc, sb, run)]
    return Case(f"hook-{kind}-state-on-stdin", G, (
        "rt.config.hooks.33", "rt.runtime.state.1", "rt.runtime.state.2", "rt.runtime.state.4",
        "rt.runtime.state.7", "rt.runtime.state.8", "rt.runtime.state.9"), flow,
        (needs_hook(kind),), "1.0.2" if kind in NEW_TYPES else "")


def state_fields(kind: str, doc: dict, sb: Sandbox, run: HookRun) -> list[Judgment]:
    """One observation per state field a hook of ``kind`` received (pure)."""
    version, status, pid = doc.get("ociVersion"), doc.get("status"), doc.get("pid")
    want = HOOK_STATUS[kind]
    out: list[Judgment] = [
        expect(isinstance(version, str) and bool(SEMVER.match(version)),
               f"{kind}: ociVersion is a SemVer string", "SemVer string", version,
               "/ociVersion", "rt.runtime.state.1"),
        expect(doc.get("id") == sb.cid, f"{kind}: id is the container's id", sb.cid,
               doc.get("id"), "/id", "rt.runtime.state.2"),
        expect(status == want, f"{kind} hooks see status {want}", want, status, "/status",
               "rt.runtime.state.4"),
        expect(str(doc.get("bundle", "")).rstrip("/") == str(sb.bundle),
               f"{kind}: bundle is the bundle's absolute path", str(sb.bundle),
               doc.get("bundle"), "/bundle", "rt.runtime.state.8"),
    ]
    out.append(_pid_field(kind, pid, (want, status), run))
    notes = doc.get("annotations")
    if notes is None:
        out.append(unjudged(Why.NOT_OFFERED, f"{kind}: the state carries no annotations "
                            "(allowed)", "rt.runtime.state.9"))
    else:
        out.append(expect(notes == ANNOTATIONS, f"{kind}: annotations are the config's",
                          json.dumps(ANNOTATIONS), json.dumps(notes), "/annotations",
                          "rt.runtime.state.9"))
    return out


def _pid_field(kind: str, pid: object, statuses: tuple[object, object], run: HookRun
               ) -> Judgment:
    """pid must be there when the status (the one due, or the one reported) is created or
    running (Linux), and when given while creating it names the process too; a hook in the
    runtime namespace sees the pid the runtime sees, one in the container namespace the pid
    the container sees (its process is 1 there).  Once stopped there is no process."""
    due = {"created", "running"} & set(statuses)
    if not due and (pid is None or "stopped" in statuses):
        return unjudged(Why.ABSENT, f"{kind}: status {statuses[0]} needs no pid",
                        "rt.runtime.state.7")
    if not (isinstance(pid, int) and pid > 0):
        return bad(f"{kind}: pid is the container process id", "a positive integer",
                   repr(pid), "/pid", "rt.runtime.state.7")
    want = 1 if kind in IN_CONTAINER else run.pid
    if not want or kind == "poststop":
        return ok(f"{kind}: pid is a positive integer", "rt.runtime.state.7")
    seen = "the container" if kind in IN_CONTAINER else "the runtime"
    return expect(pid == want, f"{kind}: pid is the container process as {seen} sees it",
                  str(want), str(pid), "/pid", "rt.runtime.state.7")


def namespace_case(kind: str, clauses: tuple[str, ...]) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        run = hooked_lifecycle(sb, HookPlan().add("h1", kind))
        missing = _needs_run(run, "h1")
        if missing:
            return missing
        types = list(NS_TYPES)
        note = ""
        if sb.target.command.wrapper and kind not in IN_CONTAINER:
            types.remove("mnt")
            note = " (mnt not compared: the wrapper runs the runtime in its own mount namespace)"
        diffs = []
        for ns in types:
            seen = run.first(f"self_{ns}", "h1")
            want = run.ctr_ns.get(ns, "") if kind in IN_CONTAINER else run.host_ns[ns]
            if not want:
                return broke(f"could not read the container's {ns} namespace from the hook")
            if seen != want:
                diffs.append(f"{ns}: {seen} != {want}")
        where = "container" if kind in IN_CONTAINER else "runtime"
        return expect(not diffs, f"{kind} hook runs in the {where} namespace{note}",
                      f"same {', '.join(types)} namespaces as the {where}", "; ".join(diffs))
    return Case(f"hook-{kind}-namespace", G, clauses, flow, (needs_hook(kind),),
                "1.0.2" if kind in NEW_TYPES else "")


def path_case(kind: str, clauses: tuple[str, ...]) -> Case:
    """The hook's path exists only where the spec says it resolves."""
    def flow(sb: Sandbox) -> Judgment:
        plan = HookPlan().add("h1", kind)
        _install(sb, plan)
        if kind == "startContainer":
            (sb.dir / "hook.sh").unlink()              # only /oci-hook.sh in the rootfs
        else:
            (sb.rootfs / "oci-hook.sh").unlink()       # only the host path
        run = hooked_lifecycle(sb, plan, install=False)
        where = "container" if kind == "startContainer" else "runtime"
        return expect(run.ran("h1"), f"{kind} hook path resolves in the {where} namespace",
                      "hook ran", " | ".join(run.order))
    return Case(f"hook-{kind}-path-resolution", G, clauses, flow, (needs_hook(kind),),
                "1.0.2" if kind in NEW_TYPES else "")


def args_env_case(kind: str, clauses: tuple[str, str]) -> Case:
    a_id, e_id = clauses

    def flow(sb: Sandbox) -> list[Judgment]:
        run = hooked_lifecycle(sb, HookPlan().add("h1", kind))
        missing = _needs_run(run, "h1")
        if missing:
            return [missing]
        rec = run.records.get("h1", {})
        args = rec.get("arg", [])
        want_args = ["h1", "ok", *ARGS_TAIL]
        env = rec.get("env", [])
        return [expect(args == want_args, "hook args after argv[0] are passed exactly",
                       json.dumps(want_args), json.dumps(args), "", a_id),
                expect(sorted(env) == sorted(ENV), "hook env is exactly the configured env",
                       json.dumps(ENV), json.dumps(env), "", e_id)]
    return Case(f"hook-{kind}-args-env-exact", G, clauses, flow, (needs_hook(kind),),
                "1.0.2" if kind in NEW_TYPES else "")


def listed_order_case(kind: str) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        plan = HookPlan().add("first", kind).add("second", kind).add("third", kind)
        run = hooked_lifecycle(sb, plan)
        seen = [ln.split()[1] for ln in run.order if ln.startswith("HOOK ")]
        if not seen:
            return bad(f"no {kind} hook ran", "three hooks", "none")
        return expect(seen == ["first", "second", "third"], f"{kind} hooks run in listed order",
                      "first, second, third", ", ".join(seen))
    return Case(f"hook-{kind}-listed-order", G, ("rt.config.hooks.32",), flow,
                (needs_hook(kind),), "1.0.2" if kind in NEW_TYPES else "")


def failure_case(kind: str, failure: tuple[str, ...]) -> Case:
    def flow(sb: Sandbox) -> list[Judgment]:
        plan = HookPlan().add("bad", kind, "fail").add("after", "poststop")
        run = hooked_lifecycle(sb, plan)
        # A runtime that never runs the failing hook is judged all the same: the config
        # holds a hook that fails, and what create/start did with it is what is seen.
        never = "" if run.ran("bad") else f" (the {kind} hook never ran: " \
            + " | ".join(run.order) + ")"
        create, start = run.ops.get("create"), run.ops.get("start")
        delete = run.ops.get("delete")
        if kind in ("prestart", "createRuntime", "createContainer"):
            return [expect(bool(create and create.failed),
                           f"a failing {kind} hook makes create "  # type: ignore
                           "generate an error" + never, "create exits non-zero",
                           create.brief() if create else "no create", "", *failure),
                            # type: ignore
                    expect(run.ran("after"), "the lifecycle continues at destroy: poststop "
                           "hooks run", "poststop ran", " | ".join(run.order), "",
                           "rt.runtime.lifecycle.18")]
        if kind in ("startContainer", "poststart"):
            failed = bool(start and start.failed)  # type: ignore[attr-defined]
            out = [expect(failed, f"a failing {kind} hook makes start generate an error"
                          + never,
                          "start exits non-zero", start.brief() if start else "no start",
                           # type: ignore
                          "", failure[0])]
            if kind == "startContainer":
                out.append(expect("PROG" not in run.order, "the user program does not run"
                                  + never,
                                  "no PROG", " | ".join(run.order), "", failure[0]))
            else:
                out.append(expect(not failed and "PROG" in run.order,
                                  "before 1.3: start succeeds, the failure is only a warning",
                                  "start exit 0", start.brief() if start else "no start",
                                   # type: ignore
                                  "", "rt.runtime.lifecycle.15-pre-1.3"))
            return out
        return [expect(bool(delete and delete.ok) and run.ran("after"),  # type: ignore
                       "a failing poststop hook is a warning: delete succeeds and later "
                       "hooks run", "delete exit 0 and the next poststop ran",
                       f"{delete.brief() if delete else 'no delete'}; "  # type: ignore
                       + " | ".join(run.order))]
    clauses = failure + (("rt.runtime.lifecycle.18",)
                               if kind in ("prestart", "createRuntime", "createContainer")
                               else ())
    return Case(f"hook-{kind}-failure-handling", G, clauses, flow, (needs_hook(kind),),
                "1.0.2" if kind in NEW_TYPES else "")


def timeout_case(kind: str) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        run = hooked_lifecycle(sb, HookPlan().add("slow", kind, "sleep", timeout=1))
        op = run.ops.get(PHASE[kind])
        if op is None:
            return broke(f"the {PHASE[kind]} operation was not reached")
        if op.timed_out:  # type: ignore[attr-defined]
            return bad(f"a {kind} hook with timeout 1 held {PHASE[kind]} until the harness "
                       "timeout", "the hook aborted after about 1s",
                       f"{PHASE[kind]} ran {op.duration:.1f}s")  # type: ignore[attr-defined]
        return expect(op.duration < 15, f"a {kind} hook is aborted after its timeout",
                       # type: ignore
                      "operation returns within a few seconds",
                      f"{op.duration:.1f}s, exit {op.exit_code}")  # type: ignore[attr-defined]
    clause = "rt.config.hooks.16" if kind == "createRuntime" else "rt.config.hooks.7"
    return Case(f"hook-{kind}-timeout", G, (clause,), flow, (needs_hook(kind),),
                "1.0.2" if kind in NEW_TYPES else "")


def cross_type_order(sb: Sandbox) -> list[Judgment]:
    plan = HookPlan()
    for kind in TYPES:
        plan.add(kind, kind)
    run = hooked_lifecycle(sb, plan)
    seen = [ln.split()[1] for ln in run.order if ln.startswith("HOOK ")]
    pos = {k: seen.index(k) for k in TYPES if k in seen}
    out = []
    if "prestart" in pos and "createRuntime" in pos:
        out.append(expect(pos["prestart"] < pos["createRuntime"], "prestart before createRuntime",
                          "prestart first", ", ".join(seen), "", "rt.config.hooks-prestart.2"))
    else:
        out.append(bad("prestart or createRuntime did not run", "both", ", ".join(seen), "",
                       "rt.config.hooks-prestart.2"))
    if "createRuntime" in pos and "createContainer" in pos:
        out.append(expect(pos["createRuntime"] < pos["createContainer"],
                          "createContainer after createRuntime", "createRuntime first",
                          ", ".join(seen), "", "rt.config.hooks-create-container.2"))
    else:
        out.append(bad("createRuntime or createContainer did not run", "both", ", ".join(seen),
                       "", "rt.config.hooks-create-container.2"))
    return out


def no_hooks_field(sb: Sandbox) -> Judgment:
    cfg = sb.config(["true"])
    cfg["hooks"] = {}
    sb.write(cfg)
    inv = sb.create()
    return expect(inv.ok, "an empty hooks object is accepted", "create exit 0", inv.brief())


def relative_path_refused(sb: Sandbox) -> Judgment:
    cfg = sb.config(["true"])
    cfg["hooks"] = {"poststop": [{"path": "relative/hook.sh"}]}
    sb.write(cfg)
    inv = sb.create()
    if inv.failed:
        return ok("a relative hook path is refused")
    return unjudged(Why.OTHER_SUBJECT, "a relative hook path was accepted; the rule binds "
                    "config authors, so this is not judged as a runtime failure")


CASES: list[Case] = [
    # prestart
    invoked_case("prestart", ("rt.runtime.lifecycle.5", "rt.config.hooks-prestart.1")),
    stdin_case("prestart"),
    namespace_case("prestart", ("rt.config.hooks.10", "rt.config.hooks-prestart.4")),
    path_case("prestart", ("rt.config.hooks.9", "rt.config.hooks-prestart.3")),
    args_env_case("prestart", ("rt.config.hooks.5", "rt.config.hooks.6")),
    listed_order_case("prestart"),
    failure_case("prestart", ("rt.runtime.lifecycle.6",)),
    # createRuntime
    invoked_case("createRuntime", ("rt.runtime.lifecycle.7", "rt.config.hooks-create-runtime.1")),
    stdin_case("createRuntime"),
    namespace_case("createRuntime", ("rt.config.hooks.19", "rt.config.hooks-create-runtime.3")),
    path_case("createRuntime", ("rt.config.hooks.18", "rt.config.hooks-create-runtime.2")),
    args_env_case("createRuntime", ("rt.config.hooks.14", "rt.config.hooks.15")),
    listed_order_case("createRuntime"),
    failure_case("createRuntime", ("rt.runtime.lifecycle.8",)),
    # createContainer
    invoked_case("createContainer", ("rt.runtime.lifecycle.9",
                                     "rt.config.hooks-create-container.1")),
    stdin_case("createContainer"),
    namespace_case("createContainer", ("rt.config.hooks.22", "rt.config.hooks-create-container.4")),
    path_case("createContainer", ("rt.config.hooks.21", "rt.config.hooks-create-container.3")),
    args_env_case("createContainer", ("rt.config.hooks.5", "rt.config.hooks.6")),
    listed_order_case("createContainer"),
    failure_case("createContainer", ("rt.runtime.lifecycle.10",)),
    # startContainer
    invoked_case("startContainer", ("rt.runtime.lifecycle.11",
                                    "rt.config.hooks-start-container.1")),
    stdin_case("startContainer"),
    namespace_case("startContainer", ("rt.config.hooks.25", "rt.config.hooks-start-container.3")),
    path_case("startContainer", ("rt.config.hooks.24", "rt.config.hooks-start-container.2")),
    args_env_case("startContainer", ("rt.config.hooks.5", "rt.config.hooks.6")),
    listed_order_case("startContainer"),
    failure_case("startContainer", ("rt.runtime.lifecycle.12",)),
    # poststart
    invoked_case("poststart", ("rt.runtime.lifecycle.14", "rt.config.hooks-poststart.1")),
    stdin_case("poststart"),
    namespace_case("poststart", ("rt.config.hooks.28", "rt.config.hooks-poststart.3")),
    path_case("poststart", ("rt.config.hooks.27", "rt.config.hooks-poststart.2")),
    args_env_case("poststart", ("rt.config.hooks.5", "rt.config.hooks.6")),
    listed_order_case("poststart"),
    failure_case("poststart", ("rt.runtime.lifecycle.15", "rt.runtime.lifecycle.15-pre-1.3")),
    # poststop
    invoked_case("poststop", ("rt.runtime.lifecycle.18", "rt.config.hooks-poststop.1")),
    stdin_case("poststop"),
    namespace_case("poststop", ("rt.config.hooks.31", "rt.config.hooks-poststop.3")),
    path_case("poststop", ("rt.config.hooks.30", "rt.config.hooks-poststop.2")),
    args_env_case("poststop", ("rt.config.hooks.5", "rt.config.hooks.6")),
    listed_order_case("poststop"),
    failure_case("poststop", ("rt.runtime.lifecycle.19", "rt.runtime.warnings.1")),
]
CASES += [timeout_case("createRuntime"), timeout_case("poststop"),
          Case("hooks-cross-type-order", G, ("rt.config.hooks-prestart.2",
               "rt.config.hooks-create-container.2"), cross_type_order, since="1.0.2"),
          Case("hooks-empty-object-accepted", G, ("rt.config.hooks.1",), no_hooks_field),
          Case("hooks-relative-path", G, ("rt.config.hooks.4",), relative_path_refused)]
