"""A small table-driven command-line parser (argparse costs tens of ms per start).

Global options come before the command, command options and operands after it;
``--opt=value`` and ``--opt value`` both work.  Errors are ``UsageError`` (exit 2).
"""
from __future__ import annotations

GLOBAL = {"--root": ("root", True), "--log": ("log", True), "--log-format": ("log_format", True),
          "--debug": ("debug", False), "--version": ("version", False), "-v": ("version", False),
          "--help": ("help", False), "-h": ("help", False),
          "--systemd-cgroup": ("systemd_cgroup", False), "--rootless": ("rootless_g", True)}
_CREATE = {"--bundle": ("bundle", True), "-b": ("bundle", True), "--pid-file": ("pid_file", True),
           "--console-socket": ("console_socket", True),
           "--no-new-keyring": ("no_new_keyring", False), "--no-pivot": ("no_pivot", False),
           "--preserve-fds": ("preserve_fds", True)}
_EXEC = {"--process": ("process", True), "-p": ("process", True), "--detach": ("detach", False),
         "-d": ("detach", False), "--pid-file": ("pid_file", True),
         "--console-socket": ("console_socket", True), "--tty": ("tty", False),
         "-t": ("tty", False), "--cwd": ("cwd", True), "--env": ("env", True),
         "-e": ("env", True), "--user": ("user", True), "-u": ("user", True),
         "--additional-gids": ("additional_gids", True), "-g": ("additional_gids", True),
         "--cap": ("cap", True), "-c": ("cap", True), "--no-new-privs": ("no_new_privs", False),
         "--apparmor": ("apparmor", True), "--process-label": ("process_label", True),
         "--preserve-fds": ("preserve_fds", True), "--ignore-paused": ("ignore_paused", False),
         "--cgroup": ("exec_cgroup", True)}
_UPDATE = {"--resources": ("resources", True), "-r": ("resources", True),
           "--memory": ("memory", True), "--memory-swap": ("memory_swap", True),
           "--memory-reservation": ("memory_reservation", True),
           "--kernel-memory": ("kernel_memory", True),
           "--kernel-memory-tcp": ("kernel_memory_tcp", True),
           "--pids-limit": ("pids_limit", True), "--cpu-quota": ("cpu_quota", True),
           "--cpu-period": ("cpu_period", True), "--cpu-share": ("cpu_share", True),
           "--cpu-rt-period": ("cpu_rt_period", True),
           "--cpu-rt-runtime": ("cpu_rt_runtime", True),
           "--cpuset-cpus": ("cpuset_cpus", True), "--cpuset-mems": ("cpuset_mems", True),
           "--blkio-weight": ("blkio_weight", True)}
# options that may repeat: their values gather in a list
REPEAT = frozenset({"env", "cap", "additional_gids"})
# commands whose operands after the id are a command line (never options)
REST = frozenset({"exec", "ps"})
# command -> (options, required operands, optional operands)
COMMANDS: dict[str, tuple[dict[str, tuple[str, bool]], tuple[str, ...], tuple[str, ...]]] = {
    "create": (_CREATE, ("id",), ()),
    "run": (_CREATE, ("id",), ()),
    "start": ({}, ("id",), ()),
    "state": ({}, ("id",), ()),
    "kill": ({"--all": ("all", False), "-a": ("all", False)}, ("id",), ("signal",)),
    "delete": ({"--force": ("force", False), "-f": ("force", False)}, ("id",), ()),
    "list": ({"--format": ("format", True), "-f": ("format", True), "--quiet": ("quiet", False),
              "-q": ("quiet", False)}, (), ()),
    "features": ({}, (), ()),
    "exec": (_EXEC, ("id",), ()),
    "pause": ({}, ("id",), ()),
    "resume": ({}, ("id",), ()),
    "ps": ({"--format": ("format", True), "-f": ("format", True)}, ("id",), ()),
    "events": ({"--stats": ("stats", False), "--interval": ("interval", True)}, ("id",), ()),
    "update": (_UPDATE, ("id",), ()),
    "spec": ({"--bundle": ("bundle", True), "-b": ("bundle", True),
              "--rootless": ("rootless", False)}, (), ()),
}
DEFAULTS = {"root": "/run/oci-conform-runtime", "log": None, "log_format": "text",
            "debug": False, "version": False, "help": False, "command": None, "bundle": ".",
            "pid_file": None, "console_socket": None, "no_new_keyring": False, "id": None,
            "signal": "SIGTERM", "all": False, "force": False, "format": "table",
            "quiet": False, "rootless": False, "systemd_cgroup": False, "rootless_g": None,
            "no_pivot": False, "preserve_fds": "0", "process": None, "detach": False,
            "tty": False, "cwd": None, "env": None, "user": None, "additional_gids": None,
            "cap": None, "no_new_privs": False, "apparmor": None, "process_label": None,
            "ignore_paused": False, "exec_cgroup": None, "rest": None, "stats": False,
            "interval": "5s", "resources": None, "memory": None, "memory_swap": None,
            "memory_reservation": None, "kernel_memory": None, "kernel_memory_tcp": None,
            "pids_limit": None, "cpu_quota": None, "cpu_period": None, "cpu_share": None,
            "cpu_rt_period": None, "cpu_rt_runtime": None, "cpuset_cpus": None,
            "cpuset_mems": None, "blkio_weight": None}
