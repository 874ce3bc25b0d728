"""conversion.md: judge a runtime config.json a converter wrote from an image config.

Pure: the image config (and the manifest it came with), the runtime config the converter
produced, and the users/groups of the image's root filesystem in; a Report out. A clause
whose field the image does not set is not touched (n/a).
"""
from __future__ import annotations

import json
from typing import Any

from oci_conform.checks.image.report import Report

P = "image.conversion."
BASELINE = P + "to-oci-runtime-configuration.1"
DEFAULTS_KEEP_ENV = P + "to-oci-runtime-configuration.5"
VERBATIM = P + "verbatim-fields.1"
EXTRA_ENV_NAMES = P + "verbatim-fields.2"
ENTRYPOINT_CMD = P + "verbatim-fields.3"
LABEL_WINS_FIELD = P + "annotation-fields.1"
PARSED = P + "parsed-fields.1"
USER_NUMERIC = P + "configuser.1"
USER_NAME = P + "configuser.2"
USER_GROUPS = P + "configuser.4"
USER_GROUPS_KEEP = P + "configuser.6"
USER_UNKNOWN = P + "configuser.7"
EXPOSED_SET = P + "optional-fields.2"
VOLUME_MOUNTS = P + "optional-fields.3"
VOLUME_DEST = P + "optional-fields.4"
EXPOSED_ANNOTATION = P + "configexposedports.1"
NO_MANIFEST_ANNOTATIONS = P + "annotations.1"
LABEL_WINS = P + "annotations.2"
LABELS_UNCHANGED = P + "annotations.4"
OPTIONAL_WAY = P + "optional-fields.1"
CFG_BASELINE = "image.config.properties.17"      # config.md: the config object is the baseline
CFG_CMD_ALONE = "image.config.properties.23"     # config.md: no Entrypoint -> Cmd[0] runs

# image config field -> (clause, runtime annotation key)
IMPLICIT = {"os": (P + "annotation-fields.2", "org.opencontainers.image.os"),
            "architecture": (P + "annotation-fields.3", "org.opencontainers.image.architecture"),
            "variant": (P + "annotation-fields.4", "org.opencontainers.image.variant"),
            "os.version": (P + "annotation-fields.5", "org.opencontainers.image.os.version"),
            "os.features": (P + "annotation-fields.6", "org.opencontainers.image.os.features"),
            "author": (P + "annotation-fields.7", "org.opencontainers.image.author"),
            "created": (P + "annotation-fields.8", "org.opencontainers.image.created"),
            "StopSignal": (P + "annotation-fields.9", "org.opencontainers.image.stopSignal")}
EXPOSED_KEY = "org.opencontainers.image.exposedPorts"

CLAUSES = frozenset([BASELINE, DEFAULTS_KEEP_ENV, VERBATIM, EXTRA_ENV_NAMES, ENTRYPOINT_CMD,
                     LABEL_WINS_FIELD, PARSED, USER_NUMERIC, USER_NAME, USER_GROUPS,
                     USER_GROUPS_KEEP, USER_UNKNOWN, EXPOSED_SET, VOLUME_MOUNTS, VOLUME_DEST,
                     EXPOSED_ANNOTATION, NO_MANIFEST_ANNOTATIONS, LABEL_WINS, LABELS_UNCHANGED,
                     OPTIONAL_WAY, CFG_BASELINE, CFG_CMD_ALONE]
                    + [c for c, _ in IMPLICIT.values()])
MUSTS = (VERBATIM, ENTRYPOINT_CMD, LABEL_WINS_FIELD, USER_NUMERIC, LABEL_WINS,
         LABELS_UNCHANGED) + tuple(c for c, _ in IMPLICIT.values())


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
        r.check(OPTIONAL_WAY, not ({EXPOSED_SET, VOLUME_MOUNTS} & r.failed),
                "ExposedPorts or Volumes did not reach the generated runtime config", "")
    failed = sorted(c for c in MUSTS if c in r.failed)
    if any(r.seen.get(c) for c in MUSTS):
        for clause in (BASELINE, CFG_BASELINE):
            r.check(clause, not failed, "the generated config does not follow the image "
                    "config as conversion.md lays out: " + ", ".join(failed), "")
    return r


