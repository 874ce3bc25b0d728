"""State document and the five operations, including every error case the spec names."""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from oci_conform.drivers.runtime_cli import Invocation
from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Why,
    bad,
    broke,
    expect,
    ok,
    unjudged,
)
from oci_conform.suites.runtime.refusal import judge_refusal, names_fault
from oci_conform.suites.runtime.sandbox import Sandbox, cgroup_dirs, pid_alive
from oci_conform.suites.runtime.schemas import validate

G = "state"
SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
SLEEPER = ["sh", "-c", "echo up > /results/up; exec sleep 60"]
MARKER = ["sh", "-c", "echo ran > /results/ran"]


def _setup(sb: Sandbox, args: list[str], **extra: object) -> None:
    cfg = sb.config(args)
    cfg.update(extra)
    sb.write(cfg)


def _created(sb: Sandbox, args: list[str] | None = None, **extra: object) -> Judgment | None:
    _setup(sb, args or SLEEPER, **extra)
    inv = sb.create()
    if inv.timed_out:
        return broke("create timed out")
    if not inv.ok:
        return broke(f"could not create the container to test with: {inv.brief()}")
    return None


def _running(sb: Sandbox, args: list[str] | None = None) -> Judgment | None:
    problem = _created(sb, args)
    if problem:
        return problem
    inv = sb.start()
    if not inv.ok:
        return broke(f"could not start the container to test with: {inv.brief()}")
    return None


def _stopped(sb: Sandbox) -> Judgment | None:
    problem = _running(sb, ["sh", "-c", "true"])
    if problem:
        return problem
    doc = sb.wait_status("stopped", 10)
    if not doc or doc.get("status") != "stopped":
        return broke(f"container did not reach stopped (last state {doc})")
    return None


# Words a refusal names its fault with (the state-bound refusals have a built-in control:
# the same operation succeeded on the container in the right state just before).
IN_USE_WORDS = ("exists", "already", "in use")
STATE_WORDS = ("running", "stopped", "created", "state", "status")
UNKNOWN_WORDS = ("not exist", "no such", "not found", "unknown", "never-created")
# runsc answers a missing id with the command's synopsis, which names the argument it lacks
NO_ID_WORDS = ("argument", "specify a id", "specify an id", "usage", "requires", "missing",
               "<container id")


def _control_op(sb: Sandbox, op: str) -> Invocation | Judgment:
    """The control of an operation refused for a missing or unknown id: the same operation
    on a container that exists (state/start on a created one, kill on a running one, delete
    on a stopped one). Kill's control is the plainest kill: whether a created container can
    be signalled is its own case (``kill-created-container``)."""
    problem = _stopped(sb) if op == "delete" else _running(sb) if op == "kill" \
        else _created(sb)
    if problem:
        return problem
    calls = {"state": lambda: sb.state()[0], "start": sb.start, "kill": lambda: sb.kill("KILL"),
             "delete": sb.delete}
    return calls[op]()


def _refused_op(sb: Sandbox, op: str, refused: Invocation, what: str,
                names: tuple[str, ...]) -> Judgment:
    control = _control_op(sb, op)
    if not isinstance(control, Invocation):
        return control
    return judge_refusal(what, refused, names, control)


def _unknown(sb: Sandbox, op: str) -> Judgment:
    other = "oc-never-created-" + sb.cid[-6:]
    calls = {"state": lambda: sb.state(other)[0], "start": lambda: sb.start(other),
             "kill": lambda: sb.kill("KILL", other), "delete": lambda: sb.delete(other)}
    return _refused_op(sb, op, calls[op](), f"{op} of an unknown id", UNKNOWN_WORDS)


def _no_id(sb: Sandbox, op: str) -> Judgment:
    return _refused_op(sb, op, sb.cli.call(op), f"{op} without an id", NO_ID_WORDS)


