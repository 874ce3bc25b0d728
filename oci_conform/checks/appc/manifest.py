"""The appc image manifest (acKind ImageManifest) and the appc types it uses."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image.report import Report, pointer

AC_IDENTIFIER = re.compile(r"^[a-z0-9]+([-._~/][a-z0-9]+)*$")
AC_NAME = re.compile(r"^[a-z0-9]+([-][a-z0-9]+)*$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?"
                    r"(?:\+[0-9A-Za-z.-]+)?$")
IMAGE_ID = re.compile(r"^sha512-[a-f0-9]{128}$|^sha512-[a-f0-9]{64}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
OS_ARCH = {("linux", "amd64"), ("linux", "i386"), ("linux", "aarch64"), ("linux", "aarch64_be"),
           ("linux", "armv6l"), ("linux", "armv7l"), ("linux", "armv7b"), ("linux", "ppc64"),
           ("linux", "ppc64le"), ("linux", "s390x"), ("freebsd", "amd64"), ("freebsd", "i386"),
           ("freebsd", "arm"), ("darwin", "x86_64"), ("darwin", "i386")}



def _name_value_list(report: Report, items: Any, where: str, clause: str,
                     name_re: re.Pattern[str] = AC_IDENTIFIER) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if items is None:
        return out
    if not isinstance(items, list):
        report.fail(clause, "must be a list of {name, value} objects", where)
        return out
    for i, item in enumerate(items):
        w = where + pointer(i)
        ok = isinstance(item, dict) and isinstance(item.get("name"), str) and "value" in item
        if not report.check(clause, ok, "entry needs name and value", w):
            continue
        name = item["name"]
        report.check(clause, bool(name_re.match(name)), f"name {name!r} is not an AC Identifier",
                     w + "/name")
        report.check(clause, name not in out, f"name {name!r} is repeated", w + "/name")
        out[name] = item["value"]
    return out


def check_image_manifest(report: Report, doc: Any) -> None:
    """Every field rule of an appc image manifest."""
    if not isinstance(doc, dict):
        report.fail("appc.aci.manifest.json", "the manifest must be a JSON object, not "
                    f"{type(doc).__name__}", "")
        return
    report.check("appc.manifest.ac-kind", doc.get("acKind") == "ImageManifest",
                 "acKind must be ImageManifest", "/acKind", "ImageManifest",
                 repr(doc.get("acKind")))
    v = doc.get("acVersion")
    report.check("appc.manifest.ac-version", isinstance(v, str) and bool(SEMVER.match(v)),
                 "acVersion must be a SemVer version", "/acVersion", "x.y.z", repr(v))
    name = doc.get("name")
    report.check("appc.manifest.name", isinstance(name, str) and bool(AC_IDENTIFIER.match(name)),
                 f"name {name!r} is not an AC Identifier", "/name")
    labels = _name_value_list(report, doc.get("labels"), "/labels", "appc.manifest.labels")
    for k, val in labels.items():
        report.check("appc.manifest.labels",
                     isinstance(val, str), f"label {k!r} value is not a string",
                     "/labels")
    _check_os_arch(report, labels)
    if "app" in doc and doc["app"] is not None:
        _check_app(report, doc["app"])
    _check_dependencies(report, doc.get("dependencies"))
    wl = doc.get("pathWhitelist")
    if wl is not None:
        ok = isinstance(wl, list) and all(isinstance(p, str) and p.startswith("/") for p in wl)
        report.check("appc.manifest.path-whitelist", ok,
                     "pathWhitelist must list absolute paths", "/pathWhitelist")
    ann = _name_value_list(report, doc.get("annotations"), "/annotations",
                           "appc.manifest.annotations")
    if "created" in ann:
        report.check("appc.manifest.annotations", isinstance(ann["created"], str)
                     and bool(RFC3339.match(ann["created"])),
                     "created annotation is not an RFC 3339 date-time", "/annotations")
    for key in ("homepage", "documentation"):
        if key in ann:
            val = ann[key]
            report.check("appc.manifest.annotations", isinstance(val, str)
                         and val.lower().startswith(("http://", "https://")),
                         f"{key} annotation is not an http(s) URL", "/annotations")


def _check_os_arch(report: Report, labels: dict[str, Any]) -> None:
    os_, arch = labels.get("os"), labels.get("arch")
    if arch is not None and os_ is None:
        report.fail("appc.manifest.os-arch", "arch label given without os", "/labels")
    elif isinstance(os_, str) and isinstance(arch, str):   # other values: a labels problem
        report.check("appc.manifest.os-arch", (os_, arch) in OS_ARCH,
                     f"os/arch {os_}/{arch} is not a supported combination", "/labels")


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_app(report: Report, app: Any) -> None:
    if not report.check("appc.manifest.app",
                        isinstance(app, dict), "app must be an object", "/app"):
        return
    ok = isinstance(app.get("user"), str) and isinstance(app.get("group"), str)
    report.check("appc.manifest.app", ok, "app.user and app.group are required strings", "/app")
    if "exec" in app:
        report.check("appc.manifest.app",
                     _str_list(app["exec"]), "app.exec must be a list of strings",
                     "/app/exec")
    wd = app.get("workingDirectory")
    if wd not in (None, ""):
        report.check("appc.manifest.app-working-directory",
                     isinstance(wd, str) and wd.startswith("/"),
                     f"workingDirectory {wd!r} is not absolute", "/app/workingDirectory")
    env = _name_value_list(report, app.get("environment"), "/app/environment",
                           "appc.manifest.app-environment", re.compile(r".*"))
    for k in env:
        report.check("appc.manifest.app-environment", bool(ENV_NAME.match(k)),
                     f"environment name {k!r} has characters outside [A-Za-z0-9_]",
                     "/app/environment")
    _check_handlers(report, app.get("eventHandlers"))
    for i, mp in enumerate(app.get("mountPoints") or []):
        ok = isinstance(mp, dict) and isinstance(mp.get("name"), str) \
            and bool(AC_NAME.match(mp["name"])) and isinstance(mp.get("path"), str)
        report.check("appc.manifest.app-mount-points",
                     ok, "mount point needs an AC Name name and a path",
                     "/app/mountPoints" + pointer(i))
    for i, port in enumerate(app.get("ports") or []):
        report.check("appc.manifest.app-ports",
                     _port_ok(port), "port needs AC Name name, protocol, "
                     "port 1..65535, count >= 1", "/app/ports" + pointer(i))
    for i, iso in enumerate(app.get("isolators") or []):
        ok = isinstance(iso, dict) and isinstance(iso.get("name"), str) \
            and bool(AC_IDENTIFIER.match(iso["name"])) and "value" in iso
        report.check("appc.manifest.app-isolators",
                     ok, "isolator needs an AC Identifier name and a value",
                     "/app/isolators" + pointer(i))


def _port_ok(port: Any) -> bool:
    if not isinstance(port, dict):
        return False
    n, count = port.get("port"), port.get("count", 1)
    return (isinstance(port.get("name"), str) and bool(AC_NAME.match(port["name"]))
            and isinstance(port.get("protocol"), str) and isinstance(n, int)
            and 1 <= n <= 65535 and isinstance(count, int) and count >= 1)


def _check_handlers(report: Report, handlers: Any) -> None:
    if handlers is None:
        return
    seen: set[str] = set()
    for i, h in enumerate(handlers if isinstance(handlers, list) else [None]):
        ok = isinstance(h, dict) and h.get("name") in ("pre-start", "post-stop") \
            and _str_list(h.get("exec")) and h["name"] not in seen
        report.check("appc.manifest.app-event-handlers", ok,
                     "event handler must be pre-start or post-stop (once each) with an exec list",
                     "/app/eventHandlers" + pointer(i))
        if isinstance(h, dict) and isinstance(h.get("name"), str):
            seen.add(h["name"])


def _check_dependencies(report: Report, deps: Any) -> None:
    if deps is None:
        return
    if not report.check("appc.manifest.dependencies", isinstance(deps, list),
                        "dependencies must be a list", "/dependencies"):
        return
    for i, d in enumerate(deps):
        w = "/dependencies" + pointer(i)
        ok = isinstance(d, dict) and isinstance(d.get("imageName"), str) \
            and bool(AC_IDENTIFIER.match(d["imageName"]))
        if not report.check("appc.manifest.dependencies",
                            ok, "dependency needs an AC Identifier imageName",
                            w):
            continue
        if "imageID" in d:
            report.check("appc.aci.image-id", isinstance(d["imageID"], str)
                         and bool(IMAGE_ID.match(d["imageID"])),
                         f"imageID {d['imageID']!r} is not sha512-<hex>", w + "/imageID")
        if "size" in d:
            report.check("appc.manifest.dependencies",
                         isinstance(d["size"], int) and d["size"] >= 0,
                         "dependency size must be a non-negative integer", w + "/size")
        if "labels" in d:
            _name_value_list(report, d["labels"], w + "/labels", "appc.manifest.dependencies")
