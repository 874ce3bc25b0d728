"""Registry clients as processes the client suite drives: skopeo, podman, buildah, ``ctr``
(containerd started here), the Docker CLI (a dockerd started here), the ORAS Python client,
or any command with the script command line
(``CMD push|pull|tags|referrer REF [--user U --password P] ...``).

Every client works on state of its own under the work folder it is given: podman and
buildah a store made by ``drivers.engines.EngineStore`` (a fresh store for each pull, so no
blob is found locally and skipped), containerd a daemon of its own (a fresh namespace for
each pull), Docker a daemon of its own (every image removed after each push and pull),
skopeo and ORAS plain folders. Each call has a deadline and returns a
``ToolRun``; nothing here judges.
"""
from __future__ import annotations

import itertools
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from oci_conform.drivers.image_sources.tools import ToolRun, run, tool_version, which

if TYPE_CHECKING:
    from oci_conform.drivers.dockerd import Dockerd

TIMEOUT = 120
CLIENTS = ("skopeo", "podman", "buildah", "ctr", "docker", "oras")
# What each client can do from its command line (a scenario a client does not offer is n/a).
OFFERS = {
    "skopeo": frozenset({"push", "push-large", "pull", "tags"}),
    "podman": frozenset({"push", "push-large", "pull", "tags"}),
    "buildah": frozenset({"push", "push-large", "pull"}),
    "ctr": frozenset({"push", "push-large", "pull"}),
    # Docker 20.10 lists no tags, and pushes only manifests it builds itself from its own
    # store, which cannot take an OCI layout: no padded 4 MB manifest to push
    "docker": frozenset({"push", "pull"}),
    "oras": frozenset({"push", "push-large", "push-chunked", "pull", "tags", "referrer"}),
    "script": frozenset({"push", "push-large", "push-chunked", "pull", "tags", "referrer"}),
}
CHUNKED_BLOB = 3 * 1024 * 1024   # bytes of the blob a chunked push sends
CHUNK = 1024 * 1024              # the chunk size asked of clients that take one
LARGE_MANIFEST = 4_000_000     # bytes of the large manifest ("at least 4 MB"; under 4 MiB)
PADDING_KEY = "org.example.padding"


@dataclass(frozen=True)
class Creds:
    """A user name and password for one registry."""

    user: str
    password: str


class ClientError(RuntimeError):
    """The client could not be prepared here (the message says why)."""


@dataclass
class Client:
    """One client: ``prepare`` once, then push/pull/tags/referrer, ``close`` at the end."""

    name: str
    kind: str                        # a key of OFFERS
    work: Path
    command: str = ""                # script clients: the command; others: the binary
    timeout: int = TIMEOUT           # seconds per call (the runner shortens it for faults)
    _count: itertools.count = field(default_factory=itertools.count)

    @property
    def offers(self) -> frozenset[str]:
        return OFFERS[self.kind]

    def _fresh(self, what: str) -> Path:
        folder = self.work / f"{what}-{next(self._count)}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def prepare(self) -> None:
        """Build what the client pushes (raises ClientError): a small image, and the same
        image with a manifest padded by an annotation to :data:`LARGE_MANIFEST` bytes."""
        from oci_conform.drivers.image_sources.build import ImageSpec, write_layout
        self.work.mkdir(parents=True, exist_ok=True)
        self.layout = write_layout(self.work / "source")
        self.large = write_layout(self.work / "large", ImageSpec(manifest_hook=_pad))

    def push(self, ref: str, creds: Creds | None) -> ToolRun:
        raise NotImplementedError

    def push_large(self, ref: str, creds: Creds | None) -> ToolRun:
        raise NotImplementedError

    def push_chunked(self, ref: str, creds: Creds | None) -> ToolRun:
        """Push a blob of :data:`CHUNKED_BLOB` bytes in PATCH chunks (clients that can)."""
        raise NotImplementedError

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        raise NotImplementedError

    def tags(self, repo: str, creds: Creds | None) -> ToolRun:
        raise NotImplementedError

    def referrer(self, ref: str, subject: dict[str, object], creds: Creds | None) -> ToolRun:
        raise NotImplementedError

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def _pad(manifest: dict) -> dict:
    """``manifest`` with an annotation that makes its JSON :data:`LARGE_MANIFEST` bytes."""
    import json
    base = len(json.dumps({**manifest, "annotations": {PADDING_KEY: ""}},
                          separators=(",", ":")).encode())
    return {**manifest, "annotations": {PADDING_KEY: "x" * (LARGE_MANIFEST - base)}}