# -- the state document ----------------------------------------------------------------------
def state_created(sb: Sandbox) -> list[Judgment]:
    problem = _created(sb)
    if problem:
        return [problem]
    inv, doc = sb.state()
    if doc is None:
        return [bad("state did not return a JSON object", "a state document",
                    f"exit {inv.exit_code}: {inv.stdout[:300]} {inv.stderr[-200:]}")]
    out = [ok("state returned a JSON document", "rt.runtime.query-state.3")]
    ver = doc.get("ociVersion")
    out.append(expect(isinstance(ver, str) and bool(SEMVER.match(ver)),
                      "ociVersion is a SemVer string", "SemVer string", ver, "/ociVersion",
                      "rt.runtime.state.1"))
    out.append(expect(doc.get("id") == sb.cid, "id is the container's id", sb.cid,
                      doc.get("id"), "/id", "rt.runtime.state.2"))
    out.append(expect(doc.get("status") == "created", "status is `created` after create",
                      "created", doc.get("status"), "/status", "rt.runtime.state.4",
                      "rt.runtime.state.5"))
    pid = doc.get("pid")
    out.append(expect(isinstance(pid, int) and pid > 0 and pid_alive(pid),
                      "pid names a live process while created", "live pid", pid, "/pid",
                      "rt.runtime.state.7"))
    bundle = doc.get("bundle")
    out.append(expect(isinstance(bundle, str) and os.path.isabs(bundle)
                      and Path(bundle).resolve() == sb.bundle.resolve(),
                      "bundle is the absolute bundle path", str(sb.bundle), bundle, "/bundle",
                      "rt.runtime.state.8"))
    problems = validate(doc, "state")
    if problems is None:
        out.append(broke("no state schema available to validate against",
                         "rt.runtime.state.12"))
    else:
        out.append(expect(not problems, "state validates against the state schema",
                          "no schema errors", "; ".join(problems), "", "rt.runtime.state.12"))
    return out


def state_running(sb: Sandbox) -> list[Judgment]:
    problem = _created(sb)
    if problem:
        return [problem]
    _, before = sb.state()
    if not sb.start().ok:
        return [broke("start failed")]
    doc = sb.wait_status("running", 5)
    if not doc:
        return [bad("no state document while running", "state", "none")]
    same = before is not None and before.get("pid") == doc.get("pid")
    return [expect(doc.get("status") == "running", "status is `running` after start", "running",
                   doc.get("status"), "/status", "rt.runtime.state.4", "rt.runtime.state.5"),
            expect(same and isinstance(doc.get("pid"), int) and pid_alive(doc["pid"]),
                   "pid is the same live process as when created",
                   str((before or {}).get("pid")), doc.get("pid"), "/pid",
                   "rt.runtime.state.7")]


def state_stopped(sb: Sandbox) -> Judgment:
    problem = _running(sb, ["sh", "-c", "true"])
    if problem:
        return problem
    doc = sb.wait_status("stopped", 10)
    return expect(bool(doc) and doc.get("status") == "stopped",  # type: ignore[union-attr]
                  "status is `stopped` after the process exits", "stopped",
                  (doc or {}).get("status"), "/status")


def state_annotations(sb: Sandbox) -> Judgment:
    wanted = {"org.example.conform/key": "value", "com.example.empty": ""}
    problem = _created(sb, annotations=wanted)
    if problem:
        return problem
    _, doc = sb.state()
    if doc is None:
        return broke("no state document")
    return expect(doc.get("annotations") == wanted, "state carries the config's annotations",
                  json.dumps(wanted), json.dumps(doc.get("annotations")), "/annotations")


def state_no_annotations(sb: Sandbox) -> Judgment:
    problem = _created(sb)
    if problem:
        return problem
    _, doc = sb.state()
    if doc is None:
        return broke("no state document")
    ann = doc.get("annotations", None)
    return expect(ann is None or ann == {}, "without annotations, absent or empty map",
                  "absent or {}", json.dumps(ann), "/annotations")


def state_unknown(sb: Sandbox) -> Judgment:
    return _unknown(sb, "state")


def state_no_id(sb: Sandbox) -> Judgment:
    return _no_id(sb, "state")


# -- create -----------------------------------------------------------------------------------
def create_duplicate(sb: Sandbox) -> list[Judgment]:
    problem = _created(sb)
    if problem:
        return [problem]
    _, first = sb.state()
    again = sb.create()
    _, after = sb.state()
    same = bool(first and after and first.get("pid") == after.get("pid")
                and after.get("status") == "created")
    return [judge_refusal("create with an id already in use", again, IN_USE_WORDS),
            expect(same, "the existing container is unaffected", json.dumps(first),
                   json.dumps(after))]


def create_invalid_id(sb: Sandbox) -> list[Judgment]:
    sb.write(sb.config(MARKER))
    bad_id = "../" + sb.cid
    sb.extra_ids.append(bad_id)
    inv = sb.create(bad_id)
    escaped = (sb.dir / sb.cid).exists()
    control = sb.create()
    return [judge_refusal("create with the id '../<id>'", inv,
                          ("invalid", "container id", "..", "name", "path"), control),
            expect(not escaped, "nothing is written outside the state root", "no folder",
                   str(sb.dir / sb.cid) if escaped else "")]


