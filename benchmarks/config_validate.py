"""Benchmark: ``oci-conform config validate`` against ``check-jsonschema``, same run,
alternating rounds (ours, theirs, theirs, ours, ...).

1. start-up on one file: the whole command on the config.json that ``runc spec`` writes
   (runc's own, as generated on this host);
2. 1,000 files in one process: one command over 1,000 config files (runc, runc
   --rootless and crun generated configs plus our good and bad fixtures, repeated).

Each prints min/median/max wall time and peak RSS (``/usr/bin/time -v``) of both, the
per-round ratio spread and the ratio check-jsonschema / oci-conform (above 1: we are
faster). Targets: 1,000 files >= 1.0x with memory flat in the number of files.

Why check-jsonschema is the fair baseline: it is the common CLI that validates many JSON
files against one schema in one process, on python-jsonschema. It gets an equivalent
schema: ours, with its shared definitions inlined into one file, so it needs no network.
It checks the schema only; we also run the semantic checks and report every clause, so
the comparison favours it.

check-jsonschema is a benchmark dependency only, not a project dependency:
``.venv/bin/pip install check-jsonschema``.
Run: ``.venv/bin/python benchmarks/config_validate.py [--rounds N] [--files N]``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, alternate, machine_line, ratio_line, run_timed, table  # noqa: E402,I001

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OURS = [str(BIN / "oci-conform"), "config", "validate"]
THEIRS = [str(BIN / "check-jsonschema")]


def inlined_schema(folder: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from oci_conform.checks.runtime_config.schema import validator
    path = folder / "runtime-config.inlined.schema.json"
    path.write_text(json.dumps(validator("config").schema))
    return path


def sample_configs(folder: Path) -> tuple[Path | None, list[Path]]:
    """(runc's generated config, the pool the 1,000 files are drawn from)."""
    pool = sorted((REPO / "fixtures" / "config" / "good").glob("*.json"))
    pool += sorted((REPO / "fixtures" / "config" / "bad").glob("*.json"))
    generated: dict[str, Path] = {}
    for name, argv in (("runc", ["runc", "spec"]), ("rootless", ["runc", "spec", "--rootless"]),
                       ("crun", ["crun", "spec"])):
        if shutil.which(argv[0]):
            where = folder / f"gen-{name}"
            where.mkdir()
            if subprocess.run(argv, cwd=where, capture_output=True, check=False,
                              timeout=60).returncode == 0:
                generated[name] = where / "config.json"
    return generated.get("runc"), [*generated.values(), *pool]


def compare(title: str, ours: list[str], theirs: list[str], rounds: int) -> None:
    a, b = Series("oci-conform"), Series("check-jsonschema")
    alternate([(a, lambda: run_timed(ours, ok_codes=(0, 1))),
               (b, lambda: run_timed(theirs, ok_codes=(0, 1)))], rounds)
    unit = "ms" if a.median < 1 else "s"
    print(f"{title} ({rounds} alternating rounds after a warm-up):")
    print(table([a, b], unit))
    print("  " + ratio_line(b, a, "(above 1: oci-conform is faster)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the one-file test")
    parser.add_argument("--bulk-rounds", type=int, default=5, help="rounds of the bulk test")
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    if not (BIN / "check-jsonschema").exists():
        print("check-jsonschema is not installed in this environment: "
              f"{BIN / 'pip'} install check-jsonschema", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-config-") as tmp:
        folder = Path(tmp)
        schema = inlined_schema(folder)
        runc, pool = sample_configs(folder)
        if runc is None:
            print("runc is not installed (apt-get install runc): the one-file test needs "
                  "runc's own config", file=sys.stderr)
            return 2
        compare(f"one file: runc spec's config.json ({runc.stat().st_size} bytes)",
                [*OURS, str(runc)], [*THEIRS, "--schemafile", str(schema), str(runc)],
                args.rounds)
        many = folder / "many"
        many.mkdir()
        files = []
        for i in range(args.files):
            target = many / f"{i:04d}-config.json"
            shutil.copy(pool[i % len(pool)], target)
            files.append(str(target))
        compare(f"{args.files} files in one process ({len(pool)} distinct configs)",
                [*OURS, *files, "-o", str(folder / "out.txt")],
                [*THEIRS, "--schemafile", str(schema), *files], args.bulk_rounds)
        print("(oci-conform also runs every semantic check and reports each clause)")
        print(machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
