"""root (readonly), mounts (tmpfs, bind, order, options, propagation), default filesystems.

Inside, the probe copies ``/proc/self/mountinfo``; the judge reads the mount at a
destination and its per-mount and super-block options.
"""
from __future__ import annotations

from typing import Any

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Probe,
    broke,
    expect,
    probe_case,
)
from oci_conform.suites.runtime.refusal import error_case
from oci_conform.suites.runtime.sandbox import JSON, Sandbox

G = "mounts"
MOUNTINFO = "cat /proc/self/mountinfo > /results/mountinfo"


def mount_at(obs: Probe, dest: str) -> dict[str, Any] | None:
    """The last (topmost) mount at ``dest``: its options, tags, type and super options."""
    found: dict[str, Any] | None = None
    for line in obs.lines("mountinfo"):
        parts = line.split()
        if len(parts) < 10 or parts[4] != dest:
            continue
        sep = parts.index("-")
        found = {"opts": set(parts[5].split(",")), "tags": parts[6:sep], "type": parts[sep + 1],
                 "source": parts[sep + 2], "super": set(parts[sep + 3].split(",")),
                 "line": line}
    return found


def _add_mount(entry: JSON):
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["mounts"].append(dict(entry))
    return m


def root_readonly_case() -> Case:
    script = ("touch /probe 2>/dev/null && echo yes > /results/w || echo no > /results/w; "
              + MOUNTINFO)

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        root = mount_at(obs, "/")
        ro = root is not None and "ro" in root["opts"]  # type: ignore[operator]
        return expect(obs.get("w").strip() == "no" and ro, "root.readonly makes / read-only",
                      "write refused, / mounted ro", f"write {obs.get('w').strip()}, "
                      f"{(root or {}).get('line', 'no / mount')}")
    return probe_case("root-readonly", G, ("rt.config.root.9",), script, judge,
                      lambda c, s: c["root"].__setitem__("readonly", True))


def root_writable_case() -> Case:
    script = "touch /probe 2>/dev/null && echo yes > /results/w || echo no > /results/w"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("w").strip() == "yes", "root.readonly=false leaves / writable",
                      "yes", obs.get("w").strip())
    return probe_case("root-writable-by-default", G, ("rt.config.root.9",), script, judge)


def root_path_case() -> Case:
    script = "cat /marker > /results/marker"

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        (sb.rootfs / "marker").write_text("from-rootfs\n")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("marker").strip() == "from-rootfs", "root.path is the root "
                      "filesystem", "from-rootfs", obs.get("marker").strip())
    def prepare(cfg: JSON, sb: Sandbox) -> None:
        sb.write(cfg)
        mutate(cfg, sb)
    return probe_case("root-path-is-rootfs", G, ("rt.config.root.5",), script, judge, prepare)


def tmpfs_case() -> Case:
    entry = {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "size=1m", "mode=1770"]}
    script = MOUNTINFO + "; stat -c %a /scratch > /results/mode"

    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        m = mount_at(obs, "/scratch")
        if m is None:
            return [expect(False, "the tmpfs mount exists", "/scratch mounted", "absent", "",
                           "rt.config.mounts.1", "rt.config.posixmounts.1")]
        return [expect(m["type"] == "tmpfs", "the mount has the configured type", "tmpfs",
                       str(m["type"]), "", "rt.config.posixmounts.1", "rt.config.mounts.1"),
                expect({"nosuid", "nodev"} <= m["opts"] and "size=1024k" in m["super"],
                        # type: ignore
                       "mount options apply", "nosuid,nodev,size=1024k", str(m["line"]), "",
                       "rt.config.mounts.11"),
                expect(obs.get("mode").strip() == "1770", "mode= option applies", "1770",
                       obs.get("mode").strip(), "", "rt.config.mounts.11")]
    return probe_case("mount-tmpfs-with-options", G, ("rt.config.mounts.1",
                      "rt.config.posixmounts.1", "rt.config.mounts.11"), script, judge,
                      _add_mount(entry))


