"""The reference registry's API, request by request (real HTTP on loopback)."""
from __future__ import annotations

import hashlib
import json
import socket

import pytest

from tests.reference_registry.conftest import OCI_INDEX, Client, sha256


def error_codes(resp) -> list[str]:
    return [e["code"] for e in resp.json()["errors"]]


def test_base_endpoint(client: Client) -> None:
    r = client.http.get(client.url("/v2/"))
    assert r.status_code == 200 and r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_push_then_pull_manifest_by_tag_and_digest(client: Client) -> None:
    body = client.image("lib/app", [b"layer-bytes"])
    r = client.put_manifest("lib/app", "v1", body)
    assert r.status_code == 201
    digest = sha256(body)
    assert r.headers["Docker-Content-Digest"] == digest
    assert r.headers["Location"] == f"/v2/lib/app/manifests/{digest}"
    for ref in ("v1", digest):
        got = client.http.get(client.url(f"/v2/lib/app/manifests/{ref}"),
                              headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert got.status_code == 200 and got.content == body
        assert got.headers["Content-Type"] == "application/vnd.oci.image.manifest.v1+json"
        assert got.headers["Docker-Content-Digest"] == digest
        head = client.http.head(client.url(f"/v2/lib/app/manifests/{ref}"))
        assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(body)


def test_unknowns_are_404_with_codes(client: Client) -> None:
    client.put_manifest("lib/app", "v1", client.image("lib/app"))
    missing = "sha256:" + "0" * 64
    assert error_codes(client.http.get(client.url("/v2/lib/app/manifests/nope"))) == \
        ["MANIFEST_UNKNOWN"]
    assert error_codes(client.http.get(client.url(f"/v2/lib/app/blobs/{missing}"))) == \
        ["BLOB_UNKNOWN"]
    r = client.http.get(client.url("/v2/no/such/repo/tags/list"))
    assert r.status_code == 404 and error_codes(r) == ["NAME_UNKNOWN"]


def test_grammar_errors(client: Client) -> None:
    assert error_codes(client.http.get(client.url("/v2/UPPER/tags/list"))) == ["NAME_INVALID"]
    r = client.http.get(client.url("/v2/lib/app/blobs/sha256:xyz"))
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]
    long_name = "a" * 300
    assert client.http.get(client.url(f"/v2/{long_name}/tags/list")).status_code == 400


def test_path_traversal_is_rejected_byte_exact(registry) -> None:
    host, port = registry.address.split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"GET /v2/../../etc/passwd/blobs/sha256:" + b"a" * 64 +
                     b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400") and b"NAME_INVALID" in answer


def test_single_post_and_digest_mismatch(client: Client) -> None:
    data = b"single post blob"
    r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"), params={"digest": sha256(data)},
                         data=data)
    assert r.status_code == 201 and r.headers["Location"].endswith(sha256(data))
    r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"),
                         params={"digest": sha256(b"other")}, data=data)
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]
    assert client.http.head(client.url(f"/v2/lib/app/blobs/{sha256(b'other')}")).status_code == 404


def test_chunked_upload_in_order_out_of_order_status_and_close(client: Client) -> None:
    data = bytes(range(256)) * 40
    r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"), headers={"Content-Length": "0"})
    loc = r.headers["Location"]
    r = client.http.patch(client.url(loc), data=data[:4000],
                          headers={"Content-Range": "0-3999", "Content-Type":
                                   "application/octet-stream"})
    assert r.status_code == 202 and r.headers["Range"] == "0-3999"
    loc = r.headers["Location"]
    bad = client.http.patch(client.url(loc), data=data[5000:6000],
                            headers={"Content-Range": "5000-5999"})
    assert bad.status_code == 416
    status = client.http.get(client.url(loc))
    assert status.status_code == 204 and status.headers["Range"] == "0-3999"
    r = client.http.patch(client.url(loc), data=data[4000:8000],
                          headers={"Content-Range": "4000-7999"})
    assert r.status_code == 202
    r = client.http.put(client.url(r.headers["Location"]), params={"digest": sha256(data)},
                        data=data[8000:], headers={"Content-Range": f"8000-{len(data) - 1}"})
    assert r.status_code == 201
    got = client.http.get(client.url(f"/v2/lib/app/blobs/{sha256(data)}"))
    assert got.content == data and got.headers["Docker-Content-Digest"] == sha256(data)


