"""Default devices, configured devices, the device allow list, sysctl, masked and readonly paths."""
from __future__ import annotations

from pathlib import Path

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Probe,
    broke,
    expect,
    needs_controller,
    probe_case,
)
from oci_conform.suites.runtime.refusal import error_case
from oci_conform.suites.runtime.sandbox import JSON, Sandbox

G = "devices"
DEFAULTS = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
            "urandom": (1, 9), "tty": (5, 0)}


def _stat(obs: Probe, name: str) -> tuple[str, int, int] | None:
    """(file type, major, minor) from ``stat -c '%F|%t|%T'`` output."""
    parts = obs.get(name).strip().split("|")
    if len(parts) != 3:
        return None
    try:
        return parts[0], int(parts[1], 16), int(parts[2], 16)
    except ValueError:
        return None


def default_device_case(dev: str) -> Case:
    major, minor = DEFAULTS[dev]
    script = f"stat -c '%F|%t|%T' /dev/{dev} > /results/st 2>&1"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = _stat(obs, "st")
        return expect(got == ("character special file", major, minor),
                      f"/dev/{dev} is supplied", f"char {major}:{minor}", obs.get("st").strip())
    return probe_case(f"default-device-{dev}", G, ("rt.config-linux.default-devices.1",),
                      script, judge)


def ptmx_case() -> Case:
    script = ("readlink /dev/ptmx > /results/link; stat -L -c '%F|%t|%T' /dev/ptmx "
              "> /results/st 2>&1")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = _stat(obs, "st")
        return expect(got == ("character special file", 5, 2), "/dev/ptmx is supplied",
                      "char 5:2 (or a link to pts/ptmx)", obs.get("st").strip())
    return probe_case("default-device-ptmx", G, ("rt.config-linux.default-devices.1",), script,
                      judge)


def dev_links_case() -> Case:
    script = ("for l in fd stdin stdout stderr; do echo \"$l=$(readlink /dev/$l)\"; done "
              "> /results/links")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        want = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
                "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
        got = obs.kv("links")
        return expect(got == want, "/dev/fd, stdin, stdout, stderr link into /proc/self/fd",
                      str(want), str(got))
    return probe_case("dev-symbolic-links", G, ("rt.runtime-linux.dev-symbolic-links.1",),
                      script, judge)


DEVICE = {"type": "c", "path": "/dev/oc-zero", "major": 1, "minor": 5, "fileMode": 0o644,
          "uid": 1000, "gid": 1001}


def _add_device(entry: JSON):
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["linux"]["devices"] = [dict(entry)]
        cfg["linux"]["resources"]["devices"].append(
            {"allow": True, "type": "c", "major": entry["major"], "minor": entry["minor"],
             "access": "rwm"})
    return m


def device_case() -> Case:
    script = ("stat -c '%F|%t|%T' /dev/oc-zero > /results/st 2>&1; "
              "stat -c '%a|%u|%g' /dev/oc-zero > /results/own 2>&1; "
              "head -c 4 /dev/oc-zero > /results/raw 2> /results/read; "
              "od -An -tx1 /results/raw >> /results/read")

    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        own = obs.get("own").strip().split("|")
        return [expect(_stat(obs, "st") == ("character special file", 1, 5),
                       "the configured device exists with its type and numbers", "char 1:5",
                       obs.get("st").strip(), "", "rt.config-linux.devices.1",
                       "rt.config-linux.devices.3", "rt.config-linux.devices.7"),
                expect(obs.get("read").split() == ["00"] * 4, "the device can be used",
                       "four zero bytes", obs.get("read").strip(), "",
                       "rt.config-linux.devices.1"),
                expect(own[:1] == ["644"], "fileMode applies", "644", obs.get("own").strip(),
                       "", "rt.config-linux.devices.8"),
                expect(own[1:] == ["1000", "1001"], "uid and gid apply", "1000|1001",
                       obs.get("own").strip(), "", "rt.config-linux.devices.9",
                       "rt.config-linux.devices.10")]
    return probe_case("device-configured", G, ("rt.config-linux.devices.1",
                      "rt.config-linux.devices.3", "rt.config-linux.devices.7",
                      "rt.config-linux.devices.8", "rt.config-linux.devices.9",
                      "rt.config-linux.devices.10"), script, judge, _add_device(DEVICE))


def device_outside_dev_case() -> Case:
    entry = dict(DEVICE, path="/oc-devices/zero")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(_stat(obs, "st") == ("character special file", 1, 5),
                      "a device path outside /dev works", "char 1:5", obs.get("st").strip())
    return probe_case("device-outside-dev", G, ("rt.config-linux.devices.6",),
                      "stat -c '%F|%t|%T' /oc-devices/zero > /results/st 2>&1", judge,
                      _add_device(entry))


def _conflicting_device(cfg: JSON, sb: Sandbox) -> None:
    sb.write(cfg)
    (sb.rootfs / "oc-conflict").write_text("a regular file\n")
    cfg["linux"]["devices"] = [dict(DEVICE, path="/oc-conflict")]


def _device_alone(cfg: JSON, sb: Sandbox) -> None:
    cfg["linux"]["devices"] = [dict(DEVICE, path="/oc-conflict")]