def bind_case(readonly: bool) -> Case:
    name = "mount-bind-readonly" if readonly else "mount-bind-readwrite"
    script = ("cat /shared/in > /results/read; echo w > /shared/out 2>/dev/null && "
              "echo yes > /results/w || echo no > /results/w; " + MOUNTINFO)

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        src = sb.dir / "shared"
        src.mkdir(exist_ok=True)
        (src / "in").write_text("host-data\n")
        src.chmod(0o777)
        cfg["mounts"].append({"destination": "/shared", "type": "bind", "source": str(src),
                              "options": ["bind", "ro" if readonly else "rw"]})

    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        clause = "rt.config.linux-mount-options.40" if readonly else \
            "rt.config.linux-mount-options.51"
        wrote = obs.get("w").strip()
        return [expect(obs.get("read").strip() == "host-data", "a bind mount shows the source",
                       "host-data", obs.get("read").strip(), "",
                       "rt.config.linux-mount-options.4", "rt.config.mounts.10"),
                expect(wrote == ("no" if readonly else "yes"),
                       f"{'ro' if readonly else 'rw'} bind is {'not ' if readonly else ''}"
                       "writable", "no" if readonly else "yes", wrote, "", clause,
                       "rt.config.mounts.11")]
    clause = "rt.config.linux-mount-options.40" if readonly else "rt.config.linux-mount-options.51"
    return probe_case(name, G, ("rt.config.linux-mount-options.4", "rt.config.mounts.10", clause,
                                "rt.config.mounts.11"),
                      script, judge, mutate)


def order_case() -> Case:
    script = "cat /stack/inner/file > /results/inner 2>&1; " + MOUNTINFO

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        src = sb.dir / "inner"
        src.mkdir(exist_ok=True)
        (src / "file").write_text("inner\n")
        cfg["mounts"] += [{"destination": "/stack", "type": "tmpfs", "source": "tmpfs",
                           "options": ["size=1m"]},
                          {"destination": "/stack/inner", "type": "bind", "source": str(src),
                           "options": ["bind"]}]

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("inner").strip() == "inner", "mounts apply in the listed order "
                      "(a bind inside an earlier tmpfs is visible)", "inner",
                      obs.get("inner").strip())
    return probe_case("mount-listed-order", G, ("rt.config.mounts.2",), script, judge, mutate)


def relative_dest_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, "/reltmp")
        return expect(m is not None, "a relative destination is taken relative to /",
                      "/reltmp mounted", "absent")
    return probe_case("mount-relative-destination", G, ("rt.config.mounts.5",), MOUNTINFO, judge,
                      _add_mount({"destination": "reltmp", "type": "tmpfs", "source": "tmpfs"}),
                      since="1.2.0")


# per-mount flags visible in mountinfo field 6 after a tmpfs mount with that option
FLAG_OPTIONS = {
    "ro": ("rt.config.linux-mount-options.40", "ro"),
    "nosuid": ("rt.config.linux-mount-options.23", "nosuid"),
    "nodev": ("rt.config.linux-mount-options.15", "nodev"),
    "noexec": ("rt.config.linux-mount-options.17", "noexec"),
    "noatime": ("rt.config.linux-mount-options.14", "noatime"),
    "nodiratime": ("rt.config.linux-mount-options.16", "nodiratime"),
    "relatime": ("rt.config.linux-mount-options.30", "relatime"),
    "strictatime": ("rt.config.linux-mount-options.55", "!relatime"),
    "sync": ("rt.config.linux-mount-options.58", "super:sync"),
    "dirsync": ("rt.config.linux-mount-options.8", "super:dirsync"),
    "lazytime": ("rt.config.linux-mount-options.11", "super:lazytime"),
    "rw": ("rt.config.linux-mount-options.51", "rw"),
}


