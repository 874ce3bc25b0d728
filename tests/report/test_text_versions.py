"""The terminal matrix shows each column's implementation version under its name, shortened
so the table stays readable, with the full text in a legend under the table."""
from __future__ import annotations

from dataclasses import replace

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.report import text
from oci_conform.report.versions import WIDTH, legend, short_version
from tests.report.conftest import sample_results


def test_short_versions_keep_the_number() -> None:
    assert short_version("runc version 1.1.5") == "1.1.5"
    assert short_version("Docker version 20.10.24+dfsg1, build 297e128") == "20.10.24+dfsg1"
    assert short_version("oras-py 0.2.43") == "0.2.43"
    assert short_version("0.0~20221219.0") == "0.0~20221219.0"
    assert short_version("skopeo version 1.9.3; umoci version 0.4.7") == "1.9.3…"
    assert short_version("script") == "script"
    assert short_version("") == short_version("   ") == ""
    long = short_version("1.2.3-0.20221219.git" + "a" * 40)
    assert len(long) == WIDTH and long.endswith("…")


def test_the_legend_names_only_what_the_headers_cut() -> None:
    impls = [Implementation("runc", "runtime", version="runc version 1.1.5"),
             Implementation("oras", "registry-client", version="oras-py 0.2.43"),
             Implementation("docker", "registry-client",
                            version="Docker version 20.10.24+dfsg1, build 297e128"),
             Implementation("oci-layout", "image-format",
                            version="skopeo version 1.9.3; umoci version 0.4.7"),
             Implementation("gone", "runtime", version="9.9 with more", available=False)]
    assert legend(impls) == [
        "versions in full:",
        "  docker      Docker version 20.10.24+dfsg1, build 297e128",
        "  oci-layout  skopeo version 1.9.3; umoci version 0.4.7"]


def test_the_matrix_header_has_a_version_line_and_the_legend_the_full_text() -> None:
    results = sample_results()
    docker = Implementation("docker", "registry-client", "docker:/usr/bin/docker",
                            "Docker version 20.10.24+dfsg1, build 297e128")
    results.implementations.append(docker)
    results.results.append(CaseResult("dist.pull.manifest.1", "docker", Outcome.FAIL, "pull",
                                      "no"))
    table = text.matrix_table(results, text.VERBOSE)
    lines = table.splitlines()
    names, versions, rule = lines[0], lines[1], lines[2]
    assert set(rule) <= {"-", " "}
    for impl in results.implementations:
        start = names.index(impl.name)
        shown = short_version(impl.version) if impl.available else ""
        # the version sits under its column's name; an unavailable column shows none
        assert versions[start:].split("  ")[0].strip() == shown, (impl.name, versions)
    assert "20.10.24+dfsg1" in versions and "build" not in versions
    assert "  docker  Docker version 20.10.24+dfsg1, build 297e128" in lines
    # no version text is wider than its header's short form allows
    assert max(len(short_version(i.version)) for i in results.implementations) <= WIDTH
    # the whole output carries it too (the matrix command and report render print this)
    assert "versions in full:" in text.render(results)


def test_columns_without_a_version_keep_a_one_line_header() -> None:
    results = sample_results()
    results.implementations[:] = [replace(i, version="") for i in results.implementations]
    table = text.matrix_table(results, text.VERBOSE)
    assert table.splitlines()[1].startswith("---") and "versions in full" not in table
