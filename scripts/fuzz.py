#!/usr/bin/env python3
"""The oci-conform fuzz campaign (see docs/robustness.md).

    python scripts/fuzz.py --seed 1 --count 200                 # every target
    python scripts/fuzz.py --target doc-manifest --count 100000 --nice 10
    python scripts/fuzz.py --replay                              # saved reproducers only
    python scripts/fuzz.py --list

Exit code: 0 when no input crashed, hung, escaped, leaked or got a 5xx; 1 otherwise;
2 on a bad command line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzzlib.campaign import Sandbox, Settings, replay, run_target, write_summary  # noqa: E402
from fuzzlib.pool import REPO  # noqa: E402
from fuzzlib.targets import all_targets  # noqa: E402


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="fuzz.py", description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=100, help="inputs per target (default 100)")
    p.add_argument("--target", action="append", default=[], metavar="NAME",
                   help="only this target (repeatable; default: all)")
    p.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                   help="seconds one input may take before it counts as a hang (default 10)")
    p.add_argument("--budget", type=float, default=0.0, metavar="S",
                   help="stop a target after S seconds even before --count (default: none)")
    p.add_argument("--cli-every", type=int, default=1, metavar="N",
                   help="one input in N runs the whole command line (report built and "
                        "rendered), the others only the command's parsing and checks; "
                        "default 1: all (replays always run the whole command line)")
    p.add_argument("--memory", type=int, default=1024, metavar="MIB",
                   help="address-space limit of the worker (default 1024 MiB)")
    p.add_argument("--nice", type=int, default=0, help="niceness of worker and server")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="write summary.json here (default: print only)")
    p.add_argument("--fixtures", type=Path, default=REPO / "fixtures" / "fuzz",
                   metavar="DIR", help="save reproducers here (default fixtures/fuzz)")
    p.add_argument("--no-save", action="store_true", help="do not save reproducers")
    p.add_argument("--replay", action="store_true",
                   help="run the saved reproducers under --fixtures instead of new inputs")
    p.add_argument("--list", action="store_true", help="list the targets and exit")
    p.add_argument("--markdown", type=Path, metavar="SUMMARY",
                   help="print a summary.json as a Markdown table and exit")
    p.add_argument("-q", "--quiet", action="store_true")
    return p.parse_args(argv)


def print_table(rows: list[dict]) -> None:
    head = f"{'target':22} {'inputs':>7} {'s':>7} {'in/s':>6} {'rssMiB':>7} {'slow s':>7}  " \
           "crash hang unsafe leak 5xx litter"
    print(head)
    for r in rows:
        p = r["problems"]
        print(f"{r['target']:22} {r['inputs']:>7} {r['seconds']:>7} {r['inputs_per_second']:>6} "
              f"{r['peak_rss_mib']:>7} {r['slowest_input_s']:>7}  {p['crash']:>5} {p['hang']:>4} "
              f"{p['unsafe']:>6} {p['leak']:>4} {p['5xx']:>3} {p['litter']:>6}")
    for r in rows:
        for f in r["findings"]:
            where = f["project_frame"] or f["last_frame"]
            print(f"  [{r['target']}] {f['kind']} x{f['count']}: {f['message'][:140]}"
                  f"{' @ ' + where if where else ''}\n      {f['fixture']}")


def markdown(summary: Path) -> str:
    doc = json.loads(summary.read_text())
    out = [f"seed {doc['seed']}, up to {doc['count']} inputs per target, "
           f"{doc['time_limit']:g} s per input", "",
           "| target | inputs | whole command line | seconds | inputs/s | peak RSS MiB "
           "| slowest s | crash | hang | unsafe | leak | 5xx | litter |", "|" + " --- |" * 13]
    for r in doc["targets"]:
        p = r["problems"]
        whole = r["inputs"] - r.get("parser_tier_inputs", 0)
        out.append(f"| `{r['target']}` | {r['inputs']:,} | {whole:,} | {r['seconds']} | "
                   f"{r['inputs_per_second']} | {r['peak_rss_mib']} | {r['slowest_input_s']} | "
                   + " | ".join(str(p[k]) for k in ("crash", "hang", "unsafe", "leak", "5xx",
                                                    "litter")) + " |")
    total = sum(r["inputs"] for r in doc["targets"])
    whole = total - sum(r.get("parser_tier_inputs", 0) for r in doc["targets"])
    out.append(f"| total | {total:,} | {whole:,} | "
               f"{round(sum(r['seconds'] for r in doc['targets']))} |" + " |" * 9)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.markdown:
        print(markdown(args.markdown), end="")
        return 0
    targets = all_targets()
    if args.list:
        for t in targets.values():
            print(f"{t.name:22} {t.about}")
        return 0
    unknown = [n for n in args.target if n not in targets]
    if unknown:
        print(f"error: unknown target {unknown[0]!r}; --list shows them", file=sys.stderr)
        return 2
    chosen = [targets[n] for n in args.target] or list(targets.values())
    settings = Settings(seed=args.seed, count=args.count, time_limit=args.time_limit,
                        memory_mib=args.memory, nice=args.nice, budget=args.budget,
                        cli_every=max(args.cli_every, 1),
                        fixtures=None if args.no_save or args.replay else args.fixtures,
                        out=args.out, progress=not args.quiet)
    box = Sandbox.make()
    try:
        if args.replay:
            rows = replay(targets, args.fixtures, settings, box)
            bad = [r for r in rows if r["problems"]]
            for r in rows:
                print(f"{'FAIL' if r['problems'] else 'ok  '} {r['fixture']}: "
                      f"{'; '.join(r['problems']) or r.get('code')}")
            print(f"{len(rows)} reproducers replayed, {len(bad)} still fail")
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / "replay.json").write_text(json.dumps(rows, indent=1) + "\n")
            return 1 if bad else 0
        records = []
        for target in chosen:
            if not args.quiet:
                print(f"[fuzz] {target.name}: seed {args.seed}, {args.count} inputs", flush=True)
            records.append(run_target(target, settings, box))
            if args.out:                       # after each target: a stopped run keeps them
                write_summary(args.out, records, settings)
        rows = [r.summary() for r in records]
        print_table(rows)
        if args.out:
            print(f"summary: {write_summary(args.out, records, settings)}")
        return 1 if any(sum(r["problems"].values()) for r in rows) else 0
    finally:
        box.remove()


if __name__ == "__main__":
    sys.exit(main())
