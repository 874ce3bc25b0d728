#!/usr/bin/env python3
"""A FAKE registry client for the tests of the registry-clients suite: raw HTTP requests
(``requests``), just enough to push an OCI layout, pull, list tags and push a referrer.

Honest by default: it follows every client rule the suite judges. ``--break RULE`` makes it
break exactly one of them:

- ``content-type-params``: the manifest PUT carries ``; charset=utf-8`` on its Content-Type
  (dist.spec.pushing-manifests.2);
- ``no-blob-digest-check``: pulled blobs are stored without checking their digest
  (dist.spec.pulling-blobs.5);
- ``duplicate-referrers``: a referrer pushed again is listed again in the referrers tag index
  (dist.spec.pushing-manifests-with-subject.5);
- ``small-chunks``: a chunked push ignores the announced OCI-Chunk-Min-Length
  (dist.spec.pushing-a-blob-in-chunks.6).

Command line (the suite's script clients): ``push|pull|tags|referrer REF [--subject JSON]
[--user U --password P] --source LAYOUT --out DIR [--break RULE]``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import requests

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join([MANIFEST, INDEX, "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"])
TIMEOUT = 30


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Session:
    """HTTP with the registry's challenge answered (Basic, or a Bearer token)."""

    def __init__(self, host: str, user: str, password: str):
        self.base = f"http://{host}"
        self.creds = (user, password) if user else None
        self.auth: dict[str, str] = {}
        self.http = requests.Session()
        self.warnings: set[str] = set()

    def url(self, location: str) -> str:
        return location if location.startswith("http") else self.base + location

    def request(self, method: str, location: str, **kw) -> requests.Response:
        headers = {**kw.pop("headers", {}), **self.auth}
        resp = self.http.request(method, self.url(location), headers=headers, timeout=TIMEOUT,
                                 **kw)
        if resp.status_code == 401 and self.creds and self._answer(resp):
            headers.update(self.auth)
            resp = self.http.request(method, self.url(location), headers=headers,
                                     timeout=TIMEOUT, **kw)
        for warning in resp.headers.get("Warning", "").split(", "):
            if warning.startswith("299") and warning not in self.warnings:
                self.warnings.add(warning)
                print(f"registry warning: {warning[4:].strip()}", file=sys.stderr)
        return resp

    def _answer(self, resp: requests.Response) -> bool:
        challenge = resp.headers.get("WWW-Authenticate", "")
        if challenge.lower().startswith("basic"):
            self.auth = {"Authorization": requests.auth._basic_auth_str(*self.creds)}
            return True
        if challenge.lower().startswith("bearer"):
            params = dict(part.split("=", 1) for part in challenge[7:].split(","))
            params = {k.strip(): v.strip().strip('"') for k, v in params.items()}
            realm = params.pop("realm")
            token = self.http.get(realm, params=params, auth=self.creds, timeout=TIMEOUT)
            body = token.json()
            self.auth = {"Authorization": f"Bearer {body.get('token') or body['access_token']}"}
            return True
        return False


def split(ref: str) -> tuple[str, str, str]:
    host, _, rest = ref.partition("/")
    if "@" in rest:
        repo, _, tag = rest.partition("@")
    else:
        repo, _, tag = rest.rpartition(":")
    return host, repo, tag


def push_blob(s: Session, repo: str, data: bytes) -> None:
    digest = sha256(data)
    if s.request("HEAD", f"/v2/{repo}/blobs/{digest}").status_code == 200:
        return
    post = s.request("POST", f"/v2/{repo}/blobs/uploads/")
    if post.status_code != 202:
        raise SystemExit(f"POST upload: {post.status_code}")
    location = post.headers["Location"]
    put = s.request("PUT", location, params={"digest": digest}, data=data,
                    headers={"Content-Type": "application/octet-stream"})
    if put.status_code != 201:
        s.request("DELETE", location)          # abandon the session: free it
        raise SystemExit(f"PUT upload: {put.status_code}")


def push_manifest(s: Session, repo: str, ref: str, body: bytes, media_type: str,
                  broken: str) -> requests.Response:
    ctype = media_type + ("; charset=utf-8" if broken == "content-type-params" else "")
    resp = s.request("PUT", f"/v2/{repo}/manifests/{ref}", data=body,
                     headers={"Content-Type": ctype})
    if resp.status_code != 201:
        raise SystemExit(f"PUT manifest: {resp.status_code} {resp.text[:200]}")
    return resp


def cmd_push(s: Session, repo: str, tag: str, args) -> None:
    layout = Path(args.source)
    index = json.loads((layout / "index.json").read_text())
    desc = index["manifests"][0]
    body = (layout / "blobs" / "sha256" / desc["digest"][7:]).read_bytes()
    manifest = json.loads(body)
    for blob in [manifest["config"], *manifest["layers"]]:
        push_blob(s, repo, (layout / "blobs" / "sha256" / blob["digest"][7:]).read_bytes())
    push_manifest(s, repo, tag, body, manifest["mediaType"], args.broken)


