"""Benchmark: ``oci-conform image validate`` of an OCI layout against the fair limit of the
same work, in the same run, alternating rounds.

The layout holds realistic layers made from this host's own file trees: gzip layers of
/usr/share (text, docs, locales: compresses well, ~18,000 entries) and of
/usr/lib/x86_64-linux-gnu (shared libraries), an uncompressed tar of /usr/bin plus busybox,
and a layer of random bytes (already-compressed content). The validator must hash every
blob (digest) and decompress and hash every gzip layer (DiffID); that is the work it cannot
avoid. It also parses every tar header and judges every entry, which the baseline does not.

The baseline does exactly the unavoidable work with the fastest common tools:

  * ``openssl dgst -sha256`` on every blob (OpenSSL uses SHA-NI where the CPU has it;
    Debian's ``sha256sum`` does not and is ~4x slower, so it would flatter us);
  * for each gzip layer, gunzip at zlib speed (``pigz -d`` when installed, else Python's
    zlib in a small child; GNU ``zcat`` is several times slower) piped to
    ``openssl dgst -sha256``;
  * with the same parallelism as the validator: the jobs run through ``xargs -P2``, two at
    a time, largest first, like the validator's two layer workers (largest first too).
    Each gzip job is a two-process pipe (gunzip | openssl), and each validator worker
    likewise decompresses on one thread while another parses (and helpers hash). The
    one-core baseline (``-P1``) is printed too.

It does not parse the tar streams nor judge anything, so it is a lower bound. Prints
min/median/max of wall time and CPU time (user + system, children included) of each
contender, the per-round ratios, the one-minute load average at each round, the
validator's peak RSS (``/usr/bin/time -v``: the largest of its processes; the main process
and its two workers together hold at most three times that) and its exit code. Targets:
validator / two-core baseline <= 1.1, peak RSS < 150 MiB.

On a shared, overloaded host each runnable thread gets a slice of a core, so the wall
ratio also counts how many threads each contender keeps runnable; the CPU-time ratio is
the steadier measure of the work each does.

    .venv/bin/python benchmarks/image_validate.py [--mib 512] [--rounds 5] [--keep DIR]
        [--before DIR]

The clause catalog cache (``OCI_CONFORM_CACHE``) is private to the run and filled by the
warm-up round: the timed rounds show a command after its first run.

``--before DIR`` adds the validator of another source tree (``DIR/oci_conform``, e.g. from
``git archive``) as a fourth contender in the same rounds, to show what a change did on the
same load.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import Series, alternate, machine_line, ratio_line, run_timed, table  # noqa: E402,I001

CHUNK = 1 << 20
GUNZIP_PY = ("import sys, zlib\n"
             "d = zlib.decompressobj(31)\n"
             "r, w = sys.stdin.buffer.raw, sys.stdout.buffer\n"
             "while b := r.read(1 << 20):\n"
             "    w.write(d.decompress(b))\n"
             "w.write(d.flush())\n")


def _files(roots: list[Path]) -> Iterator[Path]:
    """Regular files, directories and symlinks under ``roots``, sorted walk."""
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            yield Path(folder)
            for name in sorted(names):
                path = Path(folder) / name
                if path.is_symlink() or path.is_file():
                    yield path


def tree_tar(out: Path, roots: list[Path], budget: int, gzip_level: int | None) -> int:
    """Tar (optionally gzip) files of ``roots`` until ``budget`` bytes of content."""
    mode = "w:gz" if gzip_level is not None else "w"
    kwargs = {"compresslevel": gzip_level} if gzip_level is not None else {}
    total = 0
    with tarfile.open(out, mode, format=tarfile.PAX_FORMAT, **kwargs) as tar:  # type: ignore[call-overload]
        for path in _files(roots):
            if total >= budget:
                break
            try:
                info = tar.gettarinfo(str(path), arcname=str(path).lstrip("/"))
                if info.isreg():
                    with open(path, "rb") as handle:
                        tar.addfile(info, handle)
                    total += info.size
                elif info.isdir() or info.issym():
                    tar.addfile(info)
            except OSError:
                continue
    return total


def random_tar(out: Path, size: int) -> int:
    rng = random.Random(7)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("data/random.bin")
        info.size = size
        left = size

        class _Src:
            def read(self, n: int = -1) -> bytes:
                nonlocal left
                n = left if n < 0 else min(n, left)
                left -= n
                return rng.randbytes(n)
        tar.addfile(info, _Src())  # type: ignore[arg-type]
    return size


def _sha256(path: Path, gz: bool = False) -> str:
    import zlib
    h = hashlib.sha256()
    d = zlib.decompressobj(31) if gz else None
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(d.decompress(block) if d else block)
    if d:
        h.update(d.flush())
    return h.hexdigest()


def build_layout(root: Path, mib: int) -> list[Path]:
    """An OCI layout of four layers, ~``mib`` MiB of uncompressed content; the gzip blobs."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    budget = mib << 20
    busybox = [Path("/bin/busybox")] if Path("/bin/busybox").exists() else []
    plan = [("gzip", [Path("/usr/share")], 0.40), ("gzip", [Path("/usr/lib/x86_64-linux-gnu")],
                                                    0.30),
            ("tar", [Path("/usr/bin"), *busybox], 0.20), ("random", [], 0.10)]
    layers, diff_ids, gz = [], [], []
    for i, (kind, roots, share) in enumerate(plan):
        raw = root / f"layer{i}"
        size = int(budget * share)
        if kind == "random":
            random_tar(raw, size)
        else:
            tree_tar(raw, roots, size, 6 if kind == "gzip" else None)
        digest = _sha256(raw)
        diff_ids.append("sha256:" + (_sha256(raw, gz=True) if kind == "gzip" else digest))
        final = blobs / digest
        raw.rename(final)
        if kind == "gzip":
            gz.append(final)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar"
                       + ("+gzip" if kind == "gzip" else ""),
                       "digest": "sha256:" + digest, "size": final.stat().st_size})

    def blob(obj: dict, media_type: str) -> dict:
        data = json.dumps(obj).encode()
        d = hashlib.sha256(data).hexdigest()
        (blobs / d).write_bytes(data)
        return {"mediaType": media_type, "digest": "sha256:" + d, "size": len(data)}

    config = blob({"architecture": "amd64", "os": "linux",
                   "rootfs": {"type": "layers", "diff_ids": diff_ids}},
                  "application/vnd.oci.image.config.v1+json")
    manifest = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": config, "layers": layers},
                    "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    (root / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [manifest]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return gz


