"""The rest of the Linux mount option table: each option read back from mountinfo.

``mounts_root`` judges the dozen options a plain tmpfs shows directly.  Here:

* clearing options (``atime``, ``dev``, ``exec`` ...) listed after the option they undo:
  the later one wins, as in mount(8), so the flag must be gone;
* options whose effect mountinfo does not show (``loud``, ``silent``, ``iversion`` ...):
  judged only as recognised (the mount is made and the word is not handed to the
  filesystem as data) -- a weak observation, and the message says so;
* the recursive family (``rro``, ``rnosuid``, ``rsuid`` ...), ``rbind`` and recursive
  propagation: the bind source carries a host tmpfs submount (set up by the case and
  unmounted by it before cleanup) whose flags are read back at both levels;
* ``remount``, ``tmpcopyup``, filesystem data options, and ``idmap``/``ridmap`` without
  mappings (an error).
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable

from oci_conform.drivers.runtime_cli import run_bounded
from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Observation,
    Probe,
    Requirement,
    Unmet,
    broke,
    expect,
    not_offered,
    probe_case,
    run_probe,
)
from oci_conform.suites.runtime.mounts_root import MOUNTINFO, mount_at
from oci_conform.suites.runtime.refusal import error_case
from oci_conform.suites.runtime.sandbox import JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

G = "mounts"
Flags = set[str]


def kernel_at_least(major: int, minor: int) -> Requirement:
    def req(t: RuntimeTarget) -> str | None:
        m = re.match(r"(\d+)\.(\d+)", os.uname().release)
        if m and (int(m[1]), int(m[2])) >= (major, minor):
            return None
        return f"kernel {os.uname().release} is older than {major}.{minor}"
    return req


def listed_option(option: str) -> Requirement:
    """Skip an optional (MAY) option the runtime's features do not announce."""
    def req(t: RuntimeTarget) -> Unmet | None:
        listed = t.feature_list("mountOptions")
        if listed is not None and option not in listed:
            return not_offered(f"{t.name} features do not list mount option {option} "
                               "(a MAY option)")
        return None
    return req


def shared_host_root(t: RuntimeTarget) -> str | None:
    if t.host.root_propagation == "shared":
        return None
    return (f"host / is {t.host.root_propagation}: a slave mount needs a shared master "
            "to show master:N")


def _tmpfs(dest: str, options: list[str]) -> Callable[[JSON, Sandbox], None]:
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["mounts"].append({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                              "options": list(options)})
    return m


def _missing(dest: str, obs: Probe) -> Judgment:
    return expect(False, f"the mount at {dest} exists", dest, "absent from mountinfo")


# -- clearing options: [flag, undo] -> the flag is gone ------------------------------------
# option -> (clause, options listed, what must hold of (per-mount, super) flags, wanted)
NEGATIONS: dict[str, tuple[str, list[str], Callable[[Flags, Flags], bool], str]] = {
    "atime": ("rt.config.linux-mount-options.3", ["noatime", "atime"], lambda o,
              s: "noatime" not in o, "no noatime"),
    "dev": ("rt.config.linux-mount-options.6", ["nodev", "dev"], lambda o, s: "nodev" not in o,
            "no nodev"),
    "diratime": ("rt.config.linux-mount-options.7", ["nodiratime", "diratime"], lambda o,
                 s: "nodiratime" not in o,
                 "no nodiratime"),
    "exec": ("rt.config.linux-mount-options.9", ["noexec", "exec"], lambda o, s: "noexec" not in o,
             "no noexec"),
    "suid": ("rt.config.linux-mount-options.56", ["nosuid", "suid"], lambda o, s: "nosuid" not in o,
             "no nosuid"),
    "async": ("rt.config.linux-mount-options.2", ["sync", "async"], lambda o,
              s: "sync" not in o | s, "no sync"),
    "nolazytime": ("rt.config.linux-mount-options.19", ["lazytime", "nolazytime"],
                   lambda o, s: "lazytime" not in o | s, "no lazytime"),
    "nostrictatime": ("rt.config.linux-mount-options.22", ["strictatime", "nostrictatime"],
                      lambda o, s: "relatime" in o, "relatime (the kernel default)"),
    "symfollow": ("rt.config.linux-mount-options.57", ["nosymfollow", "symfollow"],
                  lambda o, s: "nosymfollow" not in o, "no nosymfollow"),
}
# probe actions that show the effect itself, by option
ACTIONS = {
    "exec": ("cp /bin/busybox {d}/true && {d}/true && echo ran > /results/act "
             "|| echo refused > /results/act", "ran"),
    "noexec": ("cp /bin/busybox {d}/true && {d}/true && echo ran > /results/act "
               "|| echo refused > /results/act", "refused"),
    "symfollow": ("echo target > {d}/t && ln -s t {d}/l && cat {d}/l > /results/act "
                  "2>/dev/null || echo refused > /results/act", "target"),
    "nosymfollow": ("echo target > {d}/t && ln -s t {d}/l && cat {d}/l > /results/act "
                    "2>/dev/null || echo refused > /results/act", "refused"),
}


