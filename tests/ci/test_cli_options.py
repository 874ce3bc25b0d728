"""What every command shares on its command line, as a CI job meets it: -q and -v, folded text
output, colour only on a terminal and never with NO_COLOR, OCI_CONFORM_* variables (the
command line wins), -o into a folder that does not exist, exit codes in --help, and what
--help imports. Each runs the real command in a subprocess on the repository's fixtures.
"""
from __future__ import annotations

import argparse
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform import cli
from oci_conform.cli_options import ENVIRONMENT, EXIT_CODES

REPO = Path(__file__).resolve().parents[2]
GOOD_IMAGE = f"oci:{REPO / 'fixtures' / 'image' / 'good' / 'oci-single'}"
BAD_IMAGE = f"oci:{REPO / 'fixtures' / 'image' / 'bad'}"
GOOD_CONFIG = str(REPO / "fixtures" / "config" / "good" / "minimal.json")
ESC = "\x1b["


def run(*argv: str, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items()
            if not k.startswith("OCI_CONFORM_") or k == "OCI_CONFORM_CACHE"}
    full.pop("GITHUB_ACTIONS", None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "oci_conform", *argv], capture_output=True,
                          text=True, timeout=300, env=full, input=stdin)


def _bad_config(tmp_path: Path) -> str:
    doc = json.loads(Path(GOOD_CONFIG).read_text())
    doc["process"] = {"cwd": 7, "args": ["sh"]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _leaf_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for name in cli.COMMANDS:
        todo = [(name, cli.build_parser(only=name)._subparsers._group_actions[0].choices[name])]
        while todo:
            label, parser = todo.pop()
            subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            if not subs:
                found.append((label, parser))
            for action in subs:
                todo.extend((f"{label} {n}", p) for n, p in action.choices.items())
    return found


def test_every_command_and_verb_takes_q_and_v() -> None:
    leaves = _leaf_parsers()
    assert len(leaves) >= 10
    for label, parser in leaves:
        options = {o for a in parser._actions for o in a.option_strings}
        assert {"-q", "--quiet", "-v", "--verbose", "--debug"} <= options, label


def test_every_command_module_is_listed_once() -> None:
    folder = REPO / "oci_conform" / "commands"
    registering = {f"oci_conform.commands.{p.stem}" for p in folder.glob("*.py")
                   if "def register(" in p.read_text(encoding="utf-8")}
    listed = [module for module, _help in cli.COMMANDS.values()]
    assert sorted(listed) == sorted(registering)


@pytest.mark.parametrize("where", ["before", "after"])
def test_text_output_folds_passing_rows_unless_v(where: str) -> None:
    normal = run("image", "validate", GOOD_IMAGE)
    flag = ["-v"]
    verbose = run(*(flag if where == "before" else []), "image", "validate", GOOD_IMAGE,
                  *(flag if where == "after" else []))
    assert normal.returncode == verbose.returncode == 0, normal.stderr + verbose.stderr
    passing = [ln for ln in verbose.stdout.splitlines() if "✓ pass" in ln]
    assert len(passing) >= 50
    assert not any("✓ pass" in ln for ln in normal.stdout.splitlines())
    fold = [ln for ln in normal.stdout.splitlines() if "rows without a problem folded" in ln]
    assert len(fold) == 1 and f"{len(passing)} all pass" in fold[0]
    assert normal.stdout.splitlines()[-1].startswith("verdict: conformant")
    assert len(normal.stdout.splitlines()) < 12 < len(verbose.stdout.splitlines())


def test_quiet_prints_only_failures_and_the_verdict() -> None:
    good = run("image", "validate", GOOD_IMAGE, "-q")
    assert good.returncode == 0
    assert good.stdout.splitlines() == ["verdict: conformant at --fail-on must (exit 0); "
                                        + good.stdout.split("; ", 1)[1].strip()]
    assert good.stderr == ""                          # progress lines are silenced too
    bad = run("-q", "image", "validate", BAD_IMAGE)
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[-1].startswith("verdict: nonconformant at --fail-on must (exit 1)")
    assert all(ln.startswith(("✗ fail", "    ")) for ln in lines[:-1]) and len(lines) > 2
    assert "clause" not in lines[0] and "passed / judged" not in bad.stdout


def test_config_validate_quiet_and_verbose(tmp_path: Path) -> None:
    bad = _bad_config(tmp_path)
    quiet = run("config", "validate", GOOD_CONFIG, bad, "-q")
    assert quiet.returncode == 1
    assert GOOD_CONFIG not in quiet.stdout and "FAIL" in quiet.stdout
    assert quiet.stdout.splitlines()[-1] == ("verdict: nonconformant at --fail-on must "
                                             "(exit 1); 2 files")
    verbose = run("config", "validate", GOOD_CONFIG, "--verbose")
    assert verbose.returncode == 0
    assert sum(ln.lstrip().startswith("pass") for ln in verbose.stdout.splitlines()) >= 5
    assert sum(ln.lstrip().startswith("n/a") for ln in verbose.stdout.splitlines()) > 100
    normal = run("config", "validate", GOOD_CONFIG)
    assert len(normal.stdout.splitlines()) == 2


def test_q_and_v_together_is_a_usage_error() -> None:
    done = run("-q", "clauses", "-v")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: -q/--quiet and -v/--verbose: give one "
                                                "of them"]


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """The command's stdout read through a pseudo-terminal (so isatty() is true)."""
    main, child = pty.openpty()
    full = {**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}, **env}
    proc = subprocess.Popen([sys.executable, "-m", "oci_conform", *argv], stdout=child,
                            stderr=subprocess.DEVNULL, env=full)
    os.close(child)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 120)
            if not ready:
                break
            try:
                data = os.read(main, 65536)
            except OSError:                 # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(main)
        proc.wait(timeout=120)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("env, coloured", [({"TERM": "xterm"}, True),
                                           ({"TERM": "xterm", "NO_COLOR": "1"}, False),
                                           ({"TERM": "xterm", "NO_COLOR": ""}, True),
                                           ({"TERM": "dumb"}, False)])
