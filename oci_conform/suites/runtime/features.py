"""The ``features`` document: valid, and truthful (what it announces is accepted).

"Recognized" is judged by trying: a config using the announced name must not be
refused *because of that name* (a refusal whose message names it).
"""
from __future__ import annotations

import re

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Why,
    bad,
    broke,
    expect,
    needs_features,
    ok,
    unjudged,
)
from oci_conform.suites.runtime.sandbox import JSON, Sandbox
from oci_conform.suites.runtime.schemas import validate

G = "features"
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)")
UNKNOWN_WORDS = ("unknown", "unsupported", "not supported", "invalid", "unrecognized")


def _key(v: str) -> tuple[int, ...]:
    m = SEMVER.match(v or "")
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def document_case(sb: Sandbox) -> list[Judgment]:
    doc = sb.target.features or {}
    sb.notes["features"] = {k: doc[k] for k in list(doc)[:12]}
    vmin, vmax = doc.get("ociVersionMin"), doc.get("ociVersionMax")
    out = [expect(isinstance(vmin, str) and bool(SEMVER.match(vmin)), "ociVersionMin is present",
                  "SemVer string", repr(vmin), "/ociVersionMin",
                  "rt.features.specification-version.1"),
           expect(isinstance(vmax, str) and bool(SEMVER.match(vmax)), "ociVersionMax is present",
                  "SemVer string", repr(vmax), "/ociVersionMax",
                  "rt.features.specification-version.3"),
           expect(_key(str(vmax)) >= _key(str(vmin)), "ociVersionMax is not below ociVersionMin",
                  f">= {vmin}", str(vmax), "/ociVersionMax", "rt.features.specification-version.5")]
    problems = validate(_drop_nulls(doc), "features")
    if problems is None:
        out.append(broke("no features schema to validate against", "rt.features.features.1"))
    else:
        out.append(expect(not problems, "features validates against the features schema",
                          "no errors", "; ".join(problems[:5]), "", "rt.features.features.1",
                          "rt.features.specification-version.6"))
    ann = doc.get("annotations")
    out.append(expect(ann is None or (isinstance(ann, dict) and all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in ann.items())),
        "features annotations are a string map", "string keys and values", repr(ann)[:300],
        "/annotations", "rt.features.annotations.3"))
    return out


def _drop_nulls(node: object) -> object:
    if isinstance(node, dict):
        return {k: _drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_drop_nulls(v) for v in node]
    return node


def version_case(which: str) -> Case:
    clause = ("rt.features.specification-version.2" if which == "ociVersionMin"
                  else "rt.features.specification-version.4")

    def flow(sb: Sandbox) -> Judgment:
        version = (sb.target.features or {}).get(which)
        if not isinstance(version, str):
            return bad(f"features has no {which}", "a version", repr(version))
        cfg = sb.config(["true"])
        cfg["ociVersion"] = version
        sb.write(cfg)
        inv = sb.create()
        return expect(inv.ok, f"a config with ociVersion {version} ({which}) is accepted",
                      "create exit 0", inv.brief())
    return Case(f"features-accepts-{which}", G, (clause,), flow, (needs_features(),))


def _refused_for(name: str, inv: object) -> bool:
    text = (getattr(inv, "stderr", "") + getattr(inv, "stdout", "")).lower()
    return bool(getattr(inv, "failed", False)) and name.lower() in text and any(
        w in text for w in UNKNOWN_WORDS)


def _refusal(name: str, inv: object) -> list[str]:
    """``[name: why]`` when ``inv`` refused ``name`` as unknown, else ``[]``."""
    if not _refused_for(name, inv):
        return []
    return [f"{name}: {getattr(inv, 'stderr', '').strip()[-160:]}"]


def _create_with(sb: Sandbox, names: list[str], build, cid: str) -> object:  # type: ignore
    """Create (then delete) a container whose config holds every name, each in a part of
    its own (a mount, a capability); the create's invocation."""
    cfg = sb.config(["true"])
    for n, name in enumerate(names):
        build(cfg, name, sb, n)
    sb.write(cfg)
    sb.extra_ids.append(cid)
    inv = sb.create(cid)
    sb.delete(cid, force=True)
    return inv


def _try_each(sb: Sandbox, names: list[str], build) -> list[str]:  # type: ignore[no-untyped-def]
    """Names whose config (one per name) was refused as unknown."""
    return [why for n, name in enumerate(names)
            for why in _refusal(name, _create_with(sb, [name], build, f"{sb.cid}-{n}"))]


def _refused_by_halves(sb: Sandbox, names: list[str], build, tries: list[int]  # type: ignore
                       ) -> list[str]:
    """Names refused as unknown, found by halving: a config holding a group of names that
    is accepted clears them all (no name in it is unknown), a refused group is split, and a
    name alone is judged as ``_try_each`` judges it. runc announces about 50 mount options,
    nearly all accepted: a handful of creates instead of one per name."""
    if not names:
        return []
    tries[0] += 1
    inv = _create_with(sb, names, build, f"{sb.cid}-h{tries[0]}")
    if getattr(inv, "ok", False):
        return []
    if len(names) == 1:
        return _refusal(names[0], inv)
    mid = len(names) // 2
    return (_refused_by_halves(sb, names[:mid], build, tries)
            + _refused_by_halves(sb, names[mid:], build, tries))


