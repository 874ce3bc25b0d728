"""The worker process: runs ``oci-conform`` command lines in-process, one job at a time.

Protocol: one JSON line per job on the job pipe, one JSON line per answer on the answer pipe
(file descriptors given on the command line, so a child process writing to fd 1 or 2
cannot garble it). stdout and stderr of each job are captured with the encoding and error
handler a real process would have, so a report that cannot be encoded fails here as it
would for a user.
"""
from __future__ import annotations

import faulthandler
import io
import json
import os
import resource
import sys
import time
import traceback
from typing import Any

REPO_MARK = os.sep + "oci_conform" + os.sep


def last_frames(tb: traceback.StackSummary) -> tuple[str, str]:
    """(last frame, last frame inside oci_conform) as 'file:line in function'."""
    def fmt(f: traceback.FrameSummary) -> str:
        name = f.filename
        cut = name.rfind(REPO_MARK)
        if cut >= 0:
            name = name[cut + 1:]
        return f"{name}:{f.lineno} in {f.name}"
    last = fmt(tb[-1]) if tb else ""
    ours = [f for f in tb if REPO_MARK in f.filename]
    return last, fmt(ours[-1]) if ours else ""


def own_peak_kb() -> int:
    """VmHWM of this process: ru_maxrss would carry the parent's peak over fork and exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak() -> None:
    """Start VmHWM again from the current RSS, so each job's peak is its own (Linux 4.0+;
    without it the peak is the worker's since start, which recycling bounds)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _stream(encoding: str, errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors, newline=None,
                            write_through=True)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    from oci_conform.cli import main
    os.chdir(job["cwd"])
    real_out, real_err, real_in = sys.stdout, sys.stderr, sys.stdin
    enc, errs = real_out.encoding or "utf-8", real_out.errors or "strict"
    out, err = _stream(enc, errs), _stream(enc, errs)
    stdin_file = open(job["stdin"], "rb") if job.get("stdin") else open(os.devnull, "rb")
    sys.stdout, sys.stderr = out, err
    sys.stdin = io.TextIOWrapper(stdin_file, encoding=enc, errors=errs)
    answer: dict[str, Any] = {"id": job["id"]}
    reset_peak()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if job.get("dump_after") and job.get("dump_to"):
        dump = open(job["dump_to"], "w")     # where this job's stack goes if it hangs
        faulthandler.dump_traceback_later(job["dump_after"], exit=False, file=dump)
    else:
        dump = None
    try:
        if job.get("tier") == "parse":
            from fuzzlib import entries
            code = entries.run(job["argv"])
            answer["tier"] = "parse"
        else:
            code = main(job["argv"])
        answer["code"] = code if isinstance(code, int) else repr(code)
    except SystemExit as exc:
        answer["code"] = exc.code if isinstance(exc.code, int) else (1 if exc.code else 0)
    except BaseException as exc:  # noqa: BLE001 - every escape is what we look for
        tb = traceback.extract_tb(exc.__traceback__)
        answer["code"] = "exception"
        answer["exception"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        answer["traceback"] = "".join(traceback.format_exception(exc))[-6000:]
        answer["last_frame"], answer["project_frame"] = last_frames(tb)
    finally:
        if dump is not None:
            faulthandler.cancel_dump_traceback_later()
            dump.close()
        sys.stdout, sys.stderr, sys.stdin = real_out, real_err, real_in
        stdin_file.close()
        os.chdir("/")
    answer["elapsed"] = time.perf_counter() - started
    answer["cpu"] = time.process_time() - cpu_started
    answer["stdout_bytes"] = len(out.buffer.getvalue())   # type: ignore[attr-defined]
    answer["stderr"] = err.buffer.getvalue()[-4000:].decode("utf-8", "replace")  # type: ignore
    shown = out.buffer.getvalue() + err.buffer.getvalue()  # type: ignore[attr-defined]
    answer["markers_found"] = [m for m in job.get("markers", []) if m.encode() in shown]
    answer["maxrss_kb"] = own_peak_kb()
    return answer


def serve(job_fd: int, answer_fd: int) -> None:
    jobs = os.fdopen(job_fd, "rb", buffering=0)
    answers = os.fdopen(answer_fd, "wb", buffering=0)
    reader = io.BufferedReader(jobs)   # type: ignore[arg-type]
    answers.write(b'{"ready": true}\n')
    for line in reader:
        job = json.loads(line)
        try:
            answer = run_job(job)
        except OSError as exc:              # our own set-up failed (not the project)
            answer = {"id": job.get("id"), "code": "harness-error", "exception": repr(exc)}
        answers.write(json.dumps(answer).encode() + b"\n")


def main() -> None:
    limit_mib = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if limit_mib:
        limit = limit_mib << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    import oci_conform.cli  # noqa: F401  (pay the import once, before the first job)
    from fuzzlib import entries
    entries.prime()
    serve(int(sys.argv[1]), int(sys.argv[2]))


if __name__ == "__main__":
    main()