def _with_action(option: str, dest: str) -> str:
    action = ACTIONS.get(option)
    return MOUNTINFO + ("; " + action[0].format(d=dest) if action else "")


def _action_verdict(option: str, obs: Probe) -> list[Judgment]:
    if option not in ACTIONS:
        return []
    want = ACTIONS[option][1]
    got = obs.get("act").strip()
    if not got:
        return [broke(f"the probe action for {option} wrote nothing")]
    return [expect(got == want, f"the effect of {option} shows in use", want, got)]


def negation_case(option: str) -> Case:
    clause, options, test, wanted = NEGATIONS[option]
    dest = f"/neg-{option}"

    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        m = mount_at(obs, dest)
        if m is None:
            return [_missing(dest, obs)]
        return [expect(test(m["opts"], m["super"]),  # type: ignore[arg-type]
                       f"{option} listed after {options[0]} undoes it (the last wins)",
                       wanted, str(m["line"]))] + _action_verdict(option, obs)
    return probe_case(f"mount-option-{option}", G, (clause,),
                      _with_action(option, dest), judge, _tmpfs(dest, options), since="1.1.0")


# -- options that set a visible flag, with an action ----------------------------------------
def nosymfollow_case() -> Case:
    dest = "/opt-nosymfollow"

    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        m = mount_at(obs, dest)
        if m is None:
            return [_missing(dest, obs)]
        return [expect("nosymfollow" in m["opts"], "mount option nosymfollow applies",
                        # type: ignore
                       "nosymfollow", str(m["line"]))] + _action_verdict("nosymfollow", obs)
    return probe_case("mount-option-nosymfollow", G, ("rt.config.linux-mount-options.24",),
                      _with_action("nosymfollow", dest), judge,
                      _tmpfs(dest, ["nosymfollow"]), requires=(kernel_at_least(5, 10),),
                      since="1.1.0")


def defaults_case() -> Case:
    dest = "/opt-defaults"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return _missing(dest, obs)
        o, s = m["opts"], m["super"]
        good = "rw" in o and not ({"nosuid", "nodev", "noexec", "ro"} & o) \
            and "defaults" not in s  # type: ignore[operator]
        return expect(good, "defaults gives rw, suid, dev, exec (and is not filesystem data)",
                      "rw without nosuid/nodev/noexec", str(m["line"]))
    return probe_case("mount-option-defaults", G, ("rt.config.linux-mount-options.5",), MOUNTINFO,
                      judge, _tmpfs(dest, ["defaults"]), since="1.1.0")


# options whose effect mountinfo does not show: recognised, mount made, not fs data
UNSEEN = {
    "loud": ("rt.config.linux-mount-options.12",
             "clears MS_SILENT, which only quiets kernel messages"),
    "silent": ("rt.config.linux-mount-options.53",
               "sets MS_SILENT, which only quiets kernel messages"),
    "iversion": ("rt.config.linux-mount-options.10",
                 "the i_version flag is not listed in mountinfo"),
    "noiversion": ("rt.config.linux-mount-options.18",
                   "the i_version flag is not listed in mountinfo"),
    "norelatime": ("rt.config.linux-mount-options.21",
                   "the kernel falls back to relatime when no atime mode is given"),
}