def option_case(option: str) -> Case:
    clause, want = FLAG_OPTIONS[option]
    dest = f"/opt-{option}"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return expect(False, f"a tmpfs with option {option} is mounted", dest, "absent")
        if want.startswith("!"):
            good = want[1:] not in m["opts"] and "noatime" not in m["opts"]  # type: ignore
        elif want.startswith("super:"):
            good = want[6:] in m["super"] or want[6:] in m["opts"]  # type: ignore[operator]
        else:
            good = want in m["opts"]  # type: ignore[operator]
        return expect(good, f"mount option {option} applies", want, str(m["line"]))
    return probe_case(f"mount-option-{option}", G, (clause, "rt.config.mounts.11"), MOUNTINFO,
                      judge,
                      _add_mount({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                                  "options": [option]}))


PROPAGATION = {
    "private": ("rt.config.linux-mount-options.25", lambda tags: not any(
        t.startswith(("shared:", "master:")) for t in tags) and "unbindable" not in tags),
    "shared": ("rt.config.linux-mount-options.52", lambda tags: any(
        t.startswith("shared:") for t in tags)),
    "unbindable": ("rt.config.linux-mount-options.60", lambda tags: "unbindable" in tags),
    "rprivate": ("rt.config.linux-mount-options.41", lambda tags: not any(
        t.startswith(("shared:", "master:")) for t in tags)),
}


def propagation_case(option: str) -> Case:
    clause, test = PROPAGATION[option]
    dest = f"/prop-{option}"

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        src = sb.dir / f"prop-{option}"
        src.mkdir(exist_ok=True)
        cfg["mounts"].append({"destination": dest, "type": "bind", "source": str(src),
                              "options": ["rbind", option]})

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return broke(f"the bind mount at {dest} is missing")
        return expect(test(m["tags"]), f"propagation {option} applies", option,
                      str(m["line"]))
    return probe_case(f"mount-propagation-{option}", G, (clause, "rt.config.mounts.11"),
                      MOUNTINFO, judge, mutate)


def default_fs_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        want = {"/proc": "proc", "/sys": "sysfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs"}
        missing = [f"{d} ({t})" for d, t in want.items()
                   if (mount_at(obs, d) or {}).get("type") != t]
        return expect(not missing, "proc, sysfs, devpts and shm are available",
                      ", ".join(want), "missing: " + ", ".join(missing))
    return probe_case("mount-default-filesystems", G, ("rt.config-linux.default-filesystems.1",),
                      MOUNTINFO, judge)


def rootfs_propagation_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        root = mount_at(obs, "/")
        if root is None:
            return broke("no / in mountinfo")
        tags = root["tags"]
        return expect(any(t.startswith("master:") for t in tags),
                      "rootfsPropagation slave "  # type: ignore
                      "applies to /", "master:N tag", str(root["line"]))
    return probe_case("rootfs-propagation-slave", G,
                      ("rt.config-linux.rootfs-mount-propagation.1",),
                      MOUNTINFO, judge,
                      lambda c, s: c["linux"].__setitem__("rootfsPropagation", "slave"),
                      requires=(lambda t: None if t.host.root_propagation == "shared" else
                                f"host / is {t.host.root_propagation}: a slave mount needs a "
                                "shared master to show",))


def _missing_root(cfg: JSON, sb: Sandbox) -> None:
    cfg["root"]["path"] = "no-such-rootfs"


CASES: list[Case] = [
    root_readonly_case(), root_writable_case(), root_path_case(), tmpfs_case(),
    bind_case(True), bind_case(False),
    order_case(), relative_dest_case(), default_fs_case(), rootfs_propagation_case(),
    *[option_case(o) for o in FLAG_OPTIONS],
    *[propagation_case(p) for p in PROPAGATION],
    error_case("root-path-missing-errors", G, ("rt.config.root.8",), _missing_root,
               ("no-such-rootfs", "rootfs", "root", "no such file")),
]
