"""The reference runtime's own formats: config.json read without the json module, the
runtime<->init channel (marshal frames) and the private state file."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oci_conform.reference.runtime import jsontext, unixsock
from oci_conform.reference.runtime.channel import Channel
from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.state import Container

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=25)


@settings(max_examples=300)
@given(VALUES, st.sampled_from(["", " ", "\n\t\r "]), st.sampled_from([None, 1]))
def test_jsontext_reads_what_json_reads(value: object, pad: str, indent: int | None) -> None:
    text = pad + json.dumps(value, indent=indent) + pad
    assert jsontext.loads(text) == json.loads(text)


@pytest.mark.parametrize("text,where", [
    ("", "line 1 column 1"), ("{", "line 1 column 2"), ('{"a": 1,}', "line 1 column 9"),
    ("[1] x", "line 1 column 5"), ("[1,\n 2,\n oops]", "line 3 column 2"),
    ('{"a" 1}', "line 1 column 6")])
def test_jsontext_refuses_non_json_naming_the_place(text: str, where: str) -> None:
    with pytest.raises(jsontext.JSONTextError, match=where):
        jsontext.loads(text)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"x": -Infinity}'])
def test_jsontext_refuses_constants_json_does_not_have(text: str) -> None:
    with pytest.raises(jsontext.JSONTextError, match="not a JSON value"):
        jsontext.loads(text)


def test_channel_round_trip_and_eof() -> None:
    one, two = unixsock.pair()
    a, b = Channel(one), Channel(two)
    big = {"state": {"id": "x" * 200_000, "pid": 7, "annotations": {"k": "v"}}, "ok": True}
    a.send(**big)
    a.send(ready=True)
    assert b.recv(5) == big
    assert b.recv(5) == {"ready": True}
    a.close()
    assert b.recv(5) == {"eof": True}
    b.close()


def test_channel_times_out_with_a_reason() -> None:
    one, two = unixsock.pair()
    msg = Channel(two).recv(0.05)
    assert msg["eof"] and "timed out" in msg["error"]
    one.close()
    two.close()


def test_state_file_round_trip_and_damage(tmp_path: Path) -> None:
    root = str(tmp_path)
    ctr = Container.reserve(root, "c1")
    ctr.doc = {"ociVersion": "1.2.0", "id": "c1", "status": "created", "pid": os.getpid(),
               "bundle": "/b", "runtime": {"started": False}}
    ctr.save()
    again = Container.load(root, "c1")
    assert again.doc["bundle"] == "/b" and again.public()["status"] == "created"
    (tmp_path / "c1" / "state").write_bytes(b"\x00garbage")
    with pytest.raises(RuntimeFailure, match="c1"):
        Container.load(root, "c1")
    again.destroy()
    assert not (tmp_path / "c1").exists()
