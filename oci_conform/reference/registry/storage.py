"""Content-addressed filesystem storage for the reference registry.

Layout under the storage root::

    blobs/<alg>/<2 hex>/<encoded>            blob and manifest bytes (immutable)
    uploads/<uuid>/data, uploads/<uuid>/info.json    upload sessions (survive restarts)
    repos/<name>/_oci/blobs/<alg>/<encoded>          the repository holds this blob
    repos/<name>/_oci/manifests/<alg>/<encoded>      ... this manifest (file = media type)
    repos/<name>/_oci/tags/<tag>                     tag -> digest
    repos/<name>/_oci/referrers/<alg>-<enc>/<alg>-<enc>   descriptor of a referrer (JSON)

A blob becomes visible only when complete and verified: its bytes are written to the
upload's own file, fsynced, then renamed into ``blobs/`` (atomic on one filesystem).
Every other write goes through a temp file and a rename as well.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from oci_conform.reference.registry.grammar import ALGORITHMS, Digest, parse_digest

CHUNK = 1 << 20


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a failed write leaves no temp file behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_text(path: str) -> str | None:
    """A small metadata file's text (UTF-8), or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode()
    except (OSError, ValueError):
        return None


@dataclass
class Upload:
    """An upload session: where its bytes are, how many, and the running hash.

    Callers hold ``lock`` while they change it; ``closed`` is set (under the lock) when the
    session is committed or cancelled, so a request that waited for the lock sees it gone.
    """

    id: str
    repo: str
    algorithm: str
    path: Path
    offset: int
    hasher: Any | None        # a hashlib object, or None after a restart (rehash at close)
    lock: threading.Lock
    closed: bool = False