def test_streamed_chunked_transfer_upload(client: Client) -> None:
    data = b"x" * (3 << 20)
    r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"))
    gen = (data[i:i + 65536] for i in range(0, len(data), 65536))   # no length: chunked framing
    r = client.http.patch(client.url(r.headers["Location"]), data=gen)
    assert r.status_code == 202 and r.headers["Range"] == f"0-{len(data) - 1}"
    r = client.http.put(client.url(r.headers["Location"]), params={"digest": sha256(data)})
    assert r.status_code == 201


def test_cancel_upload(client: Client) -> None:
    loc = client.http.post(client.url("/v2/lib/app/blobs/uploads/")).headers["Location"]
    assert client.http.delete(client.url(loc)).status_code == 204
    r = client.http.get(client.url(loc))
    assert r.status_code == 404 and error_codes(r) == ["BLOB_UPLOAD_UNKNOWN"]


def test_range_requests(client: Client) -> None:
    data = b"0123456789"
    digest = client.push_blob("lib/app", data)
    url = client.url(f"/v2/lib/app/blobs/{digest}")
    r = client.http.get(url, headers={"Range": "bytes=2-5"})
    assert r.status_code == 206 and r.content == b"2345"
    assert r.headers["Content-Range"] == "bytes 2-5/10"
    assert client.http.get(url, headers={"Range": "bytes=-3"}).content == b"789"
    assert client.http.get(url, headers={"Range": "bytes=20-"}).status_code == 416


def test_mount_and_fallback(client: Client) -> None:
    digest = client.push_blob("src/repo", b"shared layer")
    r = client.http.post(client.url("/v2/dst/repo/blobs/uploads/"),
                         params={"mount": digest, "from": "src/repo"})
    assert r.status_code == 201 and r.headers["Location"] == f"/v2/dst/repo/blobs/{digest}"
    assert client.http.head(client.url(f"/v2/dst/repo/blobs/{digest}")).status_code == 200
    r = client.http.post(client.url("/v2/dst/repo/blobs/uploads/"),
                         params={"mount": sha256(b"absent"), "from": "src/repo"})
    assert r.status_code == 202 and "/blobs/uploads/" in r.headers["Location"]


def test_sha512_blob_and_digest_algorithm(client: Client) -> None:
    data = b"sha512 content"
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"),
                         params={"digest-algorithm": "sha512"})
    assert r.status_code == 202
    r = client.http.put(client.url(r.headers["Location"]), params={"digest": digest}, data=data)
    assert r.status_code == 201
    assert client.http.get(client.url(f"/v2/lib/app/blobs/{digest}")).content == data
    r = client.http.post(client.url("/v2/lib/app/blobs/uploads/"),
                         params={"digest-algorithm": "md5"})
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]


def test_empty_blob(client: Client) -> None:
    digest = client.push_blob("lib/app", b"")
    r = client.http.get(client.url(f"/v2/lib/app/blobs/{digest}"))
    assert r.status_code == 200 and r.content == b""
    head = client.http.head(client.url(f"/v2/lib/app/blobs/{digest}"))   # same connection
    assert head.status_code == 200 and head.headers["Content-Length"] == "0"


def test_manifest_rejections(client: Client) -> None:
    r = client.put_manifest("lib/app", "bad", b"{not json")
    assert r.status_code == 400 and error_codes(r) == ["MANIFEST_INVALID"]
    body = client.image("lib/app")
    doc = json.loads(body)
    doc["layers"] = [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                      "digest": sha256(b"never pushed"), "size": 12}]
    r = client.put_manifest("lib/app", "missing", json.dumps(doc).encode())
    assert error_codes(r) == ["MANIFEST_BLOB_UNKNOWN"]
    r = client.put_manifest("lib/app", "wrongtype", body, media_type=OCI_INDEX)
    assert error_codes(r) == ["MANIFEST_INVALID"]
    r = client.put_manifest("lib/app", sha256(b"not this body"), body)
    assert error_codes(r) == ["DIGEST_INVALID"]
    empty_config = dict(doc, layers=[], config={"mediaType": "application/vnd.oci.empty.v1+json",
                                                "digest": sha256(b"{}"), "size": 2})
    r = client.put_manifest("lib/app", "no-artifact-type", json.dumps(empty_config).encode())
    assert error_codes(r) == ["MANIFEST_INVALID"]   # image-spec: empty config needs artifactType
    assert r.json()["errors"][0]["detail"]["violations"][0]["clause"].startswith("image.manifest.")
    huge = json.dumps({**doc, "annotations": {"x": "y" * (4 << 20)}}).encode()
    r = client.put_manifest("lib/app", "huge", huge)
    assert r.status_code == 413