def create_no_id(sb: Sandbox) -> Judgment:
    sb.write(sb.config(MARKER))
    refused = sb.cli.call("create", "--bundle", str(sb.bundle))
    return judge_refusal("create without an id", refused, NO_ID_WORDS, sb.create())


def create_no_bundle(sb: Sandbox) -> Judgment:
    """Without --bundle the working folder is the bundle: from the bundle it works (the
    control), from an empty folder it must error."""
    empty = sb.dir / "empty"
    empty.mkdir()
    sb.write(sb.config(MARKER))
    refused = sb.cli.call("create", sb.cid, cwd=empty)
    control = sb.cli.call("create", sb.cid, cwd=sb.bundle)
    return judge_refusal("create without a bundle (and none in the working folder)", refused,
                         ("config.json", "bundle", "no such file"), control)


def create_not_run(sb: Sandbox) -> list[Judgment]:
    problem = _created(sb, MARKER)
    if problem:
        return [problem]
    time.sleep(0.4)
    ran_early = sb.read("ran") is not None
    started = sb.start()
    sb.wait_status("stopped", 10)
    ran_late = sb.read("ran") is not None
    return [expect(not ran_early, "the program does not run at create", "no marker",
                   "marker written before start", "", "rt.runtime.lifecycle.3",
                   "rt.runtime.create.5"),
            expect(started.ok and ran_late, "start runs the program", "marker after start",
                   f"start exit {started.exit_code}, marker {ran_late}", "",
                   "rt.runtime.start.3", "rt.runtime.lifecycle.13")]


def create_applies(sb: Sandbox) -> Judgment:
    problem = _created(sb)
    if problem:
        return problem
    _, doc = sb.state()
    pid = (doc or {}).get("pid")
    if not isinstance(pid, int):
        return broke("no pid in state")
    wrong = []
    for ns in ("pid", "net", "ipc", "uts", "mnt"):
        try:
            if os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/self/ns/{ns}"):
                wrong.append(ns)
        except OSError as exc:
            return broke(f"cannot read namespaces of {pid}: {exc}")
    return expect(not wrong, "namespaces exist before start (config applied at create)",
                  "new pid, net, ipc, uts, mnt namespaces", f"shared with host: {wrong}")


def config_edit(sb: Sandbox) -> Judgment:
    problem = _created(sb, ["sh", "-c", "echo original > /results/which"])
    if problem:
        return problem
    cfg = json.loads((sb.bundle / "config.json").read_text())
    cfg["process"]["args"] = ["sh", "-c", "echo edited > /results/which"]
    cfg["hostname"] = "edited"
    (sb.bundle / "config.json").write_text(json.dumps(cfg))
    if not sb.start().ok:
        return broke("start failed")
    sb.wait_status("stopped", 10)
    which = (sb.read("which") or "").strip()
    if not which:
        return broke("the program wrote nothing")
    return expect(which == "original", "editing config.json after create changes nothing",
                  "original", which)


def failed_create(sb: Sandbox) -> list[Judgment]:
    sb.write(sb.config(MARKER), sb.dir / "control")
    control = sb.create(f"{sb.cid}-ctl", sb.dir / "control")
    sb.extra_ids.append(f"{sb.cid}-ctl")
    sb.delete(f"{sb.cid}-ctl", force=True)
    cfg = sb.config(MARKER)
    cfg["mounts"].append({"destination": "/nowhere", "type": "bind",
                          "source": str(sb.dir / "does-not-exist"), "options": ["bind"]})
    sb.write(cfg)
    inv = sb.create()
    if inv.timed_out:
        return [broke("create timed out")]
    if inv.crashed:
        return [judge_refusal("create with a bind mount whose source does not exist", inv, ())]
    st, _ = sb.state()
    time.sleep(0.1)
    cgroups = cgroup_dirs(sb.cgroups_path)
    state_dir = (sb.dir / "state" / sb.cid).exists()
    return [judge_refusal("create with a bind mount whose source does not exist", inv,
                          ("does-not-exist", "no such file", "nowhere"), control,
                          "rt.runtime.lifecycle.2", "rt.runtime.create.7"),
            expect(not st.ok, "no container exists after a failed create", "state errors",
                   st.stdout[:200], "", "rt.runtime.create.7", "rt.runtime.errors.1"),
            expect(not cgroups and not state_dir,
                   "a failed create leaves no cgroup and no state folder", "nothing",
                   f"cgroups {list(map(str, cgroups))}, state folder {state_dir}", "",
                   "rt.runtime.errors.1")]


