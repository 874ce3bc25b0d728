"""Conversions the image tools offer between formats, each from an image the toolkit writes
itself (so the input is known to be whole) to the tool's output, which the image checks
then judge like any other image.

Each conversion is a ``Conversion``: a column name, the format its output is judged as (a
row of ``suites/image_formats.ROWS``), the tools it needs, and ``make(folder)`` that writes
the input, runs the tool(s) and returns ``Made``: the output's reference for ``image
validate``, or why there is none, with every tool call as evidence.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:    # the table is read at start-up; the tools and writers load when used
    from oci_conform.drivers.image_sources.tools import ToolRun


@dataclass
class Made:
    """The output of one conversion: its reference (or '' and why), and the tool calls."""

    ref: str
    why: str = ""
    runs: list[ToolRun] = field(default_factory=list)
    source: str = ""          # the reference of the toolkit's own input image


@dataclass(frozen=True)
class Conversion:
    """One image conversion a tool can make, and the format its output is judged by."""

    name: str
    output: str               # the format row the output is judged by
    needs: tuple[str, ...]
    make: Callable[[Path], Made]
    doc: str


def _done(runs: list[ToolRun], ref: str, source: str) -> Made:
    bad = next((r for r in runs if not r.ok), None)
    if bad is not None:
        return Made("", f"{' '.join(bad.argv[:4])}: exit {bad.exit}: {bad.stderr[-300:]}",
                    runs, source)
    return Made(ref, "", runs, source)


def _skopeo_copy(source: str, dest: str, *flags: str) -> ToolRun:
    from oci_conform.drivers.image_sources.tools import skopeo
    return skopeo("copy", *flags, source, dest)


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def oci_to_docker_archive(folder: Path) -> Made:
    from oci_conform.drivers.image_sources.build import write_layout
    src = write_layout(_fresh(folder) / "src")
    out = folder / "out.tar"
    runs = [_skopeo_copy(f"oci:{src}:latest", f"docker-archive:{out}:example/app:1")]
    return _done(runs, f"docker-archive:{out}", f"oci:{src}")


def docker_archive_to_oci(folder: Path, *flags: str) -> Made:
    from oci_conform.drivers.image_sources.build import write_docker_archive
    src = write_docker_archive(_fresh(folder) / "src.tar")
    out = folder / "out"
    runs = [_skopeo_copy(f"docker-archive:{src}", f"oci:{out}:latest", *flags)]
    return _done(runs, f"oci:{out}", f"docker-archive:{src}")


def oci_to_oci_archive(folder: Path) -> Made:
    from oci_conform.drivers.image_sources.build import write_layout
    src = write_layout(_fresh(folder) / "src")
    out = folder / "out.tar"
    runs = [_skopeo_copy(f"oci:{src}:latest", f"oci-archive:{out}:latest")]
    return _done(runs, f"oci-archive:{out}", f"oci:{src}")


def oci_archive_to_oci(folder: Path) -> Made:
    """The toolkit's layout packed as an oci-archive (a plain tar of the folder), then
    ``skopeo copy oci-archive: oci:``."""
    from oci_conform.drivers.engines import oci_archive_of_layout
    from oci_conform.drivers.image_sources.build import write_layout
    src = oci_archive_of_layout(write_layout(_fresh(folder) / "layout"), folder / "src.tar")
    out = folder / "out"
    runs = [_skopeo_copy(f"oci-archive:{src}:latest", f"oci:{out}:latest")]
    return _done(runs, f"oci:{out}", f"oci-archive:{src}")


def oci_via_dir(folder: Path) -> Made:
    """skopeo's own ``dir:`` format both ways: oci -> dir -> oci; the final layout is judged
    (a dir has no format of its own that the image checks know)."""
    from oci_conform.drivers.image_sources.build import write_layout
    src = write_layout(_fresh(folder) / "src")
    plain, out = folder / "dir", folder / "out"
    runs = [_skopeo_copy(f"oci:{src}:latest", f"dir:{plain}")]
    if runs[-1].ok:
        runs.append(_skopeo_copy(f"dir:{plain}", f"oci:{out}:latest"))
    return _done(runs, f"oci:{out}", f"oci:{src}")


def docker_archive_via_dir(folder: Path) -> Made:
    """docker-archive -> dir -> docker-archive; the final archive is judged."""
    from oci_conform.drivers.image_sources.build import write_docker_archive
    src = write_docker_archive(_fresh(folder) / "src.tar")
    plain, out = folder / "dir", folder / "out.tar"
    runs = [_skopeo_copy(f"docker-archive:{src}", f"dir:{plain}")]
    if runs[-1].ok:
        runs.append(_skopeo_copy(f"dir:{plain}", f"docker-archive:{out}:example/app:1"))
    return _done(runs, f"docker-archive:{out}", f"docker-archive:{src}")


def umoci_repack(folder: Path) -> Made:
    """umoci unpack of the toolkit's layout, one file added and one removed in the rootfs,
    then umoci repack: the repacked layout (a new layer with a whiteout) is judged."""
    from oci_conform.drivers.image_sources import tools as T
    from oci_conform.drivers.image_sources.build import write_layout
    umoci = T.which("umoci") or "umoci"
    src = write_layout(_fresh(folder) / "layout")
    bundle = folder / "bundle"
    runs = [T.run([umoci, "unpack", "--image", f"{src}:latest", str(bundle)])]
    if runs[-1].ok:
        rootfs = bundle / "rootfs"
        (rootfs / "etc" / "added").write_text("added by the test\n")
        gone = rootfs / "etc" / "motd"
        if gone.exists():
            gone.unlink()
        runs.append(T.run([umoci, "repack", "--image", f"{src}:latest", str(bundle)]))
    shutil.rmtree(bundle, ignore_errors=True)
    return _done(runs, f"oci:{src}", f"oci:{src} (before repack)")


def actool_patch_manifest(folder: Path) -> Made:
    """actool patch-manifest: an ACI copied with its exec, user and group replaced."""
    from oci_conform.drivers.image_sources import tools as T
    from oci_conform.drivers.image_sources.build import write_aci
    exe = T.actool_path() or "actool"
    src = write_aci(_fresh(folder) / "src.aci")
    out = folder / "out.aci"
    runs = [T.run([exe, "patch-manifest", "--exec=/bin/sh -c true", "--user=1000",
                   "--group=1000", str(src), str(out)])]
    if runs[-1].ok:
        runs.append(T.run([exe, "validate", str(out)]))
    return _done(runs, f"aci:{out}", f"aci:{src}")


CONVERSIONS: tuple[Conversion, ...] = (
    Conversion("skopeo-oci-to-docker-archive", "docker-archive", ("skopeo",),
               oci_to_docker_archive, "skopeo copy oci: docker-archive:"),
    Conversion("skopeo-docker-archive-to-oci", "oci-layout", ("skopeo",),
               docker_archive_to_oci, "skopeo copy docker-archive: oci:"),
    Conversion("skopeo-docker-archive-to-oci-uncompressed", "oci-layout", ("skopeo",),
               lambda f: docker_archive_to_oci(f, "--dest-oci-accept-uncompressed-layers"),
               "skopeo copy --dest-oci-accept-uncompressed-layers docker-archive: oci:"),
    Conversion("skopeo-oci-to-oci-archive", "oci-layout", ("skopeo",), oci_to_oci_archive,
               "skopeo copy oci: oci-archive:"),
    Conversion("skopeo-oci-archive-to-oci", "oci-layout", ("skopeo",), oci_archive_to_oci,
               "skopeo copy oci-archive: oci:"),
    Conversion("skopeo-oci-via-dir", "oci-layout", ("skopeo",), oci_via_dir,
               "skopeo copy oci: dir:, then dir: oci:"),
    Conversion("skopeo-docker-archive-via-dir", "docker-archive", ("skopeo",),
               docker_archive_via_dir, "skopeo copy docker-archive: dir:, then dir: "
               "docker-archive:"),
    Conversion("umoci-repack", "oci-layout", ("umoci",), umoci_repack,
               "umoci unpack, a file added and one removed, umoci repack"),
    Conversion("actool-patch-manifest", "appc-aci", ("actool",), actool_patch_manifest,
               "actool patch-manifest --exec --user --group"),
)
BY_NAME = {c.name: c for c in CONVERSIONS}