def test_tags_pagination_and_order(client: Client) -> None:
    body = client.image("lib/app")
    for tag in ("b", "a", "C", "c2", "c1"):
        assert client.put_manifest("lib/app", tag, body).status_code == 201
    all_tags = client.http.get(client.url("/v2/lib/app/tags/list")).json()
    assert all_tags == {"name": "lib/app", "tags": ["a", "b", "C", "c1", "c2"]}
    page = client.http.get(client.url("/v2/lib/app/tags/list"), params={"n": 2})
    assert page.json()["tags"] == ["a", "b"]
    assert page.headers["Link"] == '</v2/lib/app/tags/list?n=2&last=b>; rel="next"'
    nxt = client.http.get(client.url("/v2/lib/app/tags/list"), params={"n": 2, "last": "b"})
    assert nxt.json()["tags"] == ["C", "c1"]
    zero = client.http.get(client.url("/v2/lib/app/tags/list"), params={"n": 0})
    assert zero.json()["tags"] == [] and "Link" not in zero.headers


def test_referrers_with_subject_and_filter(client: Client) -> None:
    subject_body = client.image("lib/app")
    client.put_manifest("lib/app", "v1", subject_body)
    subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
               "digest": sha256(subject_body), "size": len(subject_body)}
    sbom = client.image("lib/app", artifactType="application/vnd.example.sbom",
                        subject=subject, annotations={"k": "v"})
    r = client.put_manifest("lib/app", sha256(sbom), sbom)
    assert r.status_code == 201 and r.headers["OCI-Subject"] == sha256(subject_body)
    sig = client.image("lib/app", subject=subject)
    client.put_manifest("lib/app", sha256(sig), sig)
    url = client.url(f"/v2/lib/app/referrers/{sha256(subject_body)}")
    listing = client.http.get(url)
    assert listing.headers["Content-Type"] == OCI_INDEX
    kinds = sorted(m["artifactType"] for m in listing.json()["manifests"])
    assert kinds == ["application/vnd.example.sbom", "application/vnd.oci.image.config.v1+json"]
    filtered = client.http.get(url, params={"artifactType": "application/vnd.example.sbom"})
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["annotations"] for m in filtered.json()["manifests"]] == [{"k": "v"}]
    none = client.http.get(client.url(f"/v2/lib/app/referrers/{sha256(b'nothing')}"))
    assert none.status_code == 200 and none.json()["manifests"] == []


def test_deletes(client: Client) -> None:
    body = client.image("lib/app", [b"layer"])
    client.put_manifest("lib/app", "v1", body)
    client.put_manifest("lib/app", "v2", body)
    assert client.http.delete(client.url("/v2/lib/app/manifests/v2")).status_code == 202
    assert client.http.get(client.url("/v2/lib/app/manifests/v2")).status_code == 404
    assert client.http.get(client.url("/v2/lib/app/manifests/v1")).status_code == 200
    assert client.http.delete(client.url(f"/v2/lib/app/manifests/{sha256(body)}")).status_code \
        == 202
    assert client.http.get(client.url("/v2/lib/app/manifests/v1")).status_code == 404
    layer = sha256(b"layer")
    assert client.http.delete(client.url(f"/v2/lib/app/blobs/{layer}")).status_code == 202
    assert client.http.get(client.url(f"/v2/lib/app/blobs/{layer}")).status_code == 404
    assert client.http.delete(client.url(f"/v2/lib/app/blobs/{layer}")).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_read_only_refuses_writes(tmp_path, method: str) -> None:
    from oci_conform.reference.registry import RegistryConfig, RegistryServer
    with RegistryServer(RegistryConfig(tmp_path / "s", read_only=True)) as srv:
        c = Client(srv.url)
        r = c.http.request(method, c.url("/v2/lib/app/manifests/v1"))
        assert r.status_code == 405 and error_codes(r) == ["UNSUPPORTED"]
