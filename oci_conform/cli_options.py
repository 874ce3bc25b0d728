"""What every ``oci-conform`` command shares on its command line, kept cheap to import.

- ``-q/--quiet`` and ``-v/--verbose`` (and ``--debug``), added to every parser level;
- ``OCI_CONFORM_*`` environment variables giving defaults for the common options (the
  command line wins), checked like the option they stand for;
- the ``--help`` epilog: exit codes and environment variables.

Nothing here imports more than the standard library.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

QUIET, NORMAL, VERBOSE = -1, 0, 1
VERBOSITY_NAMES = {"quiet": QUIET, "normal": NORMAL, "verbose": VERBOSE}
VERBOSITY_VARIABLE = "OCI_CONFORM_VERBOSITY"

# long option -> environment variable giving its default
ENVIRONMENT: dict[str, str] = {
    "--format": "OCI_CONFORM_FORMAT",
    "--output": "OCI_CONFORM_OUTPUT",
    "--results": "OCI_CONFORM_RESULTS",
    "--expectations": "OCI_CONFORM_EXPECTATIONS",
    "--fail-on": "OCI_CONFORM_FAIL_ON",
    "--jobs": "OCI_CONFORM_JOBS",
    "--spec-version": "OCI_CONFORM_SPEC_VERSION",
    "--reports": "OCI_CONFORM_REPORTS",
}

EXIT_CODES = (
    (0, "conformant at --fail-on (default: MUST and MUST NOT clauses)"),
    (1, "nonconformant: a fail (or xpass) at or above --fail-on"),
    (2, "usage error: bad command line, option, environment variable or input (one line)"),
    (3, "harness error: some outcome is error, or a suite stopped; results incomplete"),
    (4, "nothing selected, or nothing could be judged (all skip or n/a)"),
    (130, "interrupted (Ctrl-C / SIGINT): results so far written, marked incomplete"),
    (143, "interrupted by SIGTERM (a CI cancel): results so far written, marked incomplete"),
)


def _epilog() -> str:
    codes = "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)
    names = "\n".join(f"  {var:<26} {option}" for option, var in ENVIRONMENT.items())
    return (f"exit codes:\n{codes}\n\n"
            f"environment (the command line wins; each applies to the commands with that "
            f"option):\n{names}\n"
            f"  {VERBOSITY_VARIABLE:<26} quiet, normal or verbose (-q / -v win)\n"
            f"  {'NO_COLOR':<26} set and not empty: no colour (colour only on a terminal)")


EPILOG = _epilog()


class UsageError(Exception):
    """A bad command line: one line of text, exit code 2."""


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """-q, -v and --debug on ``parser``; absent from the namespace unless given, so a value
    given before the subcommand survives the subcommand's own parse."""
    group = parser.add_argument_group("output detail (any command, anywhere on the line)")
    group.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS,
                       help="print only failures and the final verdict")
    group.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                       help="print every row, passing ones too (text output)")
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="on a harness error, also print the traceback")


def verbosity_of(args: argparse.Namespace, environ: Any = None) -> int:
    """QUIET, NORMAL or VERBOSE from -q/-v (else OCI_CONFORM_VERBOSITY); sets ``args.quiet``
    and ``args.verbose`` to booleans for the commands that read them."""
    env = os.environ if environ is None else environ
    quiet, verbose = getattr(args, "quiet", 0) or 0, getattr(args, "verbose", 0) or 0
    if quiet and verbose:
        raise UsageError("-q/--quiet and -v/--verbose: give one of them")
    if quiet or verbose:
        level = QUIET if quiet else VERBOSE
    else:
        text = env.get(VERBOSITY_VARIABLE, "").strip().lower()
        if text and text not in VERBOSITY_NAMES:
            raise UsageError(f"{VERBOSITY_VARIABLE}={text}: give one of "
                             f"{', '.join(VERBOSITY_NAMES)}")
        level = VERBOSITY_NAMES.get(text, NORMAL)
    args.quiet, args.verbose = level == QUIET, level == VERBOSE
    return level


def _parsers(parser: argparse.ArgumentParser,
             args_list: list[str] | None) -> list[argparse.ArgumentParser]:
    """The parsers a command line goes through: ``parser``, then at each level the subparser
    named by the first word of ``args_list`` that is one of its choices. Without
    ``args_list``: ``parser`` and every subparser below it."""
    found, todo = [], [parser]
    while todo:
        current = todo.pop()
        if any(current is p for p in found):
            continue
        found.append(current)
        for action in current._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            if args_list is None:
                todo.extend(action.choices.values())
                continue
            word = next((a for a in args_list if a in action.choices), None)
            if word is not None:
                todo.append(action.choices[word])
    return found


def _env_value(action: argparse.Action, variable: str, text: str) -> Any:
    """The environment's text converted and checked like the option would be (UsageError)."""
    value: Any = text
    convert = action.type
    if callable(convert):
        try:
            value = convert(text)
        except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
            raise UsageError(f"{variable}={text}: not a valid value for {action.option_strings[-1]}"
                             f" ({exc})") from None
    if action.choices is not None and value not in action.choices:
        raise UsageError(f"{variable}={text}: this command's {action.option_strings[-1]} takes "
                         f"{', '.join(map(str, action.choices))}")
    return value


def apply_environment(parser: argparse.ArgumentParser, args_list: list[str] | None = None,
                      environ: Any = None) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Set the default of each option named in ENVIRONMENT from its variable (when set and not
    empty) in the parsers ``args_list`` goes through (all with None); name the variable in the
    option's help. Returns option dest -> (variable, option strings) for the defaults taken."""
    env = os.environ if environ is None else environ
    taken: dict[str, tuple[str, tuple[str, ...]]] = {}
    for current in _parsers(parser, args_list):
        for action in current._actions:
            variable = next((ENVIRONMENT[o] for o in action.option_strings if o in ENVIRONMENT),
                            None)
            if variable is None:
                continue
            if action.help and action.help is not argparse.SUPPRESS:
                action.help = f"{action.help} [env {variable}]"
            text = env.get(variable, "")
            if text:
                action.default = _env_value(action, variable, text)
                taken[action.dest] = (variable, tuple(action.option_strings))
    return taken


def from_environment(taken: dict[str, tuple[str, tuple[str, ...]]],
                     args_list: list[str]) -> dict[str, str]:
    """dest -> variable for the defaults taken whose option the command line does not give."""
    def given(options: tuple[str, ...]) -> bool:
        return any(a == o or a.startswith(o + "=") or (len(o) == 2 and a.startswith(o))
                   for a in args_list for o in options)
    return {dest: variable for dest, (variable, options) in taken.items() if not given(options)}


def option_label(option: str, dest: str, args: argparse.Namespace) -> str:
    """``option``, or ``option (from VARIABLE)`` when its value came from the environment and
    not from the command line."""
    variable = getattr(args, "from_environment", {}).get(dest)
    return f"{option} (from {variable})" if variable else option