def _creds(flag: str, creds: Creds | None) -> list[str]:
    return [flag, f"{creds.user}:{creds.password}"] if creds else []


class Skopeo(Client):
    def push(self, ref: str, creds: Creds | None, layout: Path | None = None) -> ToolRun:
        return run([self.command, "--insecure-policy", "copy", "--dest-tls-verify=false",
                    *_creds("--dest-creds", creds), f"oci:{layout or self.layout}:latest",
                    f"docker://{ref}"], timeout=self.timeout)

    def push_large(self, ref: str, creds: Creds | None) -> ToolRun:
        return self.push(ref, creds, self.large)

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        out = self._fresh("pull")
        return run([self.command, "--insecure-policy", "copy", "--src-tls-verify=false",
                    *_creds("--src-creds", creds), f"docker://{ref}", f"oci:{out}:pulled"],
                   timeout=self.timeout)

    def tags(self, repo: str, creds: Creds | None) -> ToolRun:
        return run([self.command, "list-tags", "--tls-verify=false", *_creds("--creds", creds),
                    f"docker://{repo}"], timeout=self.timeout)


class Engine(Client):
    """podman or buildah: the image lives in a store of its own; each pull a fresh store."""

    def prepare(self) -> None:
        from oci_conform.drivers.engines import EngineStore
        super().prepare()
        self.store = EngineStore(self.work / "store")
        # podman and buildah name an image pulled from oci:PATH after PATH, which must then
        # be a valid reference: copies under a folder whose name is plain lower-case hex
        import secrets
        self.plain = Path(tempfile.gettempdir()) / f"oc-src-{secrets.token_hex(6)}"
        self.image = self._load(self.layout)

    def _load(self, layout: Path) -> str:
        copy = self.plain / layout.name
        shutil.copytree(layout, copy)
        loaded = self._tool(self.store, "pull", f"oci:{copy}:latest")
        if not loaded.ok:
            raise ClientError(f"cannot load the source image into {self.kind}'s store: "
                              f"{loaded.stderr.strip()[-300:]}")
        return (loaded.stdout.strip().splitlines() or [""])[-1]

    def _tool(self, store, *args: str) -> ToolRun:
        if self.kind == "podman":
            return store.podman(*args, timeout=self.timeout)
        return store.buildah(*args, timeout=self.timeout)

    def push(self, ref: str, creds: Creds | None, image: str = "") -> ToolRun:
        return self._tool(self.store, "push", "--tls-verify=false", *_creds("--creds", creds),
                          image or self.image, f"docker://{ref}")

    def push_large(self, ref: str, creds: Creds | None) -> ToolRun:
        large = self._load(self.large)      # loaded when first asked (raises ClientError)
        return self.push(ref, creds, large)

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        from oci_conform.drivers.engines import EngineStore
        store = EngineStore(self._fresh("pull"))
        try:
            return self._tool(store, "pull", "--tls-verify=false", *_creds("--creds", creds),
                              f"docker://{ref}")
        finally:
            store.cleanup()

    def tags(self, repo: str, creds: Creds | None) -> ToolRun:
        return self.store.podman("search", "--list-tags", "--tls-verify=false",
                                 *_creds("--creds", creds), repo, timeout=self.timeout)

    def close(self) -> None:
        store = getattr(self, "store", None)
        if store is not None:
            store.cleanup()
        if hasattr(self, "plain"):
            shutil.rmtree(self.plain, ignore_errors=True)
        super().close()