def test_colour_only_on_a_terminal_and_never_with_no_color(env: dict[str, str],
                                                           coloured: bool) -> None:
    out = _on_a_terminal(["image", "validate", BAD_IMAGE], env)
    assert "verdict: " in out
    assert (ESC in out) is coloured


def test_no_colour_into_a_pipe_or_a_file(tmp_path: Path) -> None:
    piped = run("image", "validate", BAD_IMAGE, env={"TERM": "xterm"})
    assert "verdict: " in piped.stdout and ESC not in piped.stdout
    out = tmp_path / "report.txt"
    run("image", "validate", BAD_IMAGE, "-o", str(out), env={"TERM": "xterm"})
    assert "verdict: " in out.read_text() and ESC not in out.read_text()


def test_environment_gives_defaults_and_the_command_line_wins(tmp_path: Path) -> None:
    as_json = run("image", "validate", GOOD_IMAGE, env={"OCI_CONFORM_FORMAT": "json"})
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["results"]
    as_text = run("image", "validate", GOOD_IMAGE, "--format", "text",
                  env={"OCI_CONFORM_FORMAT": "json"})
    assert as_text.stdout.startswith("clause")
    out = tmp_path / "out.xml"
    written = run("image", "validate", GOOD_IMAGE,
                  env={"OCI_CONFORM_OUTPUT": str(out), "OCI_CONFORM_FORMAT": "junit"})
    assert written.returncode == 0 and written.stdout == ""
    assert out.read_text().startswith("<?xml")
    should = run("config", "validate", _bad_config(tmp_path), "--format", "json",
                 env={"OCI_CONFORM_FAIL_ON": "may"})
    assert should.returncode == 1
    quiet = run("image", "validate", GOOD_IMAGE, env={"OCI_CONFORM_VERBOSITY": "quiet"})
    assert quiet.stdout.startswith("verdict: ")
    loud = run("image", "validate", GOOD_IMAGE, "-q", env={"OCI_CONFORM_VERBOSITY": "verbose"})
    assert loud.stdout.startswith("verdict: ")


