"""The fuzz harness itself: deterministic inputs, a watchdog that sees hangs, canaries that
see escapes, a materializer that never writes outside its folder."""
from __future__ import annotations

import json
import os
from pathlib import Path

from fuzzlib import jsonmut, trees
from fuzzlib.campaign import Sandbox, input_for, judge_answer
from fuzzlib.pool import Runner
from fuzzlib.targets import all_targets


def test_inputs_are_deterministic_per_seed_and_index():
    targets = all_targets()
    for name in ("doc-manifest", "archive-oci", "layout-oci", "registry-http"):
        t = targets[name]
        assert input_for(t, 7, 3) == input_for(t, 7, 3)
        assert {input_for(t, 7, i) for i in range(6)} != {input_for(t, 8, i) for i in range(6)}


def test_serializer_writes_what_json_dumps_never_would():
    assert jsonmut.dump(jsonmut.Dup([("a", 1), ("a", 2)])) == b'{"a":1,"a":2}'
    deep = jsonmut.dump([jsonmut.Raw(b"[" * 100000 + b"]" * 100000)])
    assert len(deep) == 200002
    assert jsonmut.dump({"s": "\ud800"}) == b'{"s":"\xed\xa0\x80"}'


def test_watchdog_reports_a_hang_and_recovers(tmp_path):
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)                        # opening it for reading blocks: a real hang
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    runner = Runner(tmp_path, time_limit=2.0)
    try:
        hung = runner.run(["image", "validate-document", "-"], tmp_path, stdin=fifo)
        assert hung["code"] == "hang"
        assert judge_answer(hung, 2.0)[0].kind == "hang"
        good = Path(__file__).resolve().parents[2] / "fixtures/image/documents/good/index.json"
        answer = runner.run(["image", "validate-document", str(good)], tmp_path)
        assert answer["code"] == 0 and answer["maxrss_kb"] > 0
    finally:
        runner.close()


def test_judge_sees_tracebacks_odd_exit_codes_and_secrets():
    crash = judge_answer({"code": "exception", "exception": "KeyError: 'x'",
                          "last_frame": "a.py:1 in f"}, 1)
    assert crash[0].kind == "crash" and crash[0].last_frame == "a.py:1 in f"
    printed = judge_answer({"code": 3, "stderr": 'Traceback (most recent call last):\n  File '
                            '"/x/oci_conform/m.py", line 9, in g\nValueError: v\n'}, 1)
    assert printed[0].kind == "crash" and printed[0].project_frame == "oci_conform/m.py:9 in g"
    assert judge_answer({"code": 139}, 1)[0].kind == "crash"
    assert judge_answer({"code": 1, "markers_found": [trees.SECRET]}, 1)[0].kind == "leak"
    assert judge_answer({"code": 4}, 1) == []


def test_canaries_see_a_write_and_are_reset():
    box = Sandbox.make()
    try:
        assert box.canary_changes() == []
        (box.canaries[0] / "pwned").write_text("x")
        assert len(box.canary_changes()) == 1
        assert box.canary_changes() == []
    finally:
        box.remove()


def test_materialize_stays_inside(tmp_path):
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    nodes = [trees.Node("../outside/a", "file", b"x"), trees.Node(str(outside / "b"), "file"),
             trees.Node("link", "symlink", target=str(outside)),
             trees.Node("link/c", "file", b"through"), trees.Node("ok/d", "file", b"y"),
             trees.Node("fifo", "fifo")]
    trees.materialize(nodes, root)
    assert list(outside.iterdir()) == []
    assert (root / "ok" / "d").read_bytes() == b"y" and (root / "link").is_symlink()
    assert json.loads(json.dumps(sorted(p.name for p in root.iterdir()))) == ["fifo", "link",
                                                                              "ok"]


def test_client_responder_records_credentials_reaching_the_other_origin():
    import base64
    import http.client

    from fuzzlib import client_target
    from fuzzlib.campaign import Settings
    box = Sandbox.make()
    driver = client_target.ClientDriver(Settings(time_limit=5), box)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", driver.state.ports["B"], timeout=5)
        basic = base64.b64encode(f"{client_target.USER}:{client_target.PASSWORD}".encode())
        conn.request("GET", "/v2/", headers={"Authorization": "Basic " + basic.decode()})
        assert conn.getresponse().status == 404
        seen = driver.state.seen_b
        assert seen and client_target.PASSWORD in client_target._decode(seen[0])
        conn = http.client.HTTPConnection("127.0.0.1", driver.state.ports["A"], timeout=5)
        conn.request("GET", "/v2/fuzz/app/manifests/latest")
        assert conn.getresponse().status == 200          # A plays a good registry
    finally:
        driver.close()
        box.remove()


