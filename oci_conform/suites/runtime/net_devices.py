"""linux.netDevices (runtime-spec 1.3.0): a host interface moved into the container.

The host here has no dummy link type, so each case makes a veth pair on the host, gives
the peer a /32 address from the benchmarking range (no route is added), and names the
peer in ``linux.netDevices``.  The probe lists ``/sys/class/net`` and reads the moved
interface's flags and addresses.  The pair is deleted in ``finally`` whatever happens
(when the container's network namespace goes away the kernel removes both ends anyway).
"""
from __future__ import annotations

import re
import shutil
import threading
import uuid
from collections.abc import Callable

from oci_conform.drivers.runtime_cli import run_bounded
from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Observation,
    Probe,
    Unmet,
    bad,
    broke,
    expect,
    not_offered,
    run_probe,
)
from oci_conform.suites.runtime.refusal import judge_refusal
from oci_conform.suites.runtime.sandbox import JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

G = "namespaces"
ADDRESS = "198.18.93.7/32"


def _ip(*args: str) -> str:
    """Run ip(8); "" or the error text."""
    return run_bounded(["ip", *args], timeout=10).reason()


_PROBE_LOCK = threading.Lock()
_PROBED: list[str | None] = []


def _veth_reason() -> str | None:
    """Can this host make a veth pair? Probed once (a pair made and deleted)."""
    with _PROBE_LOCK:
        if not _PROBED:
            if shutil.which("ip") is None:
                _PROBED.append("host has no ip(8) to make a veth pair")
            else:
                name = f"ocprb{uuid.uuid4().hex[:6]}"
                err = _ip("link", "add", name, "type", "veth", "peer", "name", name + "p")
                _ip("link", "del", name)
                _PROBED.append(f"host cannot make a veth pair: {err}" if err else None)
        return _PROBED[0]


def needs_veth(t: RuntimeTarget) -> str | None:
    return _veth_reason()


def announced(t: RuntimeTarget) -> Unmet | None:
    node = ((t.features or {}).get("linux") or {}).get("netDevices")
    if isinstance(node, dict) and node.get("enabled") is False:
        return not_offered(f"{t.name} features say netDevices is not enabled")
    return None


def _pair(sb: Sandbox) -> tuple[str, str]:
    token = sb.cid[-6:]
    return f"ocv{token}", f"ocv{token}p"


def net_case(name: str, clauses: tuple[str, ...], inside: str,
             judge: Callable[[Probe | Judgment, str], list[Judgment] | Judgment],
             script: str) -> Case:
    """Make a veth pair, move its peer in as ``inside``, run ``script``; always delete it."""
    def flow(sb: Sandbox) -> list[Judgment] | Judgment:
        host, peer = _pair(sb)
        err = _ip("link", "add", host, "type", "veth", "peer", "name", peer)
        if err:
            return broke(f"cannot make the veth pair on the host: {err}")
        try:
            err = _ip("addr", "add", ADDRESS, "dev", peer)
            if err:
                return broke(f"cannot address the host interface: {err}")
            sb.notes["host_interface"] = f"{peer} (veth peer of {host}, {ADDRESS})"
            want = inside.replace("{token}", host[3:])

            def mutate(cfg: JSON, s: Sandbox) -> None:
                cfg["linux"]["netDevices"] = {peer: {"name": want}}
            obs = run_probe(sb, script.replace("{name}", want), mutate)
            return judge(obs, want)
        finally:
            _ip("link", "del", host)
            _ip("link", "del", peer)
    return Case(name, G, clauses, flow, (needs_veth, announced), "1.3.0")


