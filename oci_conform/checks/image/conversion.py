"""conversion.md: judge a runtime config.json a converter wrote from an image config.

Pure: the image config (and the manifest it came with), the runtime config the converter
produced, and the users/groups of the image's root filesystem in; a Report out. A clause
whose field the image does not set is not touched (n/a).
"""
from __future__ import annotations

import json
from typing import Any

from oci_conform.checks.image.report import Report

# image config field -> (clause, runtime annotation key)
IMPLICIT = {"os": ("image.conversion.annotation-fields.2", "org.opencontainers.image.os"),
            "architecture": ("image.conversion.annotation-fields.3",
                             "org.opencontainers.image.architecture"),
            "variant": ("image.conversion.annotation-fields.4", "org.opencontainers.image.variant"),
            "os.version": ("image.conversion.annotation-fields.5",
                           "org.opencontainers.image.os.version"),
            "os.features": ("image.conversion.annotation-fields.6",
                            "org.opencontainers.image.os.features"),
            "author": ("image.conversion.annotation-fields.7", "org.opencontainers.image.author"),
            "created": ("image.conversion.annotation-fields.8", "org.opencontainers.image.created"),
            "StopSignal": ("image.conversion.annotation-fields.9",
                           "org.opencontainers.image.stopSignal")}
EXPOSED_KEY = "org.opencontainers.image.exposedPorts"

# The MUST rules of the conversion: the baseline clauses pass only when none of these fail.
MUSTS = ("image.conversion.verbatim-fields.1", "image.conversion.verbatim-fields.3",
         "image.conversion.annotation-fields.1", "image.conversion.configuser.1",
         "image.conversion.annotations.2", "image.conversion.annotations.4",
         *(c for c, _ in IMPLICIT.values()))


def _name(entry: str) -> str:
    return entry.partition("=")[0]


def _implicit_value(field: str, value: Any) -> str:
    if field == "os.features" and isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def judge_conversion(image: dict, manifest: dict, runtime: dict,
                     passwd: dict[str, tuple[int, int]] | None = None,
                     groups: dict[str, list[int]] | None = None,
                     group_ids: dict[str, int] | None = None) -> Report:
    """Judge ``runtime`` (config.json) against the image config ``image``.

    ``passwd``: user name -> (uid, gid) of the image rootfs; ``groups``: user name -> the
    gids of the groups listing that user (both from the image's /etc files)."""
    r = Report(file="config.json", text=json.dumps(runtime, indent=2))
    cfg = image.get("config") or {}
    proc = runtime.get("process") or {}
    env = proc.get("env") or []
    ann = runtime.get("annotations") or {}
    labels = cfg.get("Labels") or {}
    _process(r, cfg, proc, env)
    _annotations(r, image, cfg, manifest, ann, labels)
    _user(r, cfg.get("User"), proc.get("user") or {}, passwd or {}, groups or {},
          group_ids or {})
    _volumes(r, cfg.get("Volumes") or {}, runtime.get("mounts") or [])
    cfg_ports, cfg_vols = cfg.get("ExposedPorts"), cfg.get("Volumes")
    if cfg_ports and cfg_vols:
        r.check("image.conversion.optional-fields.1",
                not ({"image.conversion.optional-fields.2",
                      "image.conversion.optional-fields.3"} & r.failed),
                "ExposedPorts or Volumes did not reach the generated runtime config", "")
    failed = sorted(c for c in MUSTS if c in r.failed)
    if r.observed & set(MUSTS):
        for clause in ("image.conversion.to-oci-runtime-configuration.1",
                       "image.config.properties.17"):
            r.check(clause, not failed, "the generated config does not follow the image "
                    "config as conversion.md lays out: " + ", ".join(failed), "")
    return r


