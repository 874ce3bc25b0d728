"""Images that judge consumers, not images: valid-but-unusual images a tool must accept,
malformed ones it must reject, layer stacks whose unpacked result is inspected, and
images whose runtime config.json (umoci unpack) is checked against conversion.md.

Unlike corpus.py (one broken clause per image, shared with the fixtures), a case here
names the consumer clauses it judges and what the tool must do:
  accept   the tool must succeed (it must not fail on what the image holds);
  reject   the tool must fail;
  apply    the tool must succeed and ``inspect(bundle)`` lists what is wrong in the result;
  convert  the tool must succeed and its config.json is judged by checks/image/conversion;
  apply-or-reject  failing is fine; succeeding is judged by ``inspect``;
  custom   the case drives the tool itself (``custom``) and says what it found per clause.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oci_conform.drivers.image_sources.build import (
    BASE_LAYER,
    Entry,
    ImageSpec,
    Json,
    dumps,
    write_layout,
)

ALL = ("skopeo-copy", "umoci-unpack")
UNPACKERS = ("umoci-unpack",)
COPIERS = ("skopeo-copy",)


@dataclass(frozen=True)
class ToolCase:
    """One image a tool is asked to read, and what it must do with it."""

    name: str
    clauses: tuple[str, ...]
    expect: str                                   # accept | reject | apply | convert
    make: Callable[[Path], Path]
    tools: tuple[str, ...] = ALL
    inspect: Callable[[Path, Path], list[str]] | None = None  # (image, work) -> problems
    # own commands instead of the column's: (exe, image, work) -> (last run, clause -> problems)
    custom: Callable[[str, Path, Path], tuple[Any, dict[str, list[str]]]] | None = None
    # "reject" cases: the same image without the fault, which the tool must accept
    control: Callable[[Path], Path] | None = None


def _layout(spec: ImageSpec | None = None, index_hook=None, after=None, multi=False):
    def make(root: Path) -> Path:
        write_layout(root, spec, index_hook, multi=multi)
        if after:
            after(root)
        return root
    return make


def _config(**changes) -> Callable[[Json], Json]:
    def hook(c: Json) -> Json:
        for k, v in changes.items():
            if k.startswith("config."):
                c.setdefault("config", {})[k[7:]] = v
            else:
                c[k] = v
        return c
    return hook


def _manifest(**changes) -> Callable[[Json], Json]:
    def hook(m: Json) -> Json:
        m.update(changes)
        return m
    return hook


def _unknown_config_type(root: Path) -> None:
    """Swap the config for opaque non-JSON bytes of an unknown media type."""
    _rewrite_manifest(root, lambda m, lay: m.update(config=lay(
        b"\x00\x01 not json", "application/vnd.example.settings.v1+bin")))


def _unknown_layer_type(root: Path) -> None:
    _rewrite_manifest(root, lambda m, lay: m["layers"].append(lay(
        b"opaque payload", "application/vnd.example.payload.v1")))


def _rewrite_manifest(root: Path, change) -> None:
    """Edit the tagged manifest in place and re-point index.json at it."""
    blobs = root / "blobs" / "sha256"

    def put(data: bytes, media_type: str) -> Json:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}
    index = json.loads((root / "index.json").read_bytes())
    entry = index["manifests"][0]
    old = blobs / entry["digest"][7:]
    manifest = json.loads(old.read_bytes())
    change(manifest, put)
    old.unlink()
    desc = put(dumps(manifest), entry["mediaType"])
    entry.update(digest=desc["digest"], size=desc["size"])
    (root / "index.json").write_bytes(dumps(index))


def _unknown_index_entry(index: Json) -> Json:
    data = b'{"kind":"example"}'
    index["manifests"].append({"mediaType": "application/vnd.example.catalog.v1+json",
                               "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                               "size": len(data),
                               "data": base64.b64encode(data).decode()})
    return index


def _store_unknown_entry_blob(root: Path) -> None:
    data = b'{"kind":"example"}'
    (root / "blobs/sha256" / hashlib.sha256(data).hexdigest()).write_bytes(data)


def _flip_layer_byte(root: Path) -> None:
    """Change one byte of a file's content in the (uncompressed) layer: same size, the tar
    stays valid, only the digest no longer matches."""
    index = json.loads((root / "index.json").read_bytes())
    manifest = json.loads((root / "blobs/sha256" / index["manifests"][0]["digest"][7:])
                          .read_bytes())
    path = root / "blobs/sha256" / manifest["layers"][0]["digest"][7:]
    data = path.read_bytes()
    at = data.index(b"echo hello")
    path.write_bytes(data[:at] + b"echo jello" + data[at + 10:])


def _rootfs_type(value: str) -> Callable[[Json], Json]:
    def hook(c: Json) -> Json:
        c["rootfs"]["type"] = value
        return c
    return hook


def _bump_layer_size(m: Json) -> Json:
    m["layers"][0]["size"] += 1
    return m


# --- layers whose unpacked result is inspected -------------------------------------------

WHITEOUT_LAYERS = [
    BASE_LAYER + [Entry("srv", "dir"), Entry("srv/old", data=b"old\n"),
                  Entry("etc/keep", data=b"keep\n")],
    [Entry("etc", "dir"), Entry("etc/.wh.motd"), Entry("srv", "dir"),
     Entry("srv/.wh..wh..opq"), Entry("srv/new", data=b"new\n")],
]


def _inspect_whiteouts(image: Path, work: Path) -> list[str]:
    root, problems = work / "bundle" / "rootfs", []
    if (root / "etc/motd").exists():
        problems.append("etc/motd is still there although the upper layer whites it out")
    if not (root / "etc/keep").exists():
        problems.append("etc/keep vanished although nothing removed it")
    if (root / "srv/old").exists():
        problems.append("srv/old survived the opaque whiteout of srv/")
    if not (root / "srv/new").exists():
        problems.append("srv/new (added next to the opaque whiteout) is missing")
    leftovers = [str(p.relative_to(root)) for p in root.rglob(".wh.*")]
    if leftovers:
        problems.append("whiteout entries are visible in the result: " + ", ".join(leftovers))
    return problems


CHANGE_LAYERS = [
    BASE_LAYER + [Entry("srv", "dir"), Entry("srv/file", data=b"one\n")],
    [Entry("srv", "dir", mode=0o700), Entry("etc", "dir"),
     Entry("etc/motd", data=b"replaced\n"), Entry("bin", "dir"),
     Entry("bin/hello", "symlink", link="/etc/motd")],
]


def _inspect_changes(image: Path, work: Path) -> list[str]:
    root, problems = work / "bundle" / "rootfs", []
    srv = root / "srv"
    if not srv.is_dir() or (srv.stat().st_mode & 0o777) != 0o700:
        problems.append("srv/ did not take the mode 0700 of the upper layer's folder entry")
    if not (srv / "file").exists():
        problems.append("srv/file vanished: a folder entry over a folder must keep its content")
    motd = root / "etc/motd"
    if not motd.is_file() or motd.read_bytes() != b"replaced\n":
        problems.append("etc/motd does not hold the upper layer's content")
    if not (root / "bin/hello").is_symlink():
        problems.append("bin/hello is not the upper layer's symlink (the file was not replaced)")
    return problems


def _inspect_base(image: Path, work: Path) -> list[str]:
    root = work / "bundle" / "rootfs"
    missing = [e.name for e in BASE_LAYER if not (root / e.name).exists()]
    return [f"missing after unpack: {', '.join(missing)}"] if missing else []


def _nested(count: int) -> Callable[[Path], Path]:
    """index.json -> an index (tagged latest) -> ``count`` linux/amd64 manifests."""
    def make(root: Path) -> Path:
        from oci_conform.drivers.image_sources.build import MT_INDEX, OciLayout, tag
        lay = OciLayout(root)
        inner = [lay.image(ImageSpec(layers=[BASE_LAYER + [Entry(f"etc/n{i}", data=b"%d" % i)]]))
                 for i in range(count)]
        nested = lay.blob(dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                                 "manifests": inner}), MT_INDEX)
        lay.finish([tag(nested, "latest")])
        return root
    return make


def _inspect_first_pick(image: Path, work: Path) -> list[str]:
    """The copy (skopeo: work/out) or the unpack (umoci: work/bundle) came from the first
    of two entries that both fit linux/amd64."""
    blobs = image / "blobs" / "sha256"
    index = json.loads((image / "index.json").read_bytes())
    nested = json.loads((blobs / index["manifests"][0]["digest"][7:]).read_bytes())
    first, second = (m["digest"] for m in nested["manifests"][:2])
    if (work / "bundle").is_dir():
        root = work / "bundle" / "rootfs" / "etc"
        if (root / "n0").exists() and not (root / "n1").exists():
            return []
        return ["the unpacked rootfs is not the first matching entry's (etc/n0 expected)"]
    out = work / "out"
    try:
        got = json.loads((out / "index.json").read_bytes())["manifests"]
    except (OSError, ValueError, KeyError) as exc:
        return [f"cannot read the copied layout: {exc}"]
    digests = {m.get("digest") for m in got}
    if first in digests:
        return []
    which = "the second entry" if second in digests else "neither entry"
    return [f"the copy holds {which}, not the first entry that fits the host ({first})"]


def _platform_variant(variant: str) -> Callable[[Json], Json]:
    def hook(index: Json) -> Json:
        index["manifests"][0]["platform"]["variant"] = variant
        return index
    return hook


def _tag_inner_only(root: Path) -> Path:
    """index.json -> an untagged index -> a manifest whose descriptor carries ref.name
    'latest': a tag in the wrong place, which readers must not honour."""
    from oci_conform.drivers.image_sources.build import MT_INDEX, OciLayout, tag
    lay = OciLayout(root)
    inner = tag(lay.image(ImageSpec()), "latest")
    nested = lay.blob(dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                             "manifests": [inner]}), MT_INDEX)
    lay.finish([tag(nested, "other")])
    return root


def _tag_outer(root: Path) -> Path:
    """The control of ``_tag_inner_only``: the same nesting, tagged where readers look."""
    from oci_conform.drivers.image_sources.build import MT_INDEX, OciLayout, tag
    lay = OciLayout(root)
    nested = lay.blob(dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                             "manifests": [lay.image(ImageSpec())]}), MT_INDEX)
    lay.finish([tag(nested, "latest")])
    return root


def _unknown_algorithm_entry(index: Json) -> Json:
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "digest": "xyz128:" + "ab" * 16, "size": 10,
                               "platform": {"architecture": "amd64", "os": "linux"}})
    return index


def _claim_index_type(m: Json) -> Json:
    """The manifest calls itself an index; the descriptor pointing at it says manifest."""
    m["mediaType"] = "application/vnd.oci.image.index.v1+json"
    return m


def _layer_type(media_type: str) -> Callable[[Json], Json]:
    def hook(m: Json) -> Json:
        m["layers"][0]["mediaType"] = media_type
        return m
    return hook


def _layer_urls(m: Json) -> Json:
    m["layers"][0]["urls"] = ["https://example.com/never-fetched.tar.gz"]
    return m


def _inspect_copy_keeps_bytes(image: Path, work: Path) -> list[str]:
    """skopeo: the copied layout holds the very same manifest, config and layer bytes."""
    out = work / "out"
    if not out.is_dir():
        return ["no copied layout to compare"]
    src = image / "blobs" / "sha256"
    index = json.loads((image / "index.json").read_bytes())
    want = index["manifests"][0]["digest"]
    try:
        got = [m.get("digest") for m in json.loads((out / "index.json").read_bytes())["manifests"]]
    except (OSError, ValueError, KeyError) as exc:
        return [f"cannot read the copied layout: {exc}"]
    if want not in got:
        return [f"the copy's manifest digest changed: {want} became {', '.join(map(str, got))}"]
    manifest = json.loads((src / want[7:]).read_bytes())
    missing = [d["digest"] for d in [manifest["config"], *manifest["layers"]]
               if not (out / "blobs/sha256" / d["digest"][7:]).is_file()]
    return [f"blobs missing from the copy: {', '.join(missing)}"] if missing else []


def _inspect_layer_kept(image: Path, work: Path) -> list[str]:
    """The layer that only carries urls was still used: copied (skopeo) or unpacked (umoci)."""
    if (work / "bundle").is_dir():
        return _inspect_base(image, work)
    return _inspect_copy_keeps_bytes(image, work)


def _umoci_insert_twice(exe: str, image: Path, work: Path) -> tuple[Any, dict[str, list[str]]]:
    """Pack the same folder into a layer twice with ``umoci insert`` (the umoci binary
    of the column): the two DiffIDs must match, and the blobs umoci writes are judged for
    canonical JSON."""
    from oci_conform.drivers.image_sources.tools import run
    src = work / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "file").write_bytes(b"same content\n")
    last = None
    for tag in ("first", "second"):
        last = run([exe, "insert", "--image", f"{image}:latest", "--tag", tag, str(src),
                    "/opt/packed"], timeout=60)
        if not last.ok:
            return last, {}
    blobs = image / "blobs" / "sha256"
    index = json.loads((image / "index.json").read_bytes())
    diff, raw = {}, []
    for m in index["manifests"]:
        name = (m.get("annotations") or {}).get("org.opencontainers.image.ref.name")
        if name in ("first", "second"):
            manifest_bytes = (blobs / m["digest"][7:]).read_bytes()
            manifest = json.loads(manifest_bytes)
            config_bytes = (blobs / manifest["config"]["digest"][7:]).read_bytes()
            diff[name] = json.loads(config_bytes)["rootfs"]["diff_ids"][-1]
            raw += [("manifest", manifest_bytes), ("config", config_bytes)]
    problems: dict[str, list[str]] = {"image.config.layer-diffid.1": [],
                                      "image.considerations.canonicalization.1": []}
    if len(diff) != 2:
        problems["image.config.layer-diffid.1"].append("umoci insert left no tagged results")
    elif diff["first"] != diff["second"]:
        problems["image.config.layer-diffid.1"].append(
            f"the same folder packed twice gave DiffIDs {diff['first']} and {diff['second']}")
    for what, data in raw:
        canonical = json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
        if data != canonical:
            problems["image.considerations.canonicalization.1"].append(
                f"the {what} umoci wrote is not canonical JSON (starts {data[:40]!r})")
            break
    return last, problems


def _skopeo_push_nondistributable(exe: str, image: Path, work: Path
                                  ) -> tuple[Any, dict[str, list[str]]]:
    """Push an image whose layer has a non-distributable media type to a throwaway local
    docker-registry; the layer blob must not be uploaded."""
    import requests

    from oci_conform.drivers.docker_registry import DockerRegistry, RegistryStartError
    from oci_conform.drivers.image_sources.tools import ToolRun, run
    clause = "image.layer.non-distributable-layers.3"
    try:
        registry = DockerRegistry().start()
    except (RegistryStartError, OSError) as exc:
        return ToolRun(["docker-registry"], -1, "", f"no local registry: {exc}"), {}
    try:
        host = registry.url.split("://", 1)[-1]
        last = run([exe, "--insecure-policy", "copy", "--dest-tls-verify=false",
                    f"oci:{image}:latest", f"docker://{host}/tools/nondist:1"], timeout=60)
        if not last.ok:
            return last, {}
        index = json.loads((image / "index.json").read_bytes())
        manifest = json.loads((image / "blobs/sha256" / index["manifests"][0]["digest"][7:])
                              .read_bytes())
        layer = manifest["layers"][0]["digest"]
        got = requests.head(f"{registry.url}/v2/tools/nondist/blobs/{layer}", timeout=10)
        problems = [f"the non-distributable layer {layer} was uploaded (HEAD {got.status_code})"
                    ] if got.status_code == 200 else []
        return last, {clause: problems}
    except (OSError, ValueError, requests.RequestException) as exc:
        return ToolRun(["HEAD blob"], -1, "", str(exc)), {}
    finally:
        registry.stop()
        registry.cleanup()


def _umoci_repack_volume(exe: str, image: Path, work: Path
                         ) -> tuple[Any, dict[str, list[str]]]:
    """Unpack an image with Config.Volumes /data, write into /data and /etc, repack: the new
    layer must hold the /etc change but none of the volume's data."""
    import tarfile

    from oci_conform.drivers.image_sources.tools import run
    bundle = work / "bundle"
    last = run([exe, "unpack", "--image", f"{image}:latest", str(bundle)], timeout=60)
    if not last.ok:
        return last, {}
    (bundle / "rootfs/data").mkdir(parents=True, exist_ok=True)
    (bundle / "rootfs/data/app.db").write_bytes(b"application data\n")
    (bundle / "rootfs/etc/added").write_bytes(b"a real change\n")
    last = run([exe, "repack", "--image", f"{image}:repacked", str(bundle)], timeout=60)
    if not last.ok:
        return last, {}
    blobs = image / "blobs" / "sha256"
    index = json.loads((image / "index.json").read_bytes())
    entry = next(m for m in index["manifests"] if (m.get("annotations") or {}).get(
        "org.opencontainers.image.ref.name") == "repacked")
    manifest = json.loads((blobs / entry["digest"][7:]).read_bytes())
    with tarfile.open(blobs / manifest["layers"][-1]["digest"][7:]) as tar:
        names = {n.lstrip("./") for n in tar.getnames()}
    problems = []
    if "etc/added" not in names:
        problems.append("the repacked layer lacks etc/added: the repack did not capture changes")
    leaked = sorted(n for n in names if n == "data/app.db")
    if leaked:
        problems.append("data under the Config.Volumes path went into the new image: "
                        + ", ".join(leaked))
    return last, {"image.conversion.optional-fields.6": problems}