def unseen_case(option: str) -> Case:
    clause, why = UNSEEN[option]
    dest = f"/opt-{option}"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return _missing(dest, obs)
        return expect(option not in m["super"] and option not in m["opts"],  # type: ignore
                      f"{option} is recognised (mount made, not passed as filesystem data); "
                      f"its effect is not observable: {why}", f"no {option} in mountinfo",
                      str(m["line"]))
    return probe_case(f"mount-option-{option}", G, (clause,), MOUNTINFO, judge,
                      _tmpfs(dest, [option]), since="1.1.0")


def mand_case(option: str) -> Case:
    clause = ("rt.config.linux-mount-options.13" if option == "mand"
              else "rt.config.linux-mount-options.20")
    dest = f"/opt-{option}"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return _missing(dest, obs)
        have = "mand" in m["super"] | m["opts"]  # type: ignore[operator]
        return expect(have == (option == "mand"), f"mount option {option} applies",
                      "mand" if option == "mand" else "no mand", str(m["line"]))

    def no_mandlock(t: RuntimeTarget) -> str | None:
        if kernel_at_least(5, 15)(t) is None:
            return (f"kernel {os.uname().release} has no mandatory locking (removed in "
                    "5.15): mand cannot show")
        return None
    options = ["mand"] if option == "mand" else ["mand", "nomand"]
    return probe_case(f"mount-option-{option}", G, (clause,), MOUNTINFO, judge,
                      _tmpfs(dest, options), requires=(no_mandlock, listed_option(option)),
                      since="1.1.0")


