"""Benchmark: ``oci-conform config validate`` against ``check-jsonschema``, same run,
alternating rounds (ours, theirs, then theirs, ours, ...), after one untimed warm-up round.

1. start-up on one file: the whole command on the config.json that ``runc spec`` writes
   on this host (runc's own, not crun's);
2. 1,000 files in one process: one command over 1,000 config files drawn in turn from a pool
   of the configs ``runc spec``, ``runc spec --rootless`` and ``crun spec`` write plus our
   good and bad fixtures (the pool is mostly schema-invalid documents: the bad fixtures
   outnumber the rest; the count is printed), our text report written to a file.

Each prints min/median/max wall time, the median CPU time (user + system) and peak RSS
(``/usr/bin/time -v``) of both, the ratio check-jsonschema / oci-conform of the medians
(above 1: we are faster) with the spread of the per-round ratios, and the CPU-time ratio.
The bulk test then runs oci-conform once more on a tenth of the files and prints both peak
RSS figures: flat memory means the same peak for 100 and 1,000 files.
Targets: 1,000 files >= 1.0x with memory flat in the number of files.

Both run as after an installation: ``PYTHONDONTWRITEBYTECODE`` is dropped and
``PYTHONPYCACHEPREFIX`` points into the benchmark's temporary folder, so the warm-up round
leaves compiled bytecode for every later round (pip compiles check-jsonschema's modules at
install time; our editable checkout would otherwise be compiled at every start), and our
runtime catalog cache (``OCI_CONFORM_CACHE``) is private to the run (clones on one host
share ``~/.cache`` and evict each other's entry).

Why check-jsonschema is the fair baseline: it is the common CLI that validates many JSON
files against one schema in one process, on python-jsonschema, one file after another on
one core; oci-conform also judges the files one after another in one process, so both get
the same parallelism. It gets an equivalent schema: ours, with its shared definitions
inlined into one file, so it needs no network. It checks the schema only; we also run the
semantic checks and report every clause, so the comparison favours it.

check-jsonschema is a benchmark dependency only, not a project dependency:
``.venv/bin/pip install check-jsonschema``.
Run: ``.venv/bin/python benchmarks/config_validate.py [--rounds N] [--bulk-rounds N]
[--files N]``.
"""
from __future__ import annotations

import argparse
import json
import os
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


def compare(title: str, ours: list[str], theirs: list[str], rounds: int) -> Series:
    a, b = Series("oci-conform"), Series("check-jsonschema")
    alternate([(a, lambda: run_timed(ours, ok_codes=(0, 1))),
               (b, lambda: run_timed(theirs, ok_codes=(0, 1)))], rounds)
    unit = "ms" if a.median < 1 else "s"
    print(f"{title} ({rounds} alternating rounds after a warm-up):")
    print(table([a, b], unit))
    print("  " + ratio_line(b, a, "(above 1: oci-conform is faster)"), flush=True)
    return a


def schema_invalid(schema: Path, pool: list[Path]) -> int:
    """How many documents of the pool the schema refuses (python-jsonschema's answer)."""
    import jsonschema
    checker = jsonschema.Draft202012Validator(json.loads(schema.read_text()))
    bad = 0
    for path in pool:
        try:
            bad += not checker.is_valid(json.loads(path.read_bytes()))
        except ValueError:
            bad += 1
    return bad


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
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        os.environ["OCI_CONFORM_CACHE"] = str(folder / "catalog-cache")
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
        title = (f"{args.files} files in one process ({len(pool)} distinct configs, "
                 f"{schema_invalid(schema, pool)} of them schema-invalid)")
        ours = compare(title, [*OURS, *files, "-o", str(folder / "out.txt")],
                       [*THEIRS, "--schemafile", str(schema), *files], args.bulk_rounds)
        tenth = files[: max(1, args.files // 10)]
        _seconds, small_rss, _cpu = run_timed([*OURS, *tenth, "-o", str(folder / "out.txt")],
                                              ok_codes=(0, 1))
        big = ours.peak_mib()
        print(f"  oci-conform peak RSS: {small_rss / 1024:.0f} MiB for {len(tenth)} files, "
              f"{big:.0f} MiB for {args.files} files" if big and small_rss > 0 else
              "  (peak RSS not measured: /usr/bin/time is missing)")
        print("(oci-conform also runs every semantic check and reports each clause)")
        print(machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