def _data_disagrees(m: Json) -> Json:
    """layers[0] embeds data that is a different (valid) layer: its digest and size no
    longer describe it. The real blob is in the layout."""
    from oci_conform.drivers.image_sources.build import compress, tar_bytes
    other = compress(tar_bytes([Entry("etc", "dir"), Entry("etc/motd", data=b"from-data\n")]),
                     "gzip")
    m["layers"][0]["data"] = base64.b64encode(other).decode()
    return m


def _inspect_data_not_trusted(image: Path, work: Path) -> list[str]:
    """Succeeding is fine only when the content came from the blob, not the bad data."""
    motd = work / "bundle" / "rootfs" / "etc" / "motd"
    if (work / "bundle").is_dir():
        return ["the unpacked etc/motd came from the data field that does not match the "
                "digest"] if motd.is_file() and motd.read_bytes() == b"from-data\n" else []
    out = work / "out"
    index = json.loads((image / "index.json").read_bytes())
    manifest = json.loads((image / "blobs/sha256" / index["manifests"][0]["digest"][7:])
                          .read_bytes())
    layer = manifest["layers"][0]["digest"]
    blob = out / "blobs/sha256" / layer[7:]
    if blob.is_file() and blob.read_bytes() != (image / "blobs/sha256" / layer[7:]).read_bytes():
        return ["the copy stored other bytes under the layer digest"]
    return []