def baseline_script(layout: Path, gz: list[Path], jobs: int, folder: Path) -> str:
    """A shell command: every blob through openssl, every gzip layer through gunzip |
    openssl, ``jobs`` at a time, largest first."""
    gunzip = "pigz -d -c" if shutil.which("pigz") else (
        f"{shlex.quote(sys.executable)} {shlex.quote(str(folder / 'gunzip.py'))}")
    (folder / "gunzip.py").write_text(GUNZIP_PY)
    def largest_first(paths: list[Path]) -> list[Path]:
        return sorted(paths, key=lambda p: -p.stat().st_size)
    blobs = largest_first(list((layout / "blobs" / "sha256").iterdir()))
    jobs_list = [f"openssl dgst -sha256 {p}" for p in blobs]
    jobs_list[:0] = [f"{gunzip} < {p} | openssl dgst -sha256" for p in largest_first(gz)]
    jobfile = folder / f"jobs-{jobs}.txt"
    jobfile.write_text("\0".join(jobs_list) + "\0")
    return (f"xargs -0 -P{jobs} -n1 /bin/bash -c < {shlex.quote(str(jobfile))} "
            "> /dev/null")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=512, help="MiB of uncompressed layer content")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the layout here")
    ap.add_argument("--before", metavar="DIR",
                    help="also time the validator of this source tree (holding oci_conform/)")
    args = ap.parse_args()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="oci-bench-"))
    layout = tmp / "layout"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        if not (layout / "index.json").exists():
            print(f"building a layout of ~{args.mib} MiB of content in {layout} ...",
                  file=sys.stderr)
            gz = build_layout(layout, args.mib)
        else:
            gz = [p for p in (layout / "blobs/sha256").iterdir()
                  if p.open("rb").read(2) == b"\x1f\x8b"]
        blob_bytes = sum(p.stat().st_size for p in (layout / "blobs/sha256").iterdir())
        # the clause catalog cache private to the run (filled by the warm-up round, as the
        # first run after an installation fills it): clones on one host share ~/.cache
        os.environ["OCI_CONFORM_CACHE"] = str(tmp / "catalog-cache")
        cmd = [sys.executable, "-m", "oci_conform", "image", "validate", f"oci:{layout}",
               "--format", "json", "-o", os.devnull]
        ours, two, one = Series("validator"), Series("baseline -P2"), Series("baseline -P1")
        base2 = baseline_script(layout, gz, 2, tmp)
        base1 = baseline_script(layout, gz, 1, tmp)
        loads: list[float] = []

        def with_load(run: Callable[[], tuple[float, int, float]]
                      ) -> Callable[[], tuple[float, int, float]]:
            def measured() -> tuple[float, int, float]:
                loads.append(os.getloadavg()[0])
                return run()
            return measured
        contenders = [(ours, with_load(lambda: run_timed(cmd, ok_codes=(0, 1)))),
                      (two, with_load(lambda: run_timed(base2, shell=True))),
                      (one, with_load(lambda: run_timed(base1, shell=True)))]
        old = Series("validator before")
        if args.before:
            tree = str(Path(args.before).resolve())      # run from there: -m imports from cwd
            old_cmd = ["env", f"PYTHONPATH={tree}", *cmd]
            contenders.append((old, with_load(lambda: run_timed(old_cmd, ok_codes=(0, 1),
                                                                cwd=tree))))
        alternate(contenders, args.rounds)
        code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=False, timeout=1800).returncode
        print(f"image validate: {blob_bytes / (1 << 20):.0f} MiB of blobs "
              f"({len(gz)} gzip layers), {args.rounds} alternating rounds after a warm-up")
        print(table([ours, two, one, *([old] if args.before else [])]))
        print("  " + ratio_line(ours, two, "(target <= 1.1)"))
        print("  " + ratio_line(ours, one, "(one-core baseline, for reference)"))
        if args.before:
            print("  " + ratio_line(old, two, "(the tree given with --before)"))
            print("  " + ratio_line(ours, old, "(this tree against --before)"))
        timed = loads[-len(contenders) * args.rounds:]
        print(f"  load average (1 min) at each run: min/median/max {min(timed):.1f}/"
              f"{statistics.median(timed):.1f}/{max(timed):.1f}")
        peak = ours.peak_mib()
        print(f"  validator peak RSS {peak:.0f} MiB (target < 150); exit code {code}"
              if peak is not None else f"  validator exit code {code}")
        print(machine_line())
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