def _moved(obs: Probe | Judgment, want: str) -> list[Judgment] | Judgment:
    if isinstance(obs, Observation):
        return obs
    ifaces = obs.get("ifaces").split()
    if not ifaces:
        return broke("the probe listed no interfaces")
    out = [expect(want in ifaces, "the interface is in the container's network namespace "
                  "under the configured name", want, " ".join(ifaces), "",
                  "rt.config-linux.network-devices.1", "rt.config-linux.network-devices.2")]
    if want not in ifaces:
        return out + [bad("the interface was not moved, so its state cannot be read", want,
                          " ".join(ifaces), "", "rt.config-linux.network-devices.6",
                          "rt.config-linux.network-devices.7")]
    try:
        flags = int(obs.get("flags").strip(), 16)
    except ValueError:
        return out + [broke(f"unreadable flags: {obs.get('flags')[:100]!r}",
                            "rt.config-linux.network-devices.7"),
                      _addr(obs)]
    return out + [expect(bool(flags & 0x1), "the moved interface is up", "IFF_UP set",
                         hex(flags), "", "rt.config-linux.network-devices.7"), _addr(obs)]


def _addr(obs: Probe) -> Judgment:
    return expect(ADDRESS.split("/")[0] in obs.get("addr"), "the interface keeps its "
                  "permanent global address", ADDRESS, obs.get("addr").strip()[:300], "",
                  "rt.config-linux.network-devices.6")


PROBE = ("ls /sys/class/net > /results/ifaces; cat /sys/class/net/{name}/flags > "
         "/results/flags 2>&1; ip -o addr show dev {name} > /results/addr 2>&1")


def moved_case() -> Case:
    return net_case("net-device-moved-renamed-up", ("rt.config-linux.network-devices.1",
                                                    "rt.config-linux.network-devices.2",
                                                    "rt.config-linux.network-devices.6",
                                                    "rt.config-linux.network-devices.7"),
                    "ocn{token}", _moved, PROBE)


def template_case() -> Case:
    def judge(obs: Probe | Judgment, want: str) -> list[Judgment] | Judgment:
        if isinstance(obs, Observation):
            return obs
        ifaces = obs.get("ifaces").split()
        if not ifaces:
            return broke("the probe listed no interfaces")
        hit = [i for i in ifaces if re.fullmatch(r"ocx\d+", i)]
        return expect(len(hit) == 1, "a name ending in %d gets a free number from the kernel",
                      "ocx<N>", " ".join(ifaces))
    return net_case("net-device-name-template", ("rt.config-linux.network-devices.5",), "ocx%d",
                    judge,
                    "ls /sys/class/net > /results/ifaces")


def clash_case() -> Case:
    """Renaming to ``lo``, which every new network namespace has, must fail."""
    def flow(sb: Sandbox) -> list[Judgment] | Judgment:
        host, peer = _pair(sb)
        err = _ip("link", "add", host, "type", "veth", "peer", "name", peer)
        if err:
            return broke(f"cannot make the veth pair on the host: {err}")
        try:
            cfg = sb.config(["sh", "-c", "echo ran > /results/ran"])
            cfg["linux"]["netDevices"] = {peer: {"name": "lo"}}
            sb.write(cfg)
            created = sb.create()
            if created.ok:
                started = sb.start()
                sb.wait_status("stopped", 3)
                created = started
            # control: the same move under a free name must work, else the refusal shows
            # nothing about name clashes
            control = f"{sb.cid[:40]}-ctl"
            sb.extra_ids.append(control)
            cfg["linux"]["netDevices"] = {peer: {"name": f"ocn{host[3:]}"}}
            sb.write(cfg, sb.dir / "control")
            ctl = sb.create(control, sb.dir / "control")
            sb.delete(control, force=True)
            return judge_refusal("moving an interface onto a name already in the namespace",
                                 created, ("exists", "already", "in use", "busy"), ctl)
        finally:
            _ip("link", "del", host)
            _ip("link", "del", peer)
    return Case("net-device-name-clash-errors", G, ("rt.config-linux.network-devices.4",), flow,
                (needs_veth, announced), "1.3.0")


CASES: list[Case] = [moved_case(), template_case(), clash_case()]