def unknown_property(sb: Sandbox) -> Judgment:
    cfg = sb.config(MARKER)
    cfg["org.oci-conform.unknown"] = {"x": 1}
    cfg["process"]["oci-conform-extra"] = True
    sb.write(cfg)
    inv = sb.create()
    return expect(inv.ok, "unknown properties are ignored", "create exit 0", inv.brief())


def unknown_annotation(sb: Sandbox) -> Judgment:
    cfg = sb.config(MARKER)
    cfg["annotations"] = {"org.oci-conform.never-heard-of": "x"}
    sb.write(cfg)
    inv = sb.create()
    return expect(inv.ok, "unknown annotation keys are ignored", "create exit 0", inv.brief())


def operations(sb: Sandbox) -> Judgment:
    _setup(sb, SLEEPER)
    for name, op in [("create", sb.create), ("start", sb.start),
                     ("state", lambda: sb.state()[0]), ("kill", lambda: sb.kill("KILL"))]:
        inv = op()
        if not inv.ok:
            return bad(f"{name} failed in a plain lifecycle", "exit 0", inv.brief())
    sb.wait_status("stopped", 10)
    inv = sb.delete()
    return expect(inv.ok, "create, start, state, kill and delete all work", "exit 0",
                  inv.brief())


def pid_is_container(sb: Sandbox) -> Judgment:
    problem = _created(sb)
    if problem:
        return problem
    _, doc = sb.state()
    pid = (doc or {}).get("pid")
    if not isinstance(pid, int):
        return bad("no pid while created", "pid", json.dumps(doc))
    try:
        seen = os.stat(f"/proc/{pid}/root")
        want = os.stat(sb.rootfs)
    except OSError as exc:
        return broke(f"cannot stat /proc/{pid}/root: {exc}")
    same = (seen.st_dev, seen.st_ino) == (want.st_dev, want.st_ino)
    return expect(same, "pid is the container's process (its root is the bundle rootfs)",
                  f"root inode {want.st_ino}", f"root inode {seen.st_ino}", "/pid")


# -- start --------------------------------------------------------------------------------------
def start_twice(sb: Sandbox) -> list[Judgment]:
    problem = _running(sb)
    if problem:
        return [problem]
    _, before = sb.state()
    again = sb.start()
    _, after = sb.state()
    same = bool(before and after and before.get("pid") == after.get("pid")
                and after.get("status") == "running")
    return [judge_refusal("start of a running container", again, STATE_WORDS),
            expect(same, "the running container is unaffected", json.dumps(before),
                   json.dumps(after))]


def start_stopped(sb: Sandbox) -> list[Judgment]:
    problem = _stopped(sb)
    if problem:
        return [problem]
    again = sb.start()
    _, after = sb.state()
    return [judge_refusal("start of a stopped container", again, STATE_WORDS),
            expect(bool(after) and after.get("status") == "stopped",  # type: ignore
                   "the stopped container stays stopped", "stopped", json.dumps(after))]


def start_unknown(sb: Sandbox) -> Judgment:
    return _unknown(sb, "start")


def start_no_id(sb: Sandbox) -> Judgment:
    return _no_id(sb, "start")


def start_no_process(sb: Sandbox) -> Judgment:
    cfg = sb.config()
    del cfg["process"]
    sb.write(cfg)
    created = sb.create()
    if created.timed_out:
        return broke("create timed out")
    if not created.ok:
        return unjudged(Why.ABSENT, "the runtime refuses a config without process at "
                        f"create, so start cannot be tried ({created.brief()})")
    return judge_refusal("start when process is not set", sb.start(), ("process", "args"))


# -- kill ---------------------------------------------------------------------------------------
def kill_signal(sb: Sandbox) -> Judgment:
    script = ("trap 'echo TERM > /results/sig; exit 0' TERM; echo up > /results/up; "
              "while :; do sleep 0.1; done")
    problem = _running(sb, ["sh", "-c", script])
    if problem:
        return problem
    deadline = time.monotonic() + 5
    while sb.read("up") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if sb.read("up") is None:
        return broke("the container program did not come up")
    inv = sb.kill("TERM")
    deadline = time.monotonic() + 5
    while sb.read("sig") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    got = (sb.read("sig") or "").strip()
    return expect(inv.ok and got == "TERM", "kill TERM reaches the container process",
                  "TERM trapped", f"kill exit {inv.exit_code}, trapped {got!r}")