class Ctr(Client):
    """containerd's ``ctr`` against a containerd of our own (stopped by ``close``)."""

    SOURCE = "localhost/oci-conform-source:latest"
    LARGE = "localhost/oci-conform-large:latest"

    def prepare(self) -> None:
        from oci_conform.drivers.engines import Containerd, ContainerdError
        super().prepare()
        try:
            self.daemon = Containerd(self.work / "containerd").start()
        except (ContainerdError, OSError) as exc:
            raise ClientError(f"cannot start containerd: {exc}") from None
        loaded = self._import(self.layout, self.SOURCE)
        if not loaded.ok:
            raise ClientError(f"ctr images import failed: {loaded.stderr.strip()[-300:]}")

    def _import(self, layout: Path, name: str) -> ToolRun:
        from oci_conform.drivers.engines import oci_archive_of_layout
        archive = oci_archive_of_layout(layout, self.work / f"{layout.name}.tar")
        return self.daemon.ctr("images", "import", "--no-unpack", "--base-name",
                               name.rsplit(":", 1)[0], str(archive))

    def _ctr(self, namespace: str, *args: str) -> ToolRun:
        return run([self.command, "--address", str(self.daemon.socket), "--namespace",
                    namespace, *args], timeout=self.timeout)

    def push_large(self, ref: str, creds: Creds | None) -> ToolRun:
        loaded = self._import(self.large, self.LARGE)     # imported when first asked
        if not loaded.ok:
            raise ClientError(f"ctr images import failed: {loaded.stderr.strip()[-300:]}")
        return self.push(ref, creds, self.LARGE)

    def push(self, ref: str, creds: Creds | None, source: str = "") -> ToolRun:
        tagged = self._ctr("oci-conform", "images", "tag", "--force", source or self.SOURCE, ref)
        if not tagged.ok:
            return tagged
        return self._ctr("oci-conform", "images", "push", "--plain-http",
                         *_creds("--user", creds), ref)

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        namespace = self._fresh("ns").name
        return self._ctr(namespace, "images", "pull", "--plain-http", "--snapshotter", "native",
                         *_creds("--user", creds), ref)

    def close(self) -> None:
        daemon = getattr(self, "daemon", None)
        if daemon is not None:
            daemon.stop()
        super().close()