def _process(r: Report, cfg: dict, proc: dict, env: list) -> None:
    if "WorkingDir" in cfg and cfg["WorkingDir"]:
        r.check("image.conversion.verbatim-fields.1",
                proc.get("cwd") == cfg["WorkingDir"], "process.cwd is not "
                "Config.WorkingDir", "/process/cwd", cfg["WorkingDir"], str(proc.get("cwd")))
    image_env = cfg.get("Env") or []
    for e in image_env:
        ok = e in env
        r.check("image.conversion.verbatim-fields.1",
                ok, f"Config.Env entry {e!r} is not in process.env unchanged",
                "/process/env", e, json.dumps(env)[:200])
        others = [x for x in env if _name(x) == _name(e) and x != e]
        r.check("image.conversion.to-oci-runtime-configuration.5",
                ok and not others, f"the image's {_name(e)} was removed "
                "or changed by the converter", "/process/env", e, json.dumps(others or env))
    if image_env:
        names = {_name(e) for e in image_env}
        extra = [x for x in env if x not in image_env and _name(x) in names]
        r.check("image.conversion.verbatim-fields.2",
                not extra, "the converter added process.env entries whose "
                "names Config.Env already sets", "/process/env", "", json.dumps(extra))
    ep, cmd = cfg.get("Entrypoint") or [], cfg.get("Cmd") or []
    if ep or cmd:
        r.check("image.conversion.verbatim-fields.1",
                proc.get("args") == ep + cmd, "process.args is not Config.Entrypoint "
                "followed by Config.Cmd", "/process/args", json.dumps(ep + cmd),
                json.dumps(proc.get("args")))
    if cmd and not ep:
        args = proc.get("args") or []
        r.check("image.config.properties.23",
                bool(args) and args[0] == cmd[0], "without Entrypoint the "
                "first Cmd element is not the program", "/process/args/0", cmd[0],
                repr(args[:1]))
    if ep and cmd:
        r.check("image.conversion.verbatim-fields.3",
                proc.get("args") == ep + cmd, "process.args is not Entrypoint "
                "+ Cmd", "/process/args", json.dumps(ep + cmd), json.dumps(proc.get("args")))


def _annotations(r: Report, image: dict, cfg: dict, manifest: dict, ann: dict,
                 labels: dict) -> None:
    for field, (clause, key) in IMPLICIT.items():
        value = cfg.get(field) if field == "StopSignal" else image.get(field)
        if value in (None, "", []) or key in labels:
            continue
        want = _implicit_value(field, value)
        got = ann.get(key)
        ok = got == want or (field == "os.features" and got == json.dumps(value))
        r.check(clause, ok, f"annotation {key} does not carry the image's {field}",
                "/annotations" + "/" + key.replace("/", "~1"), want, repr(got))
    for key, value in labels.items():
        r.check("image.conversion.annotations.4",
                ann.get(key) == value, f"Config.Labels {key} is not in "
                "annotations unchanged", "/annotations", value, repr(ann.get(key)))
        implicit = next((f for f, (_, k) in IMPLICIT.items() if k == key), None)
        if implicit is not None:
            derived = cfg.get(implicit) if implicit == "StopSignal" else image.get(implicit)
            if derived not in (None, "") and _implicit_value(implicit, derived) != value:
                for clause in ("image.conversion.annotation-fields.1",
                               "image.conversion.annotations.2"):
                    r.check(clause, ann.get(key) == value, f"Config.Labels {key} did not win "
                            f"over the value derived from {implicit}", "/annotations",
                            value, repr(ann.get(key)))
    ports = cfg.get("ExposedPorts") or {}
    if ports and EXPOSED_KEY not in labels:
        want = ",".join(sorted(ports))
        got = ann.get(EXPOSED_KEY)
        ok = isinstance(got, str) and sorted(got.split(",")) == sorted(ports)
        for clause in ("image.conversion.optional-fields.2",
                       "image.conversion.configexposedports.1"):
            r.check(clause, ok, f"annotation {EXPOSED_KEY} does not list Config.ExposedPorts",
                    "/annotations", want, repr(got))
    man_ann = (manifest or {}).get("annotations") or {}
    for key in man_ann:
        if key in labels or key in {k for _, k in IMPLICIT.values()} | {EXPOSED_KEY}:
            continue
        r.check("image.conversion.annotations.1", key not in ann, f"manifest annotation {key} was "
                "copied into the runtime config", "/annotations", "(absent)", repr(ann.get(key)))