def cmd_push_chunked(s: Session, repo: str, _tag: str, args) -> None:
    import os
    data = os.urandom(args.size)
    post = s.request("POST", f"/v2/{repo}/blobs/uploads/")
    if post.status_code != 202:
        raise SystemExit(f"POST upload: {post.status_code}")
    location = post.headers["Location"]
    minimum = int(post.headers.get("OCI-Chunk-Min-Length") or 0)
    size = args.chunk if args.broken == "small-chunks" else max(args.chunk, minimum)
    for start in range(0, len(data), size):
        chunk = data[start:start + size]
        r = s.request("PATCH", location, data=chunk, headers={
            "Content-Range": f"{start}-{start + len(chunk) - 1}",
            "Content-Type": "application/octet-stream"})
        if r.status_code != 202:
            s.request("DELETE", location)
            raise SystemExit(f"PATCH: {r.status_code}")
        location = r.headers["Location"]
    put = s.request("PUT", location, params={"digest": sha256(data)})
    if put.status_code != 201:
        s.request("DELETE", location)
        raise SystemExit(f"PUT upload: {put.status_code}")


def cmd_pull(s: Session, repo: str, ref: str, args) -> None:
    resp = s.request("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT})
    if resp.status_code != 200:
        raise SystemExit(f"GET manifest: {resp.status_code}")
    body = resp.content
    if ref.startswith("sha256:") and sha256(body) != ref:
        raise SystemExit(f"manifest digest mismatch: asked {ref}, got {sha256(body)}")
    manifest = json.loads(body)
    out = Path(args.out)
    for blob in [manifest["config"], *manifest["layers"]]:
        got = s.request("GET", f"/v2/{repo}/blobs/{blob['digest']}")
        if got.status_code != 200:
            raise SystemExit(f"GET blob: {got.status_code}")
        if args.broken != "no-blob-digest-check" and sha256(got.content) != blob["digest"]:
            raise SystemExit(f"blob digest mismatch: {blob['digest']}")
        (out / blob["digest"][7:]).write_bytes(got.content)
    print(f"pulled {repo}:{ref}")


def cmd_tags(s: Session, repo: str, _tag: str, args) -> None:
    resp = s.request("GET", f"/v2/{repo}/tags/list")
    if resp.status_code != 200:
        raise SystemExit(f"GET tags: {resp.status_code}")
    print("\n".join(resp.json().get("tags") or []))


def cmd_referrer(s: Session, repo: str, tag: str, args) -> None:
    subject = json.loads(args.subject)
    empty, layer = b"{}", b"fake signature\n"
    push_blob(s, repo, empty)
    push_blob(s, repo, layer)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                "artifactType": "application/vnd.example.signature",
                "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                           "digest": sha256(empty), "size": len(empty)},
                "layers": [{"mediaType": "application/octet-stream", "digest": sha256(layer),
                            "size": len(layer)}],
                "subject": subject, "annotations": {"org.example.kind": "signature"}}
    body = json.dumps(manifest).encode()
    resp = push_manifest(s, repo, tag, body, MANIFEST, args.broken)
    if resp.headers.get("OCI-Subject"):
        return
    fallback = subject["digest"].replace(":", "-")
    got = s.request("GET", f"/v2/{repo}/manifests/{fallback}", headers={"Accept": INDEX})
    index = got.json() if got.status_code == 200 else {"schemaVersion": 2, "mediaType": INDEX,
                                                          "manifests": []}
    if index.get("mediaType") != INDEX:
        raise SystemExit(f"the referrers tag {fallback} holds {index.get('mediaType')}, "
                         "not an image index: not touching it")
    entry = {"mediaType": MANIFEST, "digest": sha256(body), "size": len(body),
             "artifactType": manifest["artifactType"], "annotations": manifest["annotations"]}
    if broken_dedupe(args) or entry["digest"] not in {m.get("digest") for m in index["manifests"]}:
        index["manifests"].append(entry)
    push_manifest(s, repo, fallback, json.dumps(index).encode(), INDEX, args.broken)


def broken_dedupe(args) -> bool:
    return bool(args.broken == "duplicate-referrers")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("op", choices=("push", "push-chunked", "pull", "tags", "referrer"))
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--chunk", type=int, default=0)
    p.add_argument("ref")
    p.add_argument("--subject", default="{}")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--source", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--break", dest="broken", default="",
                   choices=("", "content-type-params", "no-blob-digest-check",
                            "duplicate-referrers", "small-chunks"))
    args = p.parse_args()
    host, repo, ref = split(args.ref) if args.op != "tags" else (*args.ref.split("/", 1), "")
    s = Session(host, args.user, args.password)
    {"push": cmd_push, "push-chunked": cmd_push_chunked, "pull": cmd_pull, "tags": cmd_tags,
     "referrer": cmd_referrer}[args.op](s, repo, ref, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