# --- conversion (config.json) ------------------------------------------------------------

ETC = [Entry("etc", "dir"),
       Entry("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"
                                b"alice:x:1234:2345::/home/alice:/bin/sh\n"),
       Entry("etc/group", data=b"root:x:0:\nalice:x:2345:\nstaff:x:3000:alice\n"
                               b"video:x:3001:bob,alice\n")]
USER_LAYERS = [BASE_LAYER + ETC[1:]]

FULL_CONFIG = _config(
    author="Ann Example", variant="v2", **{"os.version": "6.1", "os.features": ["sse4"]},
    **{"config.Env": ["PATH=/bin", "GREETING=hello world"],
       "config.Entrypoint": ["/bin/hello", "--loud"], "config.Cmd": ["one", "two"],
       "config.WorkingDir": "/srv", "config.User": "1000:1001",
       "config.ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
       "config.Volumes": {"/data": {}},
       "config.Labels": {"com.example.team": "blue"}, "config.StopSignal": "SIGUSR1"})
OVERRIDE_CONFIG = _config(**{
    "config.Labels": {"org.opencontainers.image.os": "custom-os",
                      "org.opencontainers.image.stopSignal": "SIGINT",
                      "com.example.keep": "  spaced value  "},
    "config.StopSignal": "SIGTERM", "config.Cmd": ["/bin/hello"]})