def _split_user(user: str) -> tuple[str, str]:
    name, _, group = user.partition(":")
    return name, group


def _user(r: Report, user: Any, got: dict, passwd: dict, groups: dict,
          group_ids: dict) -> None:
    if not isinstance(user, str) or not user:
        return
    name, group = _split_user(user)
    uid, gid = got.get("uid"), got.get("gid")
    if name.isdigit():
        r.check("image.conversion.configuser.1",
                uid == int(name), "process.user.uid is not the numeric user of "
                "Config.User", "/process/user/uid", name, repr(uid))
        r.check("image.conversion.parsed-fields.1",
                uid == int(name), "Config.User was not parsed into process.user",
                "/process/user", user, json.dumps(got))
    elif name in passwd:
        r.check("image.conversion.configuser.2",
                uid == passwd[name][0], f"user {name!r} was not resolved through "
                "the image's /etc/passwd", "/process/user/uid", str(passwd[name][0]), repr(uid))
        r.check("image.conversion.parsed-fields.1",
                uid == passwd[name][0], "Config.User was not parsed into process.user",
                "/process/user", user, json.dumps(got))
        if not group:
            r.check("image.conversion.configuser.2",
                    gid == passwd[name][1], f"user {name!r}'s primary group was not "
                    "taken from /etc/passwd", "/process/user/gid", str(passwd[name][1]),
                    repr(gid))
            want = sorted(set(groups.get(name, [])))
            have = sorted(set(got.get("additionalGids") or []) - {passwd[name][1]})
            r.check("image.conversion.configuser.4",
                    set(want) <= set(have), f"process.user.additionalGids lacks "
                    f"the groups /etc/group lists {name!r} in", "/process/user/additionalGids",
                    json.dumps(want), json.dumps(have))
    if group and not group.isdigit() and group in group_ids:
        r.check("image.conversion.configuser.2",
                gid == group_ids[group], f"group {group!r} was not resolved "
                "through the image's /etc/group", "/process/user/gid", str(group_ids[group]),
                repr(gid))
    if group.isdigit():
        r.check("image.conversion.configuser.1",
                gid == int(group), "process.user.gid is not the numeric group "
                "of Config.User", "/process/user/gid", group, repr(gid))
    if name.isdigit() or group:
        r.check("image.conversion.configuser.6",
                not got.get("additionalGids"), "additionalGids was filled "
                "although Config.User is numeric or names a group",
                "/process/user/additionalGids", "(absent)", json.dumps(got.get("additionalGids")))


def _volumes(r: Report, volumes: dict, mounts: list) -> None:
    dests = {m.get("destination") for m in mounts if isinstance(m, dict)}
    for path in volumes:
        ok = path in dests
        r.check("image.conversion.optional-fields.3",
                ok, f"no mount for Config.Volumes {path}: data would land in the "
                "root filesystem", "/mounts", path, json.dumps(sorted(d for d in dests if d)))
        r.check("image.conversion.optional-fields.4",
                ok, f"no mount has destination {path}", "/mounts", path, "")


def parse_passwd(text: str) -> dict[str, tuple[int, int]]:
    out = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 4 and f[2].isdigit() and f[3].isdigit():
            out[f[0]] = (int(f[2]), int(f[3]))
    return out


def parse_group(text: str) -> dict[str, list[int]]:
    """user name -> gids of the groups that list it as a member."""
    out: dict[str, list[int]] = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 4 and f[2].isdigit():
            for member in filter(None, f[3].split(",")):
                out.setdefault(member, []).append(int(f[2]))
    return out


def parse_group_ids(text: str) -> dict[str, int]:
    """group name -> gid."""
    out = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[2].isdigit():
            out[f[0]] = int(f[2])
    return out