class Storage:
    """All reads and writes of registry content; thread-safe for concurrent clients."""

    def __init__(self, root: Path):
        self.root = root
        for sub in ("blobs", "uploads", "repos"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()
        # Hot paths (every HEAD and GET) build their paths as text: pathlib's joins cost
        # more than the stat or read they lead to.
        self._blobs = os.path.join(str(root), "blobs")
        self._repos = os.path.join(str(root), "repos")

    # ---- blobs ------------------------------------------------------------------
    def _blob_file(self, digest: Digest) -> str:
        enc = digest.encoded
        return f"{self._blobs}/{digest.algorithm}/{enc[:2]}/{enc}"

    def blob_path(self, digest: Digest) -> Path:
        return Path(self._blob_file(digest))

    def blob_size(self, digest: Digest) -> int | None:
        try:
            return os.stat(self._blob_file(digest)).st_size
        except (OSError, ValueError):
            return None

    def read_blob(self, digest: Digest) -> bytes:
        return self.blob_path(digest).read_bytes()

    def _repo_dir(self, repo: str) -> Path:
        return self.root / "repos" / repo / "_oci"

    def _repo_text(self, repo: str) -> str:
        return f"{self._repos}/{repo}/_oci"

    def repo_exists(self, repo: str) -> bool:
        return os.path.isdir(self._repo_text(repo))

    def _link_text(self, repo: str, kind: str, digest: Digest) -> str:
        return f"{self._repos}/{repo}/_oci/{kind}/{digest.algorithm}/{digest.encoded}"

    def _link(self, repo: str, kind: str, digest: Digest) -> Path:
        return Path(self._link_text(repo, kind, digest))

    def repo_has_blob(self, repo: str, digest: Digest) -> bool:
        return (os.path.exists(self._link_text(repo, "blobs", digest))
                and self.blob_size(digest) is not None)

    def link_blob(self, repo: str, digest: Digest) -> None:
        link = self._link(repo, "blobs", digest)
        if not link.exists():
            write_atomic(link, b"")

    def unlink_blob(self, repo: str, digest: Digest) -> bool:
        try:
            self._link(repo, "blobs", digest).unlink()
            return True
        except FileNotFoundError:
            return False

    def any_repo_has_blob(self, digest: Digest) -> bool:
        return self.blob_size(digest) is not None and any(
            (d / "blobs" / digest.algorithm / digest.encoded).exists()
            for d in self.root.glob("repos/**/_oci"))

    def put_bytes(self, data: bytes, digest: Digest) -> None:
        """Store small content (a manifest) already verified against ``digest``."""
        path = self.blob_path(digest)
        if not path.exists():
            write_atomic(path, data)

    # ---- uploads ----------------------------------------------------------------
    def start_upload(self, repo: str, algorithm: str = "sha256") -> Upload:
        upload_id = str(uuid.uuid4())
        folder = self.root / "uploads" / upload_id
        folder.mkdir(parents=True)
        try:
            (folder / "data").touch()
            write_atomic(folder / "info.json", json.dumps(
                {"repo": repo, "algorithm": algorithm, "started": time.time()}).encode())
        except BaseException:      # a full disk: leave no half-made session behind
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(upload_id, repo, algorithm, folder / "data", 0,
                        Digest(algorithm, "").hasher(), threading.Lock())
        with self._lock:
            self._uploads[upload_id] = upload
        return upload

    def open_uploads(self) -> int:
        """Sessions this process holds open (started or resumed since it started)."""
        with self._lock:
            return len(self._uploads)

    def get_upload(self, repo: str, upload_id: str) -> Upload | None:
        """An open session of ``repo`` (reloaded from disk after a restart), or None."""
        try:
            uuid.UUID(upload_id)
        except ValueError:
            return None
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                upload = self._reload_upload(upload_id)
                if upload is not None:
                    self._uploads[upload_id] = upload
        if upload is None or upload.repo != repo:
            return None
        return upload

    def _reload_upload(self, upload_id: str) -> Upload | None:
        folder = self.root / "uploads" / upload_id
        try:
            info = json.loads((folder / "info.json").read_text())
            size = (folder / "data").stat().st_size
        except (OSError, ValueError):
            return None
        if info.get("algorithm") not in ALGORITHMS:
            return None
        return Upload(upload_id, str(info.get("repo")), info["algorithm"], folder / "data", size,
                      None, threading.Lock())

    def append(self, upload: Upload, stream: Iterator[bytes]) -> int:
        """Append chunks to the session's file; return the bytes written (caller holds lock).

        All or nothing: when the stream or the disk fails part way (a peer that hangs up, a
        full disk), the file is cut back to where it stood and the running hash restored,
        so the session's offset and Range stay true and the client can resume."""
        start = upload.offset
        hasher = upload.hasher.copy() if upload.hasher is not None else None
        written = 0
        try:
            with open(upload.path, "ab") as handle:
                for chunk in stream:
                    handle.write(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    written += len(chunk)
        except BaseException:
            self._cut_back(upload, start)
            raise
        upload.offset, upload.hasher = start + written, hasher
        return written

    @staticmethod
    def _cut_back(upload: Upload, offset: int) -> None:
        try:
            os.truncate(upload.path, offset)
        except OSError:
            upload.hasher = None      # unknown state: rehash from the file at close
            with contextlib.suppress(OSError):
                upload.offset = upload.path.stat().st_size

    def _upload_digest(self, upload: Upload) -> str:
        if upload.hasher is not None:
            return upload.hasher.hexdigest()  # type: ignore[attr-defined]
        hasher = Digest(upload.algorithm, "").hasher()
        with open(upload.path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
        return hasher.hexdigest()

    def commit_upload(self, upload: Upload, expected: Digest) -> bool:
        """Verify the session's bytes against ``expected``; on success make the blob visible
        in the session's repository and close the session. False on a digest mismatch."""
        if expected.algorithm == upload.algorithm:
            actual = self._upload_digest(upload)
        else:   # the client named another algorithm than the session was opened with
            hasher = expected.hasher()
            with open(upload.path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    hasher.update(chunk)
            actual = hasher.hexdigest()
        if actual != expected.encoded:
            return False
        with open(upload.path, "rb+") as handle:
            os.fsync(handle.fileno())
        target = self.blob_path(expected)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, target)
        try:
            _fsync_dir(target.parent)
            self.link_blob(upload.repo, expected)
        finally:     # the bytes have left the session: it is over even if linking failed
            self.cancel_upload(upload)
        return True

    def cancel_upload(self, upload: Upload) -> None:
        """Close the session (caller holds its lock) and remove its folder. The folder is
        renamed away first, inside the registry lock, so no request can reload it."""
        upload.closed = True
        folder = self.root / "uploads" / upload.id
        gone = folder.with_name(f".gone-{upload.id}-{uuid.uuid4().hex[:8]}")
        with self._lock:
            self._uploads.pop(upload.id, None)
            try:
                os.rename(folder, gone)
            except OSError:
                gone = folder
        shutil.rmtree(gone, ignore_errors=True)

    def open_blob(self, digest: Digest) -> BinaryIO:
        return open(self.blob_path(digest), "rb")

    # ---- manifests and tags -----------------------------------------------------------
    def put_manifest(self, repo: str, digest: Digest, data: bytes, media_type: str) -> None:
        self.put_bytes(data, digest)
        write_atomic(self._link(repo, "manifests", digest), media_type.encode())

    def manifest_media_type(self, repo: str, digest: Digest) -> str | None:
        return _read_text(self._link_text(repo, "manifests", digest))

    def delete_manifest(self, repo: str, digest: Digest) -> bool:
        try:
            self._link(repo, "manifests", digest).unlink()
        except FileNotFoundError:
            return False
        for tag in self.tags(repo):
            if self.resolve_tag(repo, tag) == str(digest):
                self.delete_tag(repo, tag)
        for subject_dir in (self._repo_dir(repo) / "referrers").glob("*"):
            (subject_dir / f"{digest.algorithm}-{digest.encoded}").unlink(missing_ok=True)
        return True

    def tag(self, repo: str, tag: str, digest: Digest) -> None:
        write_atomic(self._repo_dir(repo) / "tags" / tag, str(digest).encode())

    def resolve_tag(self, repo: str, tag: str) -> str | None:
        return _read_text(f"{self._repos}/{repo}/_oci/tags/{tag}")

    def delete_tag(self, repo: str, tag: str) -> bool:
        try:
            (self._repo_dir(repo) / "tags" / tag).unlink()
            return True
        except FileNotFoundError:
            return False

    def tags(self, repo: str) -> list[str]:
        folder = self._repo_dir(repo) / "tags"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))

    def ensure_repo(self, repo: str) -> None:
        self._repo_dir(repo).mkdir(parents=True, exist_ok=True)

    # ---- referrers ----------------------------------------------------------------
    def add_referrer(self, repo: str, subject: Digest, referrer: Digest, descriptor: dict) -> None:
        folder = self._repo_dir(repo) / "referrers" / f"{subject.algorithm}-{subject.encoded}"
        write_atomic(folder / f"{referrer.algorithm}-{referrer.encoded}",
                     json.dumps(descriptor).encode())

    def referrers(self, repo: str, subject: Digest) -> list[dict]:
        folder = self._repo_dir(repo) / "referrers" / f"{subject.algorithm}-{subject.encoded}"
        found = []
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.name.startswith("."):
                continue
            try:
                found.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
        return found

    # ---- garbage collection support ---------------------------------------------------
    def repositories(self) -> list[str]:
        """Every repository name, sorted; the walk never enters a repository's own data."""
        found: list[str] = []
        pending = [(self.root / "repos", "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.name == "_oci":
                    found.append(prefix.rstrip("/"))
                elif not entry.name.startswith("."):
                    pending.append((Path(entry.path), f"{prefix}{entry.name}/"))
        return sorted(name for name in found if name)

    def manifest_digests(self, repo: str) -> list[Digest]:
        out = []
        for path in (self._repo_dir(repo) / "manifests").glob("*/*"):
            digest = parse_digest(f"{path.parent.name}:{path.name}")
            if digest:
                out.append(digest)
        return out

    def all_blobs(self) -> list[Digest]:
        out = []
        for path in (self.root / "blobs").glob("*/*/*"):
            digest = parse_digest(f"{path.parent.parent.name}:{path.name}")
            if digest:
                out.append(digest)
        return out