def _process(r: Report, cfg: dict, proc: dict, env: list) -> None:
    if "WorkingDir" in cfg and cfg["WorkingDir"]:
        r.check(VERBATIM, proc.get("cwd") == cfg["WorkingDir"], "process.cwd is not "
                "Config.WorkingDir", "/process/cwd", cfg["WorkingDir"], str(proc.get("cwd")))
    image_env = cfg.get("Env") or []
    for e in image_env:
        ok = e in env
        r.check(VERBATIM, ok, f"Config.Env entry {e!r} is not in process.env unchanged",
                "/process/env", e, json.dumps(env)[:200])
        others = [x for x in env if _name(x) == _name(e) and x != e]
        r.check(DEFAULTS_KEEP_ENV, ok and not others, f"the image's {_name(e)} was removed "
                "or changed by the converter", "/process/env", e, json.dumps(others or env))
    if image_env:
        names = {_name(e) for e in image_env}
        extra = [x for x in env if x not in image_env and _name(x) in names]
        r.check(EXTRA_ENV_NAMES, not extra, "the converter added process.env entries whose "
                "names Config.Env already sets", "/process/env", "", json.dumps(extra))
    ep, cmd = cfg.get("Entrypoint") or [], cfg.get("Cmd") or []
    if ep or cmd:
        r.check(VERBATIM, proc.get("args") == ep + cmd, "process.args is not Config.Entrypoint "
                "followed by Config.Cmd", "/process/args", json.dumps(ep + cmd),
                json.dumps(proc.get("args")))
    if cmd and not ep:
        args = proc.get("args") or []
        r.check(CFG_CMD_ALONE, bool(args) and args[0] == cmd[0], "without Entrypoint the "
                "first Cmd element is not the program", "/process/args/0", cmd[0],
                repr(args[:1]))
    if ep and cmd:
        r.check(ENTRYPOINT_CMD, proc.get("args") == ep + cmd, "process.args is not Entrypoint "
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
        r.check(LABELS_UNCHANGED, ann.get(key) == value, f"Config.Labels {key} is not in "
                "annotations unchanged", "/annotations", value, repr(ann.get(key)))
        implicit = next((f for f, (_, k) in IMPLICIT.items() if k == key), None)
        if implicit is not None:
            derived = cfg.get(implicit) if implicit == "StopSignal" else image.get(implicit)
            if derived not in (None, "") and _implicit_value(implicit, derived) != value:
                for clause in (LABEL_WINS_FIELD, LABEL_WINS):
                    r.check(clause, ann.get(key) == value, f"Config.Labels {key} did not win "
                            f"over the value derived from {implicit}", "/annotations",
                            value, repr(ann.get(key)))
    ports = cfg.get("ExposedPorts") or {}
    if ports and EXPOSED_KEY not in labels:
        want = ",".join(sorted(ports))
        got = ann.get(EXPOSED_KEY)
        ok = isinstance(got, str) and sorted(got.split(",")) == sorted(ports)
        for clause in (EXPOSED_SET, EXPOSED_ANNOTATION):
            r.check(clause, ok, f"annotation {EXPOSED_KEY} does not list Config.ExposedPorts",
                    "/annotations", want, repr(got))
    man_ann = (manifest or {}).get("annotations") or {}
    for key in man_ann:
        if key in labels or key in {k for _, k in IMPLICIT.values()} | {EXPOSED_KEY}:
            continue
        r.check(NO_MANIFEST_ANNOTATIONS, key not in ann, f"manifest annotation {key} was "
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
        r.check(USER_NUMERIC, uid == int(name), "process.user.uid is not the numeric user of "
                "Config.User", "/process/user/uid", name, repr(uid))
        r.check(PARSED, uid == int(name), "Config.User was not parsed into process.user",
                "/process/user", user, json.dumps(got))
    elif name in passwd:
        r.check(USER_NAME, uid == passwd[name][0], f"user {name!r} was not resolved through "
                "the image's /etc/passwd", "/process/user/uid", str(passwd[name][0]), repr(uid))
        r.check(PARSED, uid == passwd[name][0], "Config.User was not parsed into process.user",
                "/process/user", user, json.dumps(got))
        if not group:
            r.check(USER_NAME, gid == passwd[name][1], f"user {name!r}'s primary group was not "
                    "taken from /etc/passwd", "/process/user/gid", str(passwd[name][1]),
                    repr(gid))
            want = sorted(set(groups.get(name, [])))
            have = sorted(set(got.get("additionalGids") or []) - {passwd[name][1]})
            r.check(USER_GROUPS, set(want) <= set(have), f"process.user.additionalGids lacks "
                    f"the groups /etc/group lists {name!r} in", "/process/user/additionalGids",
                    json.dumps(want), json.dumps(have))
    if group and not group.isdigit() and group in group_ids:
        r.check(USER_NAME, gid == group_ids[group], f"group {group!r} was not resolved "
                "through the image's /etc/group", "/process/user/gid", str(group_ids[group]),
                repr(gid))
    if group.isdigit():
        r.check(USER_NUMERIC, gid == int(group), "process.user.gid is not the numeric group "
                "of Config.User", "/process/user/gid", group, repr(gid))
    if name.isdigit() or group:
        r.check(USER_GROUPS_KEEP, not got.get("additionalGids"), "additionalGids was filled "
                "although Config.User is numeric or names a group",
                "/process/user/additionalGids", "(absent)", json.dumps(got.get("additionalGids")))


def _volumes(r: Report, volumes: dict, mounts: list) -> None:
    dests = {m.get("destination") for m in mounts if isinstance(m, dict)}
    for path in volumes:
        ok = path in dests
        r.check(VOLUME_MOUNTS, ok, f"no mount for Config.Volumes {path}: data would land in the "
                "root filesystem", "/mounts", path, json.dumps(sorted(d for d in dests if d)))
        r.check(VOLUME_DEST, ok, f"no mount has destination {path}", "/mounts", path, "")


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