def kill_created(sb: Sandbox) -> Judgment:
    problem = _created(sb)
    if problem:
        return problem
    inv = sb.kill("KILL")
    # a refused kill already fails the case: one state call for the record, no wait
    doc = sb.wait_status("stopped", 5) if inv.ok else sb.state()[1]
    return expect(inv.ok and bool(doc) and doc.get("status") == "stopped",  # type: ignore
                  "kill KILL of a created container stops it", "stopped",
                  f"kill exit {inv.exit_code}, status {(doc or {}).get('status')}")


def kill_stopped(sb: Sandbox) -> list[Judgment]:
    problem = _stopped(sb)
    if problem:
        return [problem]
    inv = sb.kill("KILL")
    _, after = sb.state()
    words = STATE_WORDS + ("no such process", "finished")
    refusal = judge_refusal("kill of a stopped container", inv, words)
    if inv.failed and inv.stderr.strip() and not names_fault(inv.stderr, words):
        # The runtime's own state call said "stopped" just before, so the harness knows the
        # state; a refusal citing something else shows the kill was not refused for it
        # (runsc lets a stopped container be signalled and fails only on reaching its
        # sandbox).
        refusal = bad("kill of a stopped container failed for another reason than its "
                      "state (the runtime's state call had just said stopped)",
                      "an error for the stopped state", inv.stderr.strip()[-300:])
    return [refusal,
            expect(bool(after) and after.get("status") == "stopped",  # type: ignore
                   "the stopped container is unaffected", "stopped", json.dumps(after))]


def kill_unknown(sb: Sandbox) -> Judgment:
    return _unknown(sb, "kill")


def kill_no_id(sb: Sandbox) -> Judgment:
    return _no_id(sb, "kill")


# -- delete -------------------------------------------------------------------------------------
def _delete_refused(sb: Sandbox, prepare: Callable[[Sandbox], Judgment | None], status: str,
                    what: str) -> list[Judgment]:
    """Delete of a container that is not stopped must error and leave it as it was."""
    problem = prepare(sb)
    if problem:
        return [problem]
    inv = sb.delete()
    _, after = sb.state()
    return [judge_refusal(f"delete of a {what} container", inv, STATE_WORDS + ("force",)),
            expect(bool(after) and after.get("status") == status,  # type: ignore
                   f"the {status} container is unaffected", status, json.dumps(after))]


def delete_running(sb: Sandbox) -> list[Judgment]:
    return _delete_refused(sb, _running, "running", "running")


def delete_created(sb: Sandbox) -> list[Judgment]:
    return _delete_refused(sb, _created, "created", "created (not stopped)")


def delete_stopped(sb: Sandbox) -> list[Judgment]:
    problem = _stopped(sb)
    if problem:
        return [problem]
    inv = sb.delete()
    if not inv.ok:
        return [bad("delete of a stopped container failed", "exit 0", inv.brief())]
    st, _ = sb.state()
    time.sleep(0.05)
    left = [str(p) for p in cgroup_dirs(sb.cgroups_path)]
    return [expect(st.failed, "state of a deleted container errors", "error",
                   f"exit {st.exit_code}", "", "rt.runtime.query-state.2"),
            expect(not left, "delete removes the container's cgroup", "no cgroup folders",
                   ", ".join(left), "", "rt.runtime.delete.3")]


def delete_unknown(sb: Sandbox) -> Judgment:
    return _unknown(sb, "delete")


def delete_no_id(sb: Sandbox) -> Judgment:
    return _no_id(sb, "delete")


def id_reuse(sb: Sandbox) -> Judgment:
    problem = _stopped(sb)
    if problem:
        return problem
    if not sb.delete().ok:
        return broke("delete failed")
    inv = sb.create()
    if inv.ok:
        return ok("the id can be used again after delete")
    return unjudged(Why.NOT_OFFERED, f"the runtime does not reuse ids (allowed): {inv.brief()}")