# -- remount, tmpcopyup, filesystem data ----------------------------------------------------
def remount_case() -> Case:
    dest = "/remounted"
    script = ("echo w > /remounted/f 2>/dev/null && echo yes > /results/w "
              "|| echo no > /results/w; " + MOUNTINFO)

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["mounts"] += [
            {"destination": dest, "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
            {"destination": dest, "type": "tmpfs", "source": "tmpfs",
             "options": ["remount", "ro"]}]

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        lines = [ln for ln in obs.lines("mountinfo") if ln.split()[4:5] == [dest]]
        m = mount_at(obs, dest)
        if m is None:
            return _missing(dest, obs)
        good = len(lines) == 1 and "ro" in m["opts"] and obs.get("w").strip() == "no"  # type: ignore
        return expect(good, "remount changes the existing mount (one mount, now read-only)",
                      "1 mount at /remounted, ro, write refused",
                      f"{len(lines)} mount(s); write {obs.get('w').strip()}; {m['line']}")
    return probe_case("mount-option-remount", G, ("rt.config.linux-mount-options.31",), script,
                      judge, mutate, since="1.1.0")


def tmpcopyup_case() -> Case:
    dest = "/seeded"
    script = "cat /seeded/seed > /results/seed 2>&1; " + MOUNTINFO

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        sb.write(cfg)
        (sb.rootfs / "seeded").mkdir(exist_ok=True)
        (sb.rootfs / "seeded" / "seed").write_text("from-image\n")
        cfg["mounts"].append({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                              "options": ["tmpcopyup"]})

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return _missing(dest, obs)
        good = m["type"] == "tmpfs" and obs.get("seed").strip() == "from-image"
        return expect(good, "tmpcopyup copies the mount point's content into the tmpfs",
                      "tmpfs holding seed=from-image",
                      f"{m['type']}; seed: {obs.get('seed').strip()[:100]}")
    return probe_case("mount-option-tmpcopyup", G, ("rt.config.linux-mount-options.59",), script,
                      judge, mutate,
                      requires=(listed_option("tmpcopyup"),), since="1.1.0")


def fs_data_case() -> Case:
    dest = "/fsdata"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        m = mount_at(obs, dest)
        if m is None:
            return _missing(dest, obs)
        s = m["super"]
        good = "nr_inodes=77" in s and "mode=710" in s  # type: ignore[operator]
        return expect(good, "options outside the table reach the filesystem as data",
                      "nr_inodes=77,mode=710", str(m["line"]))
    return probe_case("mount-option-filesystem-data", G, ("rt.config.linux-mount-options.66",),
                      MOUNTINFO, judge, _tmpfs(dest, ["nr_inodes=77", "mode=0710", "nosuid"]),
                      since="1.1.0")


# -- recursive: a bind source with a host submount -------------------------------------------
def _host_mount(args: list[str]) -> str:
    """Run mount(8) on the host; "" or the error."""
    return run_bounded(["mount", *args], timeout=10).reason()


def tree_case(name: str, clauses: tuple[str, ...], options: list[str], initial: str,
              judge: Callable[[Probe, str], list[Judgment]], script: str = MOUNTINFO,
              requires: tuple[Requirement, ...] = ()) -> Case:
    """Bind a host folder whose ``sub`` is a tmpfs (host flags ``initial``) at /tree."""
    def flow(sb: Sandbox) -> list[Judgment] | Judgment:
        src = sb.dir / "tree"
        sub = src / "sub"
        sub.mkdir(parents=True, exist_ok=True)
        err = _host_mount(["-t", "tmpfs", "-o", "size=1m,mode=755", "oc-sub", str(sub)])
        if err:
            return broke(f"cannot prepare the host submount: {err}")
        try:
            (sub / "marker").write_text("submount\n")
            if initial:
                err = _host_mount(["-o", f"remount,bind,{initial}", str(sub)])
                if err:
                    return broke(f"cannot set {initial} on the host submount: {err}")
            sb.notes["host_submount"] = f"{sub} (tmpfs, {initial or 'default flags'})"

            def mutate(cfg: JSON, s: Sandbox) -> None:
                cfg["mounts"].append({"destination": "/tree", "type": "bind",
                                      "source": str(src), "options": list(options)})
            obs = run_probe(sb, script, mutate)
            if isinstance(obs, Observation):
                return obs
            return judge(obs, "/tree/sub")
        finally:
            run_bounded(["umount", "-l", str(sub)], timeout=10)
    return Case(name, G, clauses, flow, requires, "1.1.0")


def rbind_case() -> Case:
    def judge(obs: Probe, sub: str) -> list[Judgment]:
        m = mount_at(obs, sub)
        return [expect(m is not None and obs.get("marker").strip() == "submount",
                       "rbind carries the source's submounts along", "submount at /tree/sub",
                       f"{(m or {}).get('line', 'no mount at /tree/sub')}; "
                       f"marker: {obs.get('marker').strip()[:80]}")]
    return tree_case("mount-option-rbind", ("rt.config.linux-mount-options.27",), ["rbind"], "",
                     judge, "cat /tree/sub/marker > /results/marker 2>&1; " + MOUNTINFO)


# option -> (clause, host submount flags first, test on per-mount flags, wanted)
RECURSIVE: dict[str, tuple[str, str, Callable[[Flags], bool], str]] = {
    "rro": ("rt.config.linux-mount-options.43", "", lambda o: "ro" in o, "ro"),
    "rrw": ("rt.config.linux-mount-options.44", "ro", lambda o: "rw" in o, "rw"),
    "rnosuid": ("rt.config.linux-mount-options.38", "", lambda o: "nosuid" in o, "nosuid"),
    "rsuid": ("rt.config.linux-mount-options.48", "nosuid", lambda o: "nosuid" not in o,
              "no nosuid"),
    "rdev": ("rt.config.linux-mount-options.28", "nodev", lambda o: "nodev" not in o, "no nodev"),
    "rnoexec": ("rt.config.linux-mount-options.35", "", lambda o: "noexec" in o, "noexec"),
    "rexec": ("rt.config.linux-mount-options.32", "noexec", lambda o: "noexec" not in o,
              "no noexec"),
    "rnoatime": ("rt.config.linux-mount-options.33", "", lambda o: "noatime" in o, "noatime"),
    "ratime": ("rt.config.linux-mount-options.26", "noatime", lambda o: "noatime" not in o,
               "no noatime"),
    "rnodiratime": ("rt.config.linux-mount-options.34", "", lambda o: "nodiratime" in o,
                    "nodiratime"),
    "rdiratime": ("rt.config.linux-mount-options.29", "nodiratime", lambda o: "nodiratime" not in o,
                  "no nodiratime"),
    "rrelatime": ("rt.config.linux-mount-options.42", "noatime", lambda o: "relatime" in o,
                  "relatime"),
    "rstrictatime": ("rt.config.linux-mount-options.47", "", lambda o: not {"relatime",
                                                                            "noatime"} & o,
                     "neither relatime nor noatime"),
    "rnostrictatime": ("rt.config.linux-mount-options.37", "strictatime", lambda o: "relatime" in o,
                       "relatime (the kernel default)"),
    "rnorelatime": ("rt.config.linux-mount-options.36", "", lambda o: "rnorelatime" not in o,
                    "recognised (the kernel falls back to relatime; not observable)"),
    "rnosymfollow": ("rt.config.linux-mount-options.39", "", lambda o: "nosymfollow" in o,
                     "nosymfollow"),
    "rsymfollow": ("rt.config.linux-mount-options.49", "nosymfollow",
                   lambda o: "nosymfollow" not in o,
                   "no nosymfollow"),
}


def recursive_case(option: str) -> Case:
    clause, initial, test, wanted = RECURSIVE[option]

    def judge(obs: Probe, sub: str) -> list[Judgment]:
        out = []
        for dest in ("/tree", sub):
            m = mount_at(obs, dest)
            if m is None:
                out.append(broke(f"the mount at {dest} is missing (rbind carried nothing)"))
                continue
            out.append(expect(test(m["opts"]), f"{option} applies at {dest}",  # type: ignore
                              wanted, str(m["line"])))
        return out
    return tree_case(f"mount-option-{option}", (clause,),
                     ["rbind", option], initial, judge, requires=(kernel_at_least(5, 12),))


PROPAGATION: dict[str, tuple[str, Callable[[list[str]], bool], str]] = {
    "rshared": ("rt.config.linux-mount-options.45",
                lambda t: any(x.startswith("shared:") for x in t), "shared:N"),
    "rslave": ("rt.config.linux-mount-options.46", lambda t: any(x.startswith("master:") for x in t)
               and not any(x.startswith("shared:") for x in t), "master:N, not shared"),
    "runbindable": ("rt.config.linux-mount-options.50", lambda t: "unbindable" in t, "unbindable"),
    "slave": ("rt.config.linux-mount-options.54", lambda t: any(x.startswith("master:") for x in t)
              and not any(x.startswith("shared:") for x in t), "master:N, not shared"),
}


def propagation_case(option: str) -> Case:
    clause, test, wanted = PROPAGATION[option]
    recursive = option.startswith("r")

    def judge(obs: Probe, sub: str) -> list[Judgment]:
        out = []
        for dest in ("/tree", sub) if recursive else ("/tree",):
            m = mount_at(obs, dest)
            if m is None:
                out.append(broke(f"the mount at {dest} is missing"))
                continue
            out.append(expect(test(m["tags"]), f"propagation {option} at {dest}",  # type: ignore
                              wanted, str(m["line"])))
        return out
    requires = (shared_host_root,) if "slave" in option else ()
    return tree_case(f"mount-propagation-{option}", (clause,),
                     ["rbind", option], "", judge, requires=requires)


# -- idmap without mappings and without a user namespace: an error ---------------------------
IDMAP_WORDS = ("idmap", "user namespace", "userns", "mapping", "mount_setattr")


def _idmap(option: str) -> Callable[[JSON, Sandbox], None]:
    """A bind mount with ``option`` ("" = the plain bind mount, the control)."""
    def m(cfg: JSON, sb: Sandbox) -> None:
        src = sb.dir / "mnt-src"
        src.mkdir(exist_ok=True)
        cfg["mounts"].append({"destination": "/idmapped", "type": "bind", "source": str(src),
                              "options": ["bind", *([option] if option else [])]})
    return m


CASES: list[Case] = [
    *[negation_case(o) for o in NEGATIONS],
    nosymfollow_case(), defaults_case(),
    *[unseen_case(o) for o in UNSEEN],
    mand_case("mand"), mand_case("nomand"),
    remount_case(), tmpcopyup_case(), fs_data_case(),
    rbind_case(),
    *[recursive_case(o) for o in RECURSIVE],
    *[propagation_case(o) for o in PROPAGATION],
    error_case("mount-idmap-without-userns-errors", G, ("rt.config.linux-mount-options.61-f",),
               _idmap("idmap"), IDMAP_WORDS, _idmap(""), since="1.2.0"),
    error_case("mount-ridmap-without-userns-errors", G, ("rt.config.linux-mount-options.62-f",),
               _idmap("ridmap"), IDMAP_WORDS, _idmap(""), since="1.2.0"),
]
