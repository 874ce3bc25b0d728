"""A small table-driven command-line parser (argparse costs tens of ms per start).

Global options come before the command, command options and operands after it;
``--opt=value`` and ``--opt value`` both work.  Errors are ``UsageError`` (exit 2).
"""
from __future__ import annotations

GLOBAL = {"--root": ("root", True), "--log": ("log", True), "--log-format": ("log_format", True),
          "--debug": ("debug", False), "--version": ("version", False), "-v": ("version", False),
          "--help": ("help", False), "-h": ("help", False)}
_CREATE = {"--bundle": ("bundle", True), "-b": ("bundle", True), "--pid-file": ("pid_file", True),
           "--console-socket": ("console_socket", True),
           "--no-new-keyring": ("no_new_keyring", False)}
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
    "spec": ({"--bundle": ("bundle", True), "-b": ("bundle", True),
              "--rootless": ("rootless", False)}, (), ()),
}
DEFAULTS = {"root": "/run/oci-conform-runtime", "log": None, "log_format": "text",
            "debug": False, "version": False, "help": False, "command": None, "bundle": ".",
            "pid_file": None, "console_socket": None, "no_new_keyring": False, "id": None,
            "signal": "SIGTERM", "all": False, "force": False, "format": "table",
            "quiet": False, "rootless": False}
CHOICES = {"log_format": ("text", "json"), "format": ("table", "json")}
USAGE = """usage: oci-conform-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND
  create --bundle DIR [--pid-file F] [--console-socket SOCK] ID
  run --bundle DIR [--pid-file F] [--console-socket SOCK] ID
  start ID | state ID | kill ID [SIGNAL] | delete [--force] ID
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
        if word.startswith("-") and len(word) > 1 and not (operands and word[1:].isdigit()):
            i = _take(table, words, i, args)
            continue
        operands.append(word)
        i += 1
    if len(operands) < len(required):
        raise UsageError(f"{args.command}: missing {' and '.join(required[len(operands):])}")
    if len(operands) > len(required) + len(optional):
        raise UsageError(f"{args.command}: unexpected argument {operands[-1]!r}")
    for name, value in zip(required + optional, operands, strict=False):
        setattr(args, name, value)
    return args