CHOICES = {"log_format": ("text", "json"), "format": ("table", "json")}
USAGE = """usage: oci-conform-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug]
                           COMMAND
  create --bundle DIR [--pid-file F] [--console-socket SOCK] [--preserve-fds N] ID
  run --bundle DIR [--pid-file F] [--console-socket SOCK] ID
  start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID
  exec [--process FILE] [-d] [--pid-file F] [--console-socket SOCK] [-t] [--cwd DIR]
       [-e K=V]... [-u UID[:GID]] [-g GID]... [-c CAP]... [--no-new-privs]
       [--preserve-fds N] ID [COMMAND ARG...]
  pause ID | resume ID | ps [--format table|json] ID | events --stats ID
  update [--resources FILE|-] [--memory N] [--memory-swap N] [--pids-limit N]
         [--cpu-quota N] [--cpu-period N] [--cpu-share N] [--cpuset-cpus L] ID
  list [--format table|json] [-q] | features | spec [--bundle DIR] [--rootless]
  --version"""


class UsageError(ValueError):
    """A command line that cannot be understood."""


class Args:
    """Parsed values as attributes (like argparse's Namespace)."""

    root: str
    log: str | None
    log_format: str
    debug: bool
    version: bool
    help: bool
    command: str | None
    bundle: str
    pid_file: str | None
    console_socket: str | None
    no_new_keyring: bool
    id: str
    signal: str
    all: bool
    force: bool
    format: str
    quiet: bool
    rootless: bool
    systemd_cgroup: bool
    preserve_fds: str
    process: str | None
    detach: bool
    tty: bool
    cwd: str | None
    env: list[str] | None
    user: str | None
    additional_gids: list[str] | None
    cap: list[str] | None
    no_new_privs: bool
    apparmor: str | None
    process_label: str | None
    rest: list[str] | None
    stats: bool
    resources: str | None

    def __init__(self) -> None:
        self.__dict__.update(DEFAULTS)


def _take(table: dict[str, tuple[str, bool]], words: list[str], i: int, args: Args) -> int:
    word = words[i]
    name, eq, inline = word.partition("=")
    if name not in table:
        raise UsageError(f"unknown option {name}")
    dest, wants_value = table[name]
    if not wants_value:
        if eq:
            raise UsageError(f"option {name} takes no value")
        setattr(args, dest, True)
        return i + 1
    if eq:
        value, nxt = inline, i + 1
    elif i + 1 < len(words):
        value, nxt = words[i + 1], i + 2
    else:
        raise UsageError(f"option {name} needs a value")
    if dest in CHOICES and value not in CHOICES[dest]:
        raise UsageError(f"{name}: {value!r} is not one of {', '.join(CHOICES[dest])}")
    if dest in REPEAT:
        value = (getattr(args, dest) or []) + [value]
    setattr(args, dest, value)
    return nxt


def parse(words: list[str]) -> Args:
    args = Args()
    i = 0
    while i < len(words) and words[i].startswith("-") and words[i] != "-":
        i = _take(GLOBAL, words, i, args)
    if i == len(words):
        return args
    args.command = words[i]
    if args.command not in COMMANDS:
        raise UsageError(f"unknown command {args.command!r}")
    table, required, optional = COMMANDS[args.command]
    operands: list[str] = []
    i += 1
    while i < len(words):
        word = words[i]
        if word == "--":
            operands.extend(words[i + 1:])
            break
        if operands and args.command in REST:
            operands.extend(words[i:])
            break
        if word.startswith("-") and len(word) > 1 and not (operands and word[1:].isdigit()):
            i = _take(table, words, i, args)
            continue
        operands.append(word)
        i += 1
    if len(operands) < len(required):
        raise UsageError(f"{args.command}: missing {' and '.join(required[len(operands):])}")
    if args.command in REST:
        args.rest = operands[len(required):]
        operands = operands[:len(required)]
    if len(operands) > len(required) + len(optional):
        raise UsageError(f"{args.command}: unexpected argument {operands[-1]!r}")
    for name, value in zip(required + optional, operands, strict=False):
        setattr(args, name, value)
    return args