def delete_keeps_foreign(sb: Sandbox) -> Judgment:
    """A bind-mounted host folder's content survives delete (resources not created by it)."""
    problem = _stopped(sb)
    if problem:
        return problem
    keep = sb.results / "keep-me"
    keep.write_text("x")
    if not sb.delete().ok:
        return broke("delete failed")
    return expect(keep.exists() and sb.bundle.joinpath("config.json").exists(),
                  "delete leaves the bundle and bind-mounted host files alone",
                  "bundle and host files kept", "missing")


CASES = [
    Case("state-document-created", G, ("rt.runtime.query-state.3", "rt.runtime.state.1",
                                       "rt.runtime.state.2",
         "rt.runtime.state.4", "rt.runtime.state.5", "rt.runtime.state.7", "rt.runtime.state.8",
         "rt.runtime.state.12"),
         state_created),
    Case("state-document-running", G, ("rt.runtime.state.4", "rt.runtime.state.5",
                                       "rt.runtime.state.7"),
         state_running),
    Case("state-stopped-after-exit", G, ("rt.runtime.state.4",), state_stopped),
    Case("state-annotations", G, ("rt.runtime.state.9", "rt.config.annotations.1"),
         state_annotations),
    Case("state-no-annotations", G, ("rt.runtime.state.10",), state_no_annotations),
    Case("state-unknown-id-errors", G, ("rt.runtime.query-state.2",), state_unknown),
    Case("state-without-id-errors", G, ("rt.runtime.query-state.1",), state_no_id),
    Case("state-pid-is-container-process", G, ("rt.runtime.state.7",), pid_is_container),
    Case("create-duplicate-id-errors", G, ("rt.runtime.create.2", "rt.runtime.state.3"),
         create_duplicate),
    Case("create-invalid-id-errors", G, ("rt.runtime.create.2",), create_invalid_id),
    Case("create-without-id-errors", G, ("rt.runtime.create.1",), create_no_id),
    Case("create-without-bundle-errors", G, ("rt.runtime.create.1",), create_no_bundle),
    Case("create-does-not-run-program", G, ("rt.runtime.lifecycle.3", "rt.runtime.create.5",
                                            "rt.runtime.start.3",
         "rt.runtime.lifecycle.13"), create_not_run),
    Case("create-applies-config-before-start", G, ("rt.runtime.create.4", "rt.runtime.lifecycle.1"),
         create_applies),
    Case("config-edit-after-create-ignored", G, ("rt.runtime.lifecycle.4",), config_edit),
    Case("failed-create-leaves-nothing", G, ("rt.runtime.lifecycle.2", "rt.runtime.create.7",
         "rt.runtime.errors.1"), failed_create),
    Case("unknown-property-ignored", G, ("rt.config.extensibility.1",), unknown_property),
    Case("unknown-annotation-ignored", G, ("rt.config.annotations.11",), unknown_annotation),
    Case("operations-supported", G, ("rt.runtime.operations.1", "rt.runtime.scope-container.1"),
         operations),
    Case("start-running-errors", G, ("rt.runtime.start.2",), start_twice),
    Case("start-stopped-errors", G, ("rt.runtime.start.2",), start_stopped),
    Case("start-unknown-id-errors", G, ("rt.runtime.start.2",), start_unknown),
    Case("start-without-id-errors", G, ("rt.runtime.start.1",), start_no_id),
    Case("start-without-process-errors", G, ("rt.runtime.start.4", "rt.config.process.2"),
         start_no_process),
    Case("kill-delivers-signal", G, ("rt.runtime.kill.3",), kill_signal),
    Case("kill-created-container", G, ("rt.runtime.kill.3",), kill_created),
    Case("kill-stopped-errors", G, ("rt.runtime.kill.2",), kill_stopped),
    Case("kill-unknown-id-errors", G, ("rt.runtime.kill.2",), kill_unknown),
    Case("kill-without-id-errors", G, ("rt.runtime.kill.1",), kill_no_id),
    Case("delete-running-errors", G, ("rt.runtime.delete.2",), delete_running),
    Case("delete-created-errors", G, ("rt.runtime.delete.2",), delete_created),
    Case("delete-stopped-removes", G, ("rt.runtime.delete.3", "rt.runtime.query-state.2"),
         delete_stopped),
    Case("delete-unknown-id-errors", G, ("rt.runtime.delete.2",), delete_unknown),
    Case("delete-without-id-errors", G, ("rt.runtime.delete.1",), delete_no_id),
    Case("delete-keeps-foreign-resources", G, ("rt.runtime.delete.4",), delete_keeps_foreign),
    Case("id-reusable-after-delete", G, ("rt.runtime.delete.5",), id_reuse),
]
