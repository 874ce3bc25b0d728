"""An interrupted run says "incomplete" in every format, and exits 130 / 143."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from oci_conform.model.results import Results
from oci_conform.model.verdict import exit_code
from oci_conform.report import renderers
from oci_conform.results_file import schema_problems
from tests.report.conftest import shared_file

FORMATS = ("text", "json", "html", "junit", "tap", "sarif", "github", "markdown")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_says_incomplete_when_interrupted(results: Results, fmt: str) -> None:
    clean = renderers()[fmt](results)
    assert "interrupted by SIGINT" not in clean
    results.interrupted = "SIGINT"
    text = renderers()[fmt](results)
    if fmt == "json":
        data = json.loads(text)
        assert data["complete"] is False and data["interrupted"] == "SIGINT"
        return
    assert "interrupted by SIGINT" in text, fmt
    assert "incomplete" in text.lower(), fmt


def test_the_results_document_says_complete_false_and_names_the_signal(
        results: Results) -> None:
    results.interrupted = "SIGTERM"
    data = results.to_dict()
    assert data["complete"] is False and data["interrupted"] == "SIGTERM"
    assert schema_problems(json.loads(json.dumps(data))) == []
    again = Results.from_dict(data)
    assert again.interrupted == "SIGTERM" and not again.complete


def test_exit_code_is_128_plus_the_signal(results: Results) -> None:
    results.interrupted = "SIGINT"
    assert exit_code(results) == 130
    results.interrupted = "SIGTERM"
    assert exit_code(results) == 143


def test_junit_and_sarif_carry_it_as_an_error(results: Results) -> None:
    results.interrupted = "SIGINT"
    text = renderers()["junit"](results)
    root = ET.fromstring(text)
    harness = root.find("testsuite[@name='oci-conform harness']")
    assert harness is not None and harness.get("errors") == "1"
    sarif = json.loads(renderers()["sarif"](results))
    inv = sarif["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert "interrupted by SIGINT" in inv["toolExecutionNotifications"][0]["message"]["text"]


def test_junit_of_an_interrupted_run_is_valid_against_the_xsd(results: Results) -> None:
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema (test extra) is not installed")
    results.interrupted = "SIGTERM"
    xmlschema.XMLSchema(str(shared_file("junit-10.xsd"))).validate(renderers()["junit"](results))