def test_environment_results_and_expectations(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    expect = tmp_path / "exp.json"
    expect.write_text("{")
    bad = run("image", "validate", GOOD_IMAGE, env={"OCI_CONFORM_EXPECTATIONS": str(expect)})
    assert bad.returncode == 2 and "OCI_CONFORM_EXPECTATIONS" in bad.stderr
    good = run("image", "validate", GOOD_IMAGE, env={"OCI_CONFORM_RESULTS": str(results)})
    assert good.returncode == 0 and json.loads(results.read_text())["results"]


@pytest.mark.parametrize("variable, value, says", [
    ("OCI_CONFORM_JOBS", "many", "OCI_CONFORM_JOBS=many"),
    ("OCI_CONFORM_JOBS", "0", "--jobs (from OCI_CONFORM_JOBS) 0: must be 1 or more"),
    ("OCI_CONFORM_FAIL_ON", "never", "OCI_CONFORM_FAIL_ON=never"),
    ("OCI_CONFORM_FORMAT", "yaml", "--format (from OCI_CONFORM_FORMAT) 'yaml'"),
    ("OCI_CONFORM_OUTPUT", "/no/such/dir/out", "-o/--output (from OCI_CONFORM_OUTPUT)"),
    ("OCI_CONFORM_VERBOSITY", "loud", "OCI_CONFORM_VERBOSITY=loud"),
])
def test_a_bad_variable_is_one_line_naming_it(variable: str, value: str, says: str) -> None:
    done = run("runtime", "test", "--runtime", "x=/bin/false", env={variable: value})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert not Path("/no/such").exists()


def test_a_variable_whose_value_a_command_does_not_take_is_named() -> None:
    done = run("clauses", "--coverage", env={"OCI_CONFORM_FORMAT": "junit"})
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: OCI_CONFORM_FORMAT=junit: this command's --format "
                                   "takes text, json")


WRITERS = [["config", "validate", GOOD_CONFIG], ["image", "validate", GOOD_IMAGE],
           ["image", "validate-document", GOOD_CONFIG],
           ["runtime", "test", "--runtime", "x=/bin/true"],
           ["registry", "test", "http://127.0.0.1:9"], ["matrix", "--only-given"]]
REPORTS = [["report", "render", "R"], ["report", "merge", "R"], ["report", "diff", "R", "R"]]


@pytest.mark.parametrize("argv, option", [(a, o) for a in WRITERS for o in ("-o", "--results")]
                         + [(a, "-o") for a in REPORTS])
def test_output_into_a_missing_folder_is_refused_before_anything_runs(
        tmp_path: Path, argv: list[str], option: str) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out"
    argv = [str(tmp_path / "r.json") if a == "R" else a for a in argv]
    done = run(*argv, option, str(target))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0], lines
    assert str(target.parent) in lines[0]
    assert not (tmp_path / "no").exists()


def test_reports_folder_under_a_missing_folder_is_refused(tmp_path: Path) -> None:
    done = run("matrix", "--only-given", "--reports", str(tmp_path / "no" / "such"))
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert not (tmp_path / "no").exists()


def test_help_lists_exit_codes_and_variables() -> None:
    top = run("--help")
    assert top.returncode == 0
    for code, _meaning in EXIT_CODES:
        assert f"\n  {code} " in top.stdout
    for variable in (*ENVIRONMENT.values(), "OCI_CONFORM_VERBOSITY", "NO_COLOR"):
        assert variable in top.stdout
    sub = " ".join(run("runtime", "test", "--help").stdout.split())
    assert "[env OCI_CONFORM_JOBS]" in sub and "[env OCI_CONFORM_FORMAT]" in sub
    assert "-q, --quiet" in sub


def test_help_imports_no_command_module_nor_heavy_library() -> None:
    script = ("import sys\nfrom oci_conform.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "sys.stderr.write('\\n'.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    loaded = set(done.stderr.split())
    assert "oci_conform.cli" in loaded
    heavy = {"jsonschema", "requests", "jinja2", "tabulate", "urllib3", "referencing"}
    assert not heavy & loaded, heavy & loaded
    assert not {m for m in loaded if m.startswith("oci_conform.commands.")}
    assert not {m for m in loaded if m.startswith(("oci_conform.model", "oci_conform.catalog",
                                                   "oci_conform.report"))}