def test_judge_counts_a_bug_the_cli_caught_as_a_crash():
    """The CLI turns an escaped exception into one line and exit 3: still a bug to the
    campaign (bad input must get a message naming the fault, not 'internal error')."""
    caught = judge_answer({"code": 3, "stderr": "error: internal error (harness): KeyError: "
                                                "'x'; run again with --debug\n"}, 1)
    assert [p.kind for p in caught] == ["crash"] and "KeyError" in caught[0].message
    assert judge_answer({"code": 3, "stderr": "error: cannot reach the registry\n"}, 1) == []


def test_parser_tier_runs_the_command_checks_and_reports_escapes(tmp_path):
    """tier 'parse' runs the command's own reading and checks (no report), in the worker."""
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    good = Path(__file__).resolve().parents[2] / "fixtures/image/documents/good/index.json"
    bad = tmp_path / "bad.json"
    bad.write_text('{"schemaVersion": 2, "manifests": 5}')
    runner = Runner(tmp_path, time_limit=10.0)
    try:
        for path in (good, bad):
            answer = runner.run(["image", "validate-document", str(path), "--media-type",
                                 "index"], tmp_path, tier="parse")
            assert answer.get("tier") == "parse" and answer["code"] == 0, answer
        cfg = Path(__file__).resolve().parents[2] / "fixtures/config/state/good/state.json"
        answer = runner.run(["config", "validate", "--kind", "state", str(cfg)], tmp_path,
                            tier="parse")
        assert answer["code"] == 0 and answer["stdout_bytes"] == 0, answer
        missing = runner.run(["config", "validate", "--kind", "state", str(tmp_path / "no")],
                             tmp_path, tier="parse")
        assert missing["code"] == 2
    finally:
        runner.close()


def test_generator_keeps_large_inputs_rare_but_present():
    """Big size classes (1 MiB strings, 100,000-deep nesting, 10,000-fold arrays) are one
    choice in twenty: the mean input stays small, and each class still comes up."""
    import random
    rng = random.Random(5)
    picks = [jsonmut.big(rng, [1], [2]) for _ in range(4000)]
    assert 100 < picks.count(2) < 300
    amplified = jsonmut.dump([["x" * 10] * 5000] * 40, limit=1 << 20)
    assert len(amplified) == 1 << 20 and amplified.startswith(b'[["xxxxxxxxxx","xxxx')
    shared = [{"a": [1, 2]}] * 20
    assert jsonmut.dump([shared, shared[:3]]) == json.dumps([shared, shared[:3]],
                                                            separators=(",", ":")).encode()


def test_a_starved_job_is_a_hang_only_by_the_wall_clock(tmp_path):
    """On a loaded host a job may get no CPU for longer than the limit: the watchdog counts
    the CPU the job used, not the wall clock alone. Starvation is made real with SIGSTOP,
    sent before the job so that the job cannot finish first, and the job itself is small
    (a few hundredths of a CPU second) so that a slow host cannot make it a real hang."""
    import signal
    import threading
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    doc = tmp_path / "index.json"
    doc.write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": "x", "size": i} for i in range(200)]}))
    argv = ["image", "validate-document", str(doc), "--media-type", "index"]
    for cpu_aware, expect_hang in ((True, False), (False, True)):
        runner = Runner(tmp_path, time_limit=2.0, cpu_aware=cpu_aware)
        try:
            runner.run(["--version"], tmp_path)            # the worker is up
            pid = runner.worker.proc.pid

            def wake(pid=pid):
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:       # the wall-clock watchdog killed it
                    pass
            os.kill(pid, signal.SIGSTOP)
            timer = threading.Timer(2.5, wake)
            timer.start()
            answer = runner.run(argv, tmp_path)
            timer.join()
            assert (answer["code"] == "hang") == expect_hang, (cpu_aware, answer)
            if not expect_hang:
                assert answer["code"] == 1, answer      # the index breaks rules: a verdict
        finally:
            runner.close()


def test_registry_judge_takes_501_and_505_as_the_right_answers_only_where_they_are():
    """501 to a transfer coding other than chunked (RFC 9112) and 505 to a version other
    than HTTP/1.x are right; a 501 or 505 to an ordinary request is still a 5xx."""
    import base64 as b64

    from fuzzlib import registry_target as rt

    def script(raw: bytes) -> dict:
        return {"steps": [b64.b64encode(raw).decode()]}
    odd = script(b"POST /v2/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunkef\r\n\r\n1\r\nx\r\n")
    plain = script(b"POST /v2/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert rt._odd_coding(odd) and not rt._odd_coding(plain)
    assert rt._odd_version(script(b"GET /v2/ HTTP/2.0\r\n\r\n"))
    assert not rt._odd_version(script(b"GET /v2/ HTTP/1.1\r\n\r\n"))