class DockerCli(Client):
    """Debian's ``/usr/bin/docker`` against dockerds of our own (``drivers/dockerd.py``).

    Docker 20.10 cannot read an OCI layout, so what it pushes is a busybox image it imported
    itself, saved once as a docker-archive: each push loads it into the column's daemon, tags
    it and pushes, and all images are removed after. Each pull gets a fresh daemon, stopped
    after: dockerd 20.10 keeps every manifest it fetched in a cache of its own that removing
    images does not empty, and a pull served from it never asks the registry. Credentials go
    through ``docker login --password-stdin`` into each daemon's ``DOCKER_CONFIG`` folder
    under the work folder (never ``~/.docker``)."""

    SOURCE = "oci-conform-busybox:latest"

    def prepare(self) -> None:
        from oci_conform.drivers.bundle import BundleError
        self.work.mkdir(parents=True, exist_ok=True)
        self.daemon = self._daemon(self.work / "dockerd")
        try:
            made = self.daemon.import_busybox(self.SOURCE)
        except (BundleError, OSError) as exc:
            raise ClientError(f"cannot build the busybox image: {exc}") from None
        if not made.ok:
            raise ClientError(f"docker import failed: {made.stderr.strip()[-300:]}")
        self.archive = self.work / "source.tar"
        saved = self.daemon.docker("save", "-o", str(self.archive), self.SOURCE)
        if not saved.ok:
            raise ClientError(f"docker save failed: {saved.stderr.strip()[-300:]}")
        self._clear()

    def _daemon(self, folder: Path) -> Dockerd:
        """A started dockerd in ``folder`` (raises ClientError)."""
        from oci_conform.drivers.dockerd import Dockerd, DockerdError
        # loopback registries are plain http (20.10 allows 127.0.0.0/8 anyway: said outright)
        daemon = Dockerd(folder, insecure_registries=["127.0.0.0/8"])
        try:
            return daemon.start()
        except (DockerdError, OSError) as exc:
            daemon.stop()
            raise ClientError(f"cannot start dockerd: {exc}") from None

    def _clear(self) -> None:
        """Remove every image of the column's daemon."""
        listed = self.daemon.docker("images", "-aq", timeout=self.timeout)
        ids = sorted(set(listed.stdout.split())) if listed.ok else []
        if ids:
            self.daemon.docker("rmi", "-f", *ids, timeout=self.timeout)

    def _login(self, daemon: Dockerd, ref: str, creds: Creds | None) -> ToolRun | None:
        """``docker login`` to the registry of ``ref``: the run if it failed, else None."""
        if creds is None:
            return None
        done = daemon.docker("login", ref.split("/", 1)[0], "--username", creds.user,
                             "--password-stdin", stdin=creds.password, timeout=self.timeout)
        return None if done.ok else done

    def push(self, ref: str, creds: Creds | None) -> ToolRun:
        refused = self._login(self.daemon, ref, creds)
        if refused is not None:
            return refused
        loaded = self.daemon.docker("load", "-i", str(self.archive), timeout=self.timeout)
        tagged = self.daemon.docker("tag", self.SOURCE, ref) if loaded.ok else loaded
        if not tagged.ok:
            raise ClientError(f"cannot load the source image: {tagged.stderr.strip()[-300:]}")
        try:
            return self.daemon.docker("push", ref, timeout=self.timeout)
        finally:
            self._clear()

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        daemon = self._daemon(self._fresh("pull") / "dockerd")
        try:
            refused = self._login(daemon, ref, creds)
            return refused or daemon.docker("pull", ref, timeout=self.timeout)
        finally:
            daemon.stop()

    def close(self) -> None:
        daemon = getattr(self, "daemon", None)
        if daemon is not None:
            daemon.stop()
        super().close()


# The ORAS Python client, one process per call: argv[1] is the operation.
_ORAS = r"""
import json, os, sys
import oras.client, oras.oci
op, ref, user, password, out, subject = sys.argv[1:7]
host = ref.split("/", 1)[0]
backend = "token"
if user:   # oras-py's default (token) backend cannot answer a Basic challenge: pick by it
    import requests
    challenge = requests.get(f"http://{host}/v2/", timeout=30).headers.get("WWW-Authenticate")
    backend = "basic" if (challenge or "").lower().startswith("basic") else "token"
client = oras.client.OrasClient(hostname=host, insecure=True, auth_backend=backend)
if user:
    client.auth.set_basic_auth(user, password)
os.chdir(out)
if op == "push-chunked":
    with open("chunked.bin", "wb") as fh:
        fh.write(os.urandom(int(subject)))
    resp = client.push(files=["chunked.bin"], target=ref, do_chunked=True,
                       chunk_size=int(sys.argv[7]))
    sys.exit(0 if resp.status_code in (200, 201) else 1)
if op in ("push", "push-large"):
    with open("artifact.txt", "w") as fh:
        fh.write("oci-conform artifact\n")
    pad = {"org.example.padding": "x" * int(subject)} if op == "push-large" else None
    resp = client.push(files=["artifact.txt"], target=ref, manifest_annotations=pad)
    sys.exit(0 if resp.status_code in (200, 201) else 1)
if op == "referrer":
    with open("signature.txt", "w") as fh:
        fh.write("oci-conform signature\n")
    s = json.loads(subject)
    resp = client.push(files=["signature.txt"], target=ref,
                       subject=oras.oci.Subject(s["mediaType"], s["digest"], s["size"]),
                       manifest_annotations={"org.example.kind": "signature"})
    sys.exit(0 if resp.status_code in (200, 201) else 1)
if op == "pull":
    print("\n".join(client.pull(target=ref, outdir=out)))
elif op == "tags":
    print("\n".join(client.get_tags(ref)))
"""