def denied_device_case() -> Case:
    script = ("mknod /tmp/mem c 1 1 2> /results/mknod; head -c 1 /tmp/mem > /dev/null "
              "2> /results/err && echo opened > /results/open || echo denied > /results/open")

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        for k in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][k].append("CAP_MKNOD")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        if not Path(sb.results / "mknod").exists():
            return broke("the probe did not try mknod")
        return expect(obs.get("open").strip() == "denied",
                      "a device not in the allow list cannot be opened", "denied",
                      obs.get("open").strip() + " " + obs.get("err").strip())
    return probe_case("device-allowlist-denies", G, ("rt.config-linux.device-allowedlist.1",
                      "rt.config-linux.devices.12"), script, judge, mutate,
                      (needs_controller("devices"),))


def allowlist_cgroup_case() -> Case:
    """The allow list as written to the devices cgroup (v1: devices.list)."""
    def flow(sb: Sandbox) -> Judgment:
        cfg = sb.config(["sleep", "30"])
        cfg["linux"]["resources"]["devices"] = [
            {"allow": False, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 1, "access": "r"}]
        sb.write(cfg)
        inv = sb.create()
        if not inv.ok:
            return expect(False, "create with a device allow list", "exit 0", inv.brief())
        path = Path("/sys/fs/cgroup/devices") / sb.cgroups_path.lstrip("/") / "devices.list"
        try:
            text = path.read_text()
        except OSError as exc:
            return broke(f"cannot read {path}: {exc}")
        sb.notes["devices.list"] = text[:2000]
        return expect("c 1:1 r" in text.splitlines(), "allow entries apply in order "
                      "(deny all, then allow c 1:1 r)", "c 1:1 r listed", text[:400])
    return Case("device-allowlist-in-cgroup", G, ("rt.config-linux.device-allowedlist.2",), flow,
                (needs_controller("devices"),
                 lambda t: None if t.host.cgroup_mode in ("v1", "hybrid")
                 else "devices.list exists only on cgroup v1"))


def sysctl_case(key: str, value: str) -> Case:
    path = "/proc/sys/" + key.replace(".", "/")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("v").strip() == value, f"sysctl {key} applies", value,
                      obs.get("v").strip())
    return probe_case(f"sysctl-{key}", G, ("rt.config-linux.sysctl.1",),
                      f"cat {path} > /results/v", judge,
                      lambda c, s: c["linux"].__setitem__("sysctl", {key: value}))


def masked_file_case() -> Case:
    def mutate(cfg: JSON, sb: Sandbox) -> None:
        sb.write(cfg)
        (sb.rootfs / "etc" / "oc-secret").write_text("top secret\n")
        cfg["linux"]["maskedPaths"].append("/etc/oc-secret")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect("top secret" not in obs.get("r"), "a masked file cannot be read",
                      "empty", obs.get("r").strip())
    return probe_case("masked-path-file", G, ("rt.config-linux.masked-paths.1",),
                      "cat /etc/oc-secret > /results/r 2>&1", judge, mutate)


def masked_dir_case() -> Case:
    def mutate(cfg: JSON, sb: Sandbox) -> None:
        sb.write(cfg)
        (sb.rootfs / "oc-secret-dir").mkdir()
        (sb.rootfs / "oc-secret-dir" / "inside").write_text("hidden\n")
        cfg["linux"]["maskedPaths"].append("/oc-secret-dir")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect("inside" not in obs.get("ls"), "a masked folder shows nothing",
                      "empty listing", obs.get("ls").strip())
    return probe_case("masked-path-dir", G, ("rt.config-linux.masked-paths.1",),
                      "ls -A /oc-secret-dir > /results/ls 2>&1", judge, mutate)


def masked_proc_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("n").strip() == "0", "a masked /proc file reads as empty",
                      "0 bytes", obs.get("n").strip())
    return probe_case("masked-path-proc-kcore", G, ("rt.config-linux.masked-paths.1",),
                      "head -c 16 /proc/kcore 2>/dev/null | wc -c > /results/n", judge)


def readonly_dir_case() -> Case:
    def mutate(cfg: JSON, sb: Sandbox) -> None:
        sb.write(cfg)
        (sb.rootfs / "oc-ro").mkdir()
        cfg["linux"]["readonlyPaths"].append("/oc-ro")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("w").strip() == "no", "a readonly path cannot be written", "no",
                      obs.get("w").strip())
    return probe_case("readonly-path-dir", G, ("rt.config-linux.readonly-paths.1",),
                      "touch /oc-ro/x 2>/dev/null && echo yes > /results/w || echo no > "
                      "/results/w", judge, mutate)


def readonly_proc_sys_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("w").strip() == "no", "/proc/sys listed readonly is read-only",
                      "no", obs.get("w").strip())
    return probe_case("readonly-path-proc-sys", G, ("rt.config-linux.readonly-paths.1",),
                      "echo oc > /proc/sys/kernel/hostname 2>/dev/null && echo yes > /results/w "
                      "|| echo no > /results/w", judge)


CASES: list[Case] = [
    *[default_device_case(d) for d in DEFAULTS], ptmx_case(), dev_links_case(), device_case(),
    device_outside_dev_case(),
    error_case("device-conflicting-file-errors", G, ("rt.config-linux.devices.5",),
               _conflicting_device, ("oc-conflict", "exists", "device"), _device_alone),
    denied_device_case(), allowlist_cgroup_case(),
    sysctl_case("net.ipv4.ip_forward", "1"), sysctl_case("kernel.msgmax", "4096"),
    masked_file_case(), masked_dir_case(), masked_proc_case(), readonly_dir_case(),
    readonly_proc_sys_case(),
]
