#!/usr/bin/env python3
"""Run the engine scenarios (tests/engines) and write their scenario x implementation tables
into docs/reference-runtime.md and docs/reference-registry.md.

    sudo .venv/bin/python scripts/engine_scenarios.py            # run, print the tables
    sudo .venv/bin/python scripts/engine_scenarios.py --write    # ... and update the docs
    .venv/bin/python scripts/engine_scenarios.py --junit FILE    # tables from a junit file

Each test of those modules is one scenario run on one implementation (its parameter); the
table says what pytest said about it: pass, FAIL or skip (with the reason).  The exit code
is 1 when a scenario failed or when the reference gives another outcome than its control
(runc on the same engine; docker-registry) in any row.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULES = {"test_podman_reference_runtime": "podman", "test_docker_reference_runtime": "docker",
           "test_containerd_reference_runtime": "containerd",
           "test_docker_registry_clients": "registry"}
RUNTIME_COLUMNS = (("podman", "runc"), ("podman", "reference"), ("docker", "runc"),
                   ("docker", "oci-conform"), ("containerd", "runc"),
                   ("containerd", "reference"))
REGISTRY_COLUMNS = ("docker-registry", "reference")
MARK = "<!-- engine-scenarios:{} (scripts/engine_scenarios.py --write) -->"
END = "<!-- /engine-scenarios -->"
MAX_XML = 16 << 20


@dataclass(frozen=True)
class Cell:
    module: str
    scenario: str
    param: str
    outcome: str        # pass | FAIL | skip: reason


def run_pytest(junit: Path) -> int:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", *(f"tests/engines/{m}.py" for m in MODULES)]
    return subprocess.run(argv, cwd=REPO, timeout=3600, check=False).returncode


def cells(junit: Path) -> list[Cell]:
    if junit.stat().st_size > MAX_XML:
        raise SystemExit(f"{junit}: larger than {MAX_XML} bytes; not a junit report of these")
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        match = re.fullmatch(r"test_(\w+?)\[(.+)\]", case.get("name", ""))
        if module not in MODULES or not match:
            continue
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "FAIL"
        elif skipped is not None:
            reason = (skipped.get("message") or "").removeprefix("Skipped: ")
            outcome = f"skip: {reason}"
        else:
            outcome = "pass"
        out.append(Cell(module, match.group(1).replace("_", " "), match.group(2), outcome))
    return out


def runtime_table(found: list[Cell]) -> str:
    grid: dict[str, dict[tuple[str, str], str]] = {}
    for c in found:
        engine = MODULES[c.module]
        if engine in ("podman", "docker", "containerd"):
            grid.setdefault(c.scenario, {})[(engine, c.param)] = c.outcome
    head = " | ".join(f"{e} + {'reference' if r == 'oci-conform' else r}"
                      for e, r in RUNTIME_COLUMNS)
    rows = [f"| scenario | {head} |", "|---" * (len(RUNTIME_COLUMNS) + 1) + "|"]
    for scenario in sorted(grid):
        row = [grid[scenario].get(col, "-") for col in RUNTIME_COLUMNS]
        rows.append(f"| {scenario} | " + " | ".join(row) + " |")
    return "\n".join(rows)


def registry_table(found: list[Cell]) -> str:
    grid: dict[str, dict[str, str]] = {}
    for c in found:
        if MODULES[c.module] != "registry":
            continue
        registry, auth = c.param, ""
        for kind in ("none", "basic", "token"):
            if c.param.endswith(f"-{kind}"):
                registry, auth = c.param.removesuffix(f"-{kind}"), kind
        label = c.scenario + (f" ({auth} auth)" if auth and auth != "none" else "")
        grid.setdefault(label, {})[registry] = c.outcome
    rows = ["| scenario | " + " | ".join(REGISTRY_COLUMNS) + " |",
            "|---" * (len(REGISTRY_COLUMNS) + 1) + "|"]
    for scenario in sorted(grid):
        rows.append(f"| {scenario} | "
                    + " | ".join(grid[scenario].get(r, "-") for r in REGISTRY_COLUMNS) + " |")
    return "\n".join(rows)


def differences(found: list[Cell]) -> list[str]:
    """Rows where the reference's outcome is not its control's, and every failed run."""
    seen = {(MODULES[c.module], c.scenario, c.param): c.outcome for c in found}
    out = [f"{c.scenario} [{MODULES[c.module]}, {c.param}]: failed" for c in found
           if c.outcome == "FAIL"]
    for (group, scenario, param), outcome in sorted(seen.items()):
        if group == "registry":
            if not param.startswith("reference"):
                continue
            control_param = "docker-registry" + param.removeprefix("reference")
        elif param in ("reference", "oci-conform"):
            control_param = "runc"
        else:
            continue
        control = seen.get((group, scenario, control_param))
        if control is None:
            out.append(f"{scenario} [{group}, {param}]: no control run ({control_param})")
        elif control != outcome:
            out.append(f"{scenario} [{group}]: {param} {outcome!r}, {control_param} "
                       f"{control!r}")
    return out


def write(doc: Path, name: str, table: str) -> None:
    text = doc.read_text()
    start = MARK.format(name)
    if start not in text:
        raise SystemExit(f"{doc}: no {start!r} marker to write the table after")
    before, rest = text.split(start, 1)
    _, sep, after = rest.partition(END)
    if not sep:
        raise SystemExit(f"{doc}: the {name} table has no {END!r} end marker")
    doc.write_text(f"{before}{start}\n{table}\n{END}{after}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--junit", type=Path, help="read this junit report instead of running")
    ap.add_argument("--write", action="store_true", help="update the two docs")
    args = ap.parse_args(argv)
    code, own = 0, None
    if args.junit is None:
        own = Path(tempfile.mkdtemp(prefix="oc-scen-"))
        args.junit = own / "junit.xml"
        code = run_pytest(args.junit)
    try:
        if not args.junit.is_file():
            print(f"{args.junit}: no junit report there", file=sys.stderr)
            return 2
        found = cells(args.junit)
    finally:
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)
    tables = {"runtime": runtime_table(found), "registry": registry_table(found)}
    for name, table in tables.items():
        print(f"\n{name}:\n{table}")
    unlike = differences(found)
    for line in unlike:
        print(f"differs: {line}", file=sys.stderr)
    if args.write:
        write(REPO / "docs" / "reference-runtime.md", "runtime", tables["runtime"])
        write(REPO / "docs" / "reference-registry.md", "registry", tables["registry"])
    return 1 if code or unlike or not found else 0


if __name__ == "__main__":
    sys.exit(main())