class Oras(Client):
    def push_chunked(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("push-chunked", ref, creds, str(CHUNKED_BLOB), str(CHUNK))
    def push_large(self, ref: str, creds: Creds | None) -> ToolRun:
        # the artifact manifest without padding is about 520 bytes
        return self._call("push-large", ref, creds, str(LARGE_MANIFEST - 440))

    def _call(self, op: str, ref: str, creds: Creds | None, subject: str = "",
              *extra: str) -> ToolRun:
        out = self._fresh(op)
        return run([self.command, "-c", _ORAS, op, ref, creds.user if creds else "",
                    creds.password if creds else "", str(out), subject, *extra],
                   timeout=self.timeout)

    def push(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("push", ref, creds)

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("pull", ref, creds)

    def tags(self, repo: str, creds: Creds | None) -> ToolRun:
        return self._call("tags", repo, creds)

    def referrer(self, ref: str, subject: dict[str, object], creds: Creds | None) -> ToolRun:
        import json
        return self._call("referrer", ref, creds, json.dumps(subject))


class Script(Client):
    """Any command with the script command line (the test suite's fake client is one)."""

    def _call(self, *args: str, creds: Creds | None, source: Path | None = None) -> ToolRun:
        auth = ["--user", creds.user, "--password", creds.password] if creds else []
        return run([*shlex.split(self.command), *args, *auth, "--source",
                    str(source or self.layout), "--out", str(self._fresh("out"))],
                   timeout=self.timeout)

    def push_large(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("push", ref, creds=creds, source=self.large)

    def push_chunked(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("push-chunked", ref, "--size", str(CHUNKED_BLOB), "--chunk",
                          str(CHUNK), creds=creds)

    def push(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("push", ref, creds=creds)

    def pull(self, ref: str, creds: Creds | None) -> ToolRun:
        return self._call("pull", ref, creds=creds)

    def tags(self, repo: str, creds: Creds | None) -> ToolRun:
        return self._call("tags", repo, creds=creds)

    def referrer(self, ref: str, subject: dict[str, object], creds: Creds | None) -> ToolRun:
        import json
        return self._call("referrer", ref, "--subject", json.dumps(subject), creds=creds)


KINDS: dict[str, type[Client]] = {"skopeo": Skopeo, "podman": Engine, "buildah": Engine,
                                  "ctr": Ctr, "docker": DockerCli, "oras": Oras,
                                  "script": Script}


def make_client(name: str, kind: str, command: str, work: Path) -> Client:
    return KINDS[kind](name=name, kind=kind, work=work, command=command)


def locate(kind: str) -> tuple[str, str, str]:
    """(command, version, reason-if-missing) of a built-in client on this machine."""
    if kind == "oras":
        try:
            from importlib.metadata import PackageNotFoundError, version
            return sys.executable, f"oras-py {version('oras')}", ""
        except PackageNotFoundError:
            return "", "", ("the oras Python package is not installed "
                            "(pip install 'oci-conform[test]')")
    if kind == "docker":
        return _locate_docker()
    binary = which(kind)
    if binary is None:
        return "", "", f"{kind} is not installed"
    if kind == "ctr" and which("containerd") is None:
        return "", "", "containerd is not installed (ctr needs a daemon)"
    return binary, tool_version(kind), ""


def _locate_docker() -> tuple[str, str, str]:
    """Debian's docker client, paired with its dockerd (the column starts one)."""
    import os

    from oci_conform.drivers.dockerd import DOCKER_CLI, dockerd_path
    if dockerd_path() is None:
        return "", "", "docker.io is not installed (dockerd and /usr/bin/docker)"
    if os.geteuid() != 0:
        return "", "", "dockerd needs root here"
    got = run([DOCKER_CLI, "--version"], timeout=20)
    return DOCKER_CLI, (got.stdout.strip().splitlines() or [""])[0], ""
