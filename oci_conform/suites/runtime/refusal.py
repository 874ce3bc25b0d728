"""Negative cases: a configuration (or call) the runtime must refuse, judged with a control.

A refusal alone proves little: create can fail for a reason that has nothing to do with the
fault (a limit this host does not allow, a missing feature).  So every negative case

1. runs a *control*: the same bundle without the fault, which must be accepted (else the
   case is ``error``: the harness cannot tell why the faulty one is refused);
2. runs the faulty bundle, which must be refused (create, or at the latest start);
3. where the runtime says why (stderr), checks that the refusal names the fault (one of the
   case's words): a refusal that names something else is ``error`` (refused, but the
   evidence does not show it was for the fault), never ``pass``.

``judge_refusal`` is the pure part; ``error_case`` builds a case from a fault mutation and
its control.
"""
from __future__ import annotations

from collections.abc import Sequence

from oci_conform.drivers.runtime_cli import Invocation
from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Mutation,
    Requirement,
    bad,
    broke,
    ok,
)
from oci_conform.suites.runtime.sandbox import JSON, Sandbox

MARK = "echo ran > /results/ran"


def names_fault(stderr: str, names: Sequence[str]) -> bool:
    """True when ``stderr`` mentions one of ``names`` (case-insensitive)."""
    low = stderr.lower()
    return any(n.lower() in low for n in names)


def create_refused(sb: Sandbox, names: Sequence[str], tries: int = 3) -> Invocation:
    """``create`` of the case's bundle, which holds a fault the runtime must refuse.

    A refusal whose message names none of ``names`` is looked at again, up to ``tries``
    creates in all, each after a forced delete of the id: a runtime whose child died first
    may report only the pipe it lost (crun: "write to sync socket: Broken pipe"), and the
    next try often says why. It stops at the first create that is accepted, names the
    fault, gives no reason, times out or crashes, or leaves a container behind (the case
    judges that one); every try stays in the case's evidence."""
    created = sb.create()
    for _ in range(tries - 1):
        reason = created.stderr.strip()
        if not created.failed or not reason or names_fault(reason, names):
            return created
        left, _ = sb.state()
        if left.ok:
            return created
        sb.delete(sb.cid, force=True)
        created = sb.create()
    return created


def control_problem(control: Invocation | None) -> Judgment | None:
    """An error when the control (the bundle without the fault) was not accepted."""
    if control is None or control.ok:
        return None
    why = "timed out" if control.timed_out else control.brief()
    return broke("the control without the fault was refused too, so the refusal cannot be "
                 f"put down to the fault: {why}")


def judge_refusal(what: str, refused: Invocation, names: Sequence[str],
                  control: Invocation | None = None, *clauses: str) -> Judgment:
    """Judge one refusal: control accepted, faulty call refused, for the fault.

    ``control`` None means the call has no bundle to control (an operation on an unknown
    id, say): then only the refusal and its reason are judged.
    """
    problem = control_problem(control)
    if problem is not None:
        return problem
    if refused.timed_out:
        return broke(f"{what}: timed out", *clauses)
    if refused.crashed:
        return bad(f"{what}: the runtime crashed instead of reporting an error",
                   "non-zero exit", f"killed by signal {-(refused.exit_code or 0)}", "",
                   *clauses)
    if refused.exit_code is None:
        return broke(f"{what}: could not run: {refused.error}", *clauses)
    if refused.ok:
        return bad(f"{what} was accepted", "an error", f"exit 0: {refused.stderr[-200:]}", "",
                   *clauses)
    reason = refused.stderr.strip()
    if not reason or not names:
        return ok(f"{what} generated an error (exit {refused.exit_code}; no reason given)",
                  *clauses)
    if names_fault(reason, names):
        return ok(f"{what} generated an error naming the fault: {reason[-200:]}", *clauses)
    return broke(f"{what} was refused, but the message names none of {list(names)}, so the "
                 f"refusal may be for another reason: {reason[-300:]}", *clauses)


def run_control(sb: Sandbox, args: list[str], control: Mutation | None) -> Invocation:
    """Create (then remove) a container from the case's bundle without the fault."""
    cid = f"{sb.cid}-ctl"
    sb.extra_ids.append(cid)
    cfg = sb.config(args)
    cfg["linux"]["cgroupsPath"] = f"{sb.cgroups_path}-ctl"
    bundle = sb.dir / "control"
    if control is not None:
        control(cfg, sb)
    sb.write(cfg, bundle)
    inv = sb.create(cid, bundle)
    if inv.ok:
        sb.kill("KILL", cid)
        sb.delete(cid, force=True)
    return inv


def error_case(name: str, group: str, clauses: tuple[str, ...], fault: Mutation,
               names: Sequence[str], control: Mutation | None = None,
               requires: tuple[Requirement, ...] = (), since: str = "", doc: str = "") -> Case:
    """A config the runtime must refuse (create, or at the latest start), with its control.

    ``fault`` applies the fault to the base config; ``control`` the same set-up without it
    (None: the base config is the control); ``names`` are words one of which a refusal's
    message must contain.
    """
    def flow(sb: Sandbox) -> Judgment:
        control_inv = run_control(sb, ["sh", "-c", MARK], control)
        problem = control_problem(control_inv)
        if problem is not None:
            return problem
        cfg = sb.config(["sh", "-c", MARK])
        fault(cfg, sb)
        sb.write(cfg)
        created = create_refused(sb, names)
        if not created.ok:
            inv, _ = sb.state()
            if inv.ok and created.failed:
                return bad("create failed but a container with the id exists", "no container",
                           inv.stdout[:300])
            return judge_refusal("create with the fault", created, names)
        started = sb.start()
        sb.wait_status("stopped", 3)
        return judge_refusal("create accepted the fault, and start", started, names)
    return Case(name, group, clauses, flow, requires, since, doc, "oci_conform.suites.runtime."
                "refusal:error_case")


def set_rlimits(*limits: JSON) -> Mutation:
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["process"]["rlimits"] = [dict(x) for x in limits]
    return m