CONVERSION = ("image.conversion.to-oci-runtime-configuration.1",)   # plus what is touched


def _conv(name: str, hook, layers=None, manifest_hook=None) -> ToolCase:
    from oci_conform.checks.image import declarations
    judged = next(d.clauses for d in declarations() if d.name == "image:conversion")
    return ToolCase(name, tuple(sorted(judged)), "convert",
                    _layout(ImageSpec(layers=layers or [BASE_LAYER], config_hook=hook,
                                      manifest_hook=manifest_hook)), UNPACKERS)


def cases() -> list[ToolCase]:
    return [
        ToolCase("plain-image", ("image.manifest.image-manifest-property-descriptions.12",
                                 "image.image-index.property-descriptions.10",
                                 "image.config.properties.46",
                                 "image.manifest.image-manifest-property-descriptions.21",
                                 "image.media-types.media-type-conflicts.4"),
                 "accept", _layout()),
        ToolCase("uncompressed-layers",
                 ("image.manifest.image-manifest-property-descriptions.21",), "accept",
                 _layout(ImageSpec(compression="none"))),
        ToolCase("zstd-layers", ("image.manifest.image-manifest-property-descriptions.23",),
                 "accept", _layout(ImageSpec(compression="zstd"))),
        ToolCase("nested-index", ("image.image-index.property-descriptions.11",
                                  "image.image-index.oci-image-index-specification.1"),
                 "accept", _nested(1)),
        ToolCase("index-two-host-matches", ("image.image-index.property-descriptions.28",),
                 "apply", _nested(2), ALL,
                 _inspect_first_pick),
        ToolCase("config-unknown-fields", ("image.config.properties.45",
                                           "image.considerations.extensibility.2"),
                 "accept", _layout(ImageSpec(config_hook=_config(
                     **{"com.example.extra": {"a": 1}, "config.ExampleSetting": True})))),
        ToolCase("config-null-optional", ("image.config.properties.1",), "accept",
                 _layout(ImageSpec(config_hook=_config(author=None, **{
                     "config.WorkingDir": None, "config.Labels": None})))),
        ToolCase("annotation-unknown-keys", ("image.annotations.rules.8",), "accept",
                 _layout(ImageSpec(manifest_hook=_manifest(annotations={
                     "com.example.unheard.of": "x", "org.example.other": ""})))),
        ToolCase("artifacttype-unknown",
                 ("image.manifest.image-manifest-property-descriptions.8",), "accept",
                 _layout(ImageSpec(manifest_hook=_manifest(
                     artifactType="application/vnd.example.never.seen.v1")))),
        ToolCase("index-json-unknown-entry", ("image.image-layout.indexjson-file.3",
                                              "image.image-index.property-descriptions.14"),
                                              "accept",
                 _layout(index_hook=_unknown_index_entry, after=_store_unknown_entry_blob)),
        ToolCase("config-unknown-media-type",
                 ("image.manifest.image-manifest-property-descriptions.10",
                  "image.manifest.image-manifest-property-descriptions.11"), "accept",
                 _layout(after=_unknown_config_type), COPIERS),
        ToolCase("layer-unknown-media-type",
                 ("image.manifest.image-manifest-property-descriptions.24",), "accept",
                 _layout(after=_unknown_layer_type), COPIERS),
        ToolCase("layer-digest-mismatch", ("image.descriptor.sha-256.1",
                                           "image.descriptor.properties.4"), "reject",
                 _layout(ImageSpec(compression="none"), after=_flip_layer_byte),
                 control=_layout(ImageSpec(compression="none"))),
        ToolCase("layer-size-mismatch", ("image.descriptor.properties.6",), "reject",
                 _layout(ImageSpec(manifest_hook=_bump_layer_size)), control=_layout()),
        ToolCase("rootfs-type-unknown", ("image.config.properties.37",), "reject",
                 _layout(ImageSpec(config_hook=_rootfs_type("tarballs"))), UNPACKERS,
                 control=_layout(ImageSpec(config_hook=_rootfs_type("layers")))),
        ToolCase("whiteouts-applied", ("image.layer.whiteouts.1", "image.layer.opaque-whiteout.1",
                                       "image.manifest.image-manifest-property-descriptions.20"),
                                       "apply",
                 _layout(ImageSpec(layers=WHITEOUT_LAYERS)), UNPACKERS, _inspect_whiteouts),
        ToolCase("changes-over-existing", ("image.layer.changeset-over-existing-files.1",
                                           "image.layer.changeset-over-existing-files.2"),
                 "apply", _layout(ImageSpec(layers=CHANGE_LAYERS)), UNPACKERS,
                 _inspect_changes),
        ToolCase("base-layer-first", ("image.manifest.image-manifest-property-descriptions.20",),
                 "apply", _layout(), UNPACKERS,
                 _inspect_base),
        ToolCase("platform-values", ("image.config.properties.5-b",
                                     "image.config.properties.15-b",
                                     "image.image-index.property-descriptions.18-b",
                                     "image.image-index.property-descriptions.27-b"),
                 "accept", _layout(ImageSpec(architecture="arm64",
                                             config_hook=_config(variant="v8")),
                                   index_hook=_platform_variant("v8"))),
        # Copiers only: an unpacker making a Linux bundle may refuse another OS knowingly.
        ToolCase("os-values", ("image.config.properties.7-b",
                               "image.image-index.property-descriptions.20-b"), "accept",
                 _layout(ImageSpec(os="freebsd")), COPIERS),
        ToolCase("unknown-digest-algorithm", ("image.descriptor.digests.3",), "accept",
                 _layout(index_hook=_unknown_algorithm_entry)),
        ToolCase("media-type-conflict", ("image.media-types.media-type-conflicts.5",),
                 "accept", _layout(ImageSpec(manifest_hook=_claim_index_type))),
        ToolCase("ref-name-inside-nested-index", ("image.image-layout.index-example.1",),
                 "reject", _tag_inner_only, control=_tag_outer),
        ToolCase("copy-keeps-bytes", ("image.considerations.extensibility.1",
                                      "image.descriptor.embedded-content.2"),
                 "apply", _layout(), COPIERS, _inspect_copy_keeps_bytes),
        ToolCase("nondistributable-layer", (
                     "image.layer.non-distributable-layers.3-b",
                     "image.manifest.image-manifest-property-descriptions.21"), "accept",
                 _layout(ImageSpec(manifest_hook=_layer_type(
                     "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")))),
        ToolCase("layer-with-urls", ("image.layer.non-distributable-layers.4",), "apply",
                 _layout(ImageSpec(manifest_hook=_layer_urls)), ALL, _inspect_layer_kept),
        ToolCase("pack-same-folder-twice", ("image.config.layer-diffid.1",
                                            "image.considerations.canonicalization.1"),
                 "custom", _layout(), UNPACKERS, custom=_umoci_insert_twice),
        ToolCase("push-nondistributable-layer", ("image.layer.non-distributable-layers.3",),
                 "custom", _layout(ImageSpec(manifest_hook=_layer_type(
                     "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))),
                 COPIERS, custom=_skopeo_push_nondistributable),
        ToolCase("repack-skips-volume-data", ("image.conversion.optional-fields.6",), "custom",
                 _layout(ImageSpec(config_hook=_config(**{"config.Volumes": {"/data": {}}}))),
                 UNPACKERS, custom=_umoci_repack_volume),
        ToolCase("data-field-disagrees", ("image.descriptor.properties.14-b",), "apply-or-reject",
                 _layout(ImageSpec(manifest_hook=_data_disagrees)), ALL,
                 _inspect_data_not_trusted),
        _conv("convert-fields", FULL_CONFIG,
              manifest_hook=_manifest(annotations={"com.example.from-manifest": "m"})),
        _conv("convert-label-precedence", OVERRIDE_CONFIG),
        _conv("convert-named-user", _config(**{"config.User": "alice"}), USER_LAYERS),
        _conv("convert-user-and-group-names", _config(**{"config.User": "alice:staff"}),
              USER_LAYERS),
        ToolCase("convert-unknown-user", ("image.conversion.configuser.7",), "reject",
                 _layout(ImageSpec(layers=USER_LAYERS,
                                   config_hook=_config(**{"config.User": "nobody-here"}))),
                 UNPACKERS,
                 control=_layout(ImageSpec(layers=USER_LAYERS,
                                           config_hook=_config(**{"config.User": "alice"})))),
    ]


def clause_ids() -> frozenset[str]:
    return frozenset(c for case in cases() for c in case.clauses)


def image_documents(root: Path) -> tuple[Json, Json]:
    """The tagged image's config and manifest in a layout we wrote (single image)."""
    blobs = root / "blobs" / "sha256"
    index = json.loads((root / "index.json").read_bytes())
    manifest = json.loads((blobs / index["manifests"][0]["digest"][7:]).read_bytes())
    config = json.loads((blobs / manifest["config"]["digest"][7:]).read_bytes())
    return config, manifest
