"""Rules on a document as a whole: its JSON text, and the state's schema summary.

Pure: parse results and observations in, observations out.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from oci_conform.checks.runtime_config.docload import Parsed
from oci_conform.model.judging import Observation, errored, failed, passed
from oci_conform.model.outcome import Outcome


def unparsed(kind: str, parsed: Parsed) -> Iterator[Observation]:
    """What a document that did not parse breaks: the JSON rule of its kind. A document
    beyond our limits (size, depth) is not judged: an error, never a pass or a fail."""
    for p in parsed.problems:
        if p.rule == "duplicate":
            continue
        if kind == "config":
            clause = "rt.glossary.json.1"
        elif kind == "state":
            clause = "rt.runtime.state.12"
        else:
            clause = "rt.features.json"
        if p.rule == "limit":
            yield errored(clause, p.message, location=p.pointer)
        else:
            yield failed(clause, p.message, location=p.pointer, line=p.line, column=p.column)


def json_text(parsed: Parsed) -> Iterator[Observation]:
    """Glossary rules on the JSON text of a parsed config: JSON in UTF-8 (it parsed, so it
    is) and no repeated member name (each repeat is a finding)."""
    yield passed("rt.glossary.json.1", "the text is JSON in UTF-8")
    repeats = [p for p in parsed.problems if p.rule == "duplicate"]
    for p in repeats:
        yield failed("rt.glossary.json.2", p.message, location=p.pointer,
                     expected="each member name once", actual=p.pointer.rsplit("/", 1)[-1])
    if not repeats:
        yield passed("rt.glossary.json.2", "no object repeats a member name")


def state_layout(observations: Iterable[Observation], pre_1_1: bool) -> Iterator[Observation]:
    """The state follows the state schema (1.1.0+) or the layout 1.0.x shows: it fails when
    any other state clause failed, else passes."""
    clause = "rt.runtime.state.12-pre-1.1" if pre_1_1 else "rt.runtime.state.12"
    broken = sorted({o.clause for o in observations if o.outcome is Outcome.FAIL}
                    - {"rt.runtime.state.12", "rt.runtime.state.12-pre-1.1"})
    if broken:
        yield failed(clause, f"schema rules fail: {', '.join(broken)}")
    else:
        yield passed(clause, "the document satisfies every schema rule")