def truthful_case(name: str, path: tuple[str, ...], clause: str, build,  # type: ignore
                  limit: int = 80, together: bool = False) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        node: object = sb.target.features
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, list):
            return unjudged(Why.NOT_OFFERED, f"features do not list {'.'.join(path)}")
        names = [str(x) for x in node][:limit]
        sb.notes["tried"] = len(names)
        if not together:
            refused = _try_each(sb, names, build)
        else:
            tries = [0]
            refused = _refused_by_halves(sb, names, build, tries)
            sb.notes["creates"] = tries[0]
            if tries[0] == 1 and not refused:
                return ok(f"every announced {'.'.join(path)} entry is recognized (all "
                          f"{len(names)} in one config, accepted by create)")
        return expect(not refused, f"every announced {'.'.join(path)} entry is recognized",
                      "none refused as unknown", "; ".join(refused[:8]))
    return Case(name, G, (clause,), flow, (needs_features(),))


def _hook(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    cfg["hooks"] = {name: [{"path": "/bin/true"}]}


def _mount_option(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    src = sb.dir / "optsrc"
    src.mkdir(exist_ok=True)
    cfg["mounts"].append({"destination": f"/optmnt{n or ''}", "type": "bind",
                          "source": str(src), "options": ["rbind", name]})


def _namespace(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    if not any(n["type"] == name for n in cfg["linux"]["namespaces"]):
        cfg["linux"]["namespaces"].append({"type": name})
    if name == "user":
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]


def _capability(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    cfg["process"]["capabilities"]["bounding"].append(name)


def _seccomp_action(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    rule: JSON = {"names": ["reboot"], "action": name}
    if name == "SCMP_ACT_NOTIFY":
        return
    cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]}


def _seccomp_operator(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    arg = {"index": 0, "value": 1, "valueTwo": 1, "op": name}
    cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["reboot"], "action": "SCMP_ACT_ERRNO", "args": [arg]}]}


def _seccomp_arch(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [name],
                               "syscalls": [{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]}


def _seccomp_flag(cfg: JSON, name: str, sb: Sandbox, n: int = 0) -> None:
    cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "flags": [name],
                               "syscalls": [{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]}


def cgroup_flags_case(sb: Sandbox) -> Judgment:
    cg = ((sb.target.features or {}).get("linux") or {}).get("cgroup") or {}
    mode = sb.target.host.cgroup_mode
    key = "v2" if mode == "v2" else "v1"
    if cg.get(key) is None:
        return unjudged(Why.NOT_OFFERED, f"features do not say whether cgroup {key} works")
    cfg = sb.config(["true"])
    cfg["linux"]["resources"]["pids"] = {"limit": 50}
    sb.write(cfg)
    inv = sb.create()
    return expect(bool(cg[key]) == inv.ok, f"features cgroup.{key}={cg[key]} matches what "
                  "create does on this host", f"create {'works' if cg[key] else 'fails'}",
                  inv.brief())


CASES: list[Case] = [
    Case("features-document-valid", G, ("rt.features.features.1",
                                        "rt.features.specification-version.1",
         "rt.features.specification-version.3", "rt.features.specification-version.5",
         "rt.features.specification-version.6", "rt.features.annotations.3"), document_case,
         (needs_features(),)),
    version_case("ociVersionMin"), version_case("ociVersionMax"),
    truthful_case("features-hooks-truthful", ("hooks",), "rt.features.hooks.2", _hook),
    truthful_case("features-mount-options-truthful", ("mountOptions",),
                  "rt.features.mount-options.2",
                  _mount_option, together=True),
    truthful_case("features-namespaces-truthful", ("linux", "namespaces"),
                  "rt.features-linux.linux-features-namespaces.2", _namespace),
    truthful_case("features-capabilities-truthful", ("linux", "capabilities"),
                  "rt.features-linux.linux-features-capabilities.2", _capability,
                  together=True),
    truthful_case("features-seccomp-actions-truthful", ("linux", "seccomp", "actions"),
                  "rt.features-linux.linux-features-seccomp.4", _seccomp_action),
    truthful_case("features-seccomp-operators-truthful", ("linux", "seccomp", "operators"),
                  "rt.features-linux.linux-features-seccomp.6", _seccomp_operator),
    truthful_case("features-seccomp-archs-truthful", ("linux", "seccomp", "archs"),
                  "rt.features-linux.linux-features-seccomp.8", _seccomp_arch),
    truthful_case("features-seccomp-flags-truthful", ("linux", "seccomp", "supportedFlags"),
                  "rt.features-linux.linux-features-seccomp.12", _seccomp_flag),
    Case("features-cgroup-flags-truthful", G, ("rt.features-linux.linux-features-cgroup.2",),
         cgroup_flags_case, (needs_features(),)),
]
