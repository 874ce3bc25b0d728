"""The catalog loader refuses bad data files with a message naming the place; the shipped
catalog loads and the ``clauses`` command prints it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from oci_conform import cli
from oci_conform.catalog.loader import SPECS_FILE, CatalogError, load_catalog

GOOD_CLAUSE = """
[[clause]]
id = "image.test.rule.1"
anchor = "rule"
level = "MUST"
summary = "A test rule written for the loader tests."
"""


def _data(tmp_path: Path, body: str, spec: str = "image-spec",
          name: str = "doc.toml") -> tuple[Path, Path]:
    """A data folder with one file (header + ``body``) and a copy of the shipped specs.toml."""
    data = tmp_path / "data" / spec
    data.mkdir(parents=True, exist_ok=True)
    header = f'spec = "{spec}"\ndocument = "test.md"\ntext = "v1.1.1"\nbinds = "image"\n'
    (data / name).write_text(header + body, encoding="utf-8")
    specs = tmp_path / "specs.toml"
    shutil.copy(SPECS_FILE, specs)
    return tmp_path / "data", specs


def _problems(tmp_path: Path, body: str, **kw: str) -> list[str]:
    data, specs = _data(tmp_path, body, **kw)
    with pytest.raises(CatalogError) as err:
        load_catalog(data, specs)
    return err.value.problems


def test_good_file_loads(tmp_path: Path) -> None:
    data, specs = _data(tmp_path, GOOD_CLAUSE)
    catalog = load_catalog(data, specs)
    clause = catalog.clauses["image.test.rule.1"]
    assert clause.document == "test.md" and clause.text == "v1.1.1" and clause.binds == "image"


def test_duplicate_id_is_rejected(tmp_path: Path) -> None:
    data, specs = _data(tmp_path, GOOD_CLAUSE)
    (data / "image-spec" / "other.toml").write_text(
        'spec = "image-spec"\ndocument = "other.md"\nbinds = "image"\n' + GOOD_CLAUSE)
    with pytest.raises(CatalogError) as err:
        load_catalog(data, specs)
    assert any("duplicate clause id 'image.test.rule.1'" in p for p in err.value.problems)


def test_unknown_level_is_rejected(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD_CLAUSE.replace('"MUST"', '"MUSTN\'T"'))
    assert any("unknown level" in p and "image.test.rule.1" in p for p in problems)


@pytest.mark.parametrize("anchor", ["_leading-underscore", "has space", "", "#hash"])
def test_malformed_anchor_is_rejected(tmp_path: Path, anchor: str) -> None:
    problems = _problems(tmp_path, GOOD_CLAUSE.replace('"rule"', json.dumps(anchor)))
    assert any("anchor" in p and "malformed" in p for p in problems)


def test_unknown_version_is_rejected(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD_CLAUSE + 'since = "9.9.9"\n')
    assert any("since '9.9.9' is not a known image-spec version" in p for p in problems)


@pytest.mark.parametrize("since,until", [("1.1.0", "1.1.0"), ("main", "1.0.0")])
def test_since_not_before_until_is_rejected(tmp_path: Path, since: str, until: str) -> None:
    problems = _problems(tmp_path, GOOD_CLAUSE + f'since = "{since}"\nuntil = "{until}"\n')
    assert any("is not before until" in p for p in problems)


def test_unknown_spec_is_rejected(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD_CLAUSE, spec="no-such-spec")
    assert any("spec 'no-such-spec' is not in specs.toml" in p for p in problems)


@pytest.mark.parametrize("summary", ["", "   ", "two\\nlines", "x" * 241])
def test_bad_summary_is_rejected(tmp_path: Path, summary: str) -> None:
    body = GOOD_CLAUSE.replace('"A test rule written for the loader tests."', f'"{summary}"')
    problems = _problems(tmp_path, body)
    assert any("summary must be one non-empty line" in p for p in problems)


def test_every_problem_is_listed_with_its_place(tmp_path: Path) -> None:
    body = GOOD_CLAUSE.replace('"MUST"', '"NEVER"') + GOOD_CLAUSE.replace(
        "image.test.rule.1", "image.test.rule.2").replace('"rule"', '"bad anchor"')
    problems = _problems(tmp_path, body, name="two.toml")
    assert any("two.toml" in p and "image.test.rule.1" in p for p in problems)
    assert any("two.toml" in p and "image.test.rule.2" in p for p in problems)


def test_shipped_catalog_loads() -> None:
    catalog = load_catalog()
    assert {"image-spec", "distribution-spec"} <= {c.spec for c in catalog.clauses.values()}
    for clause in catalog.clauses.values():
        spec = catalog.specs[clause.spec]
        assert spec.link_for(clause.document, clause.anchor).startswith("https://")


def test_clauses_command_prints_catalog_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["clauses", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    ids = {c["id"] for c in printed["clauses"]}
    assert ids == set(load_catalog().clauses)
    one = next(c for c in printed["clauses"] if c["id"] == "image.descriptor.sha-256.2")
    assert one["level"] == "MUST" and one["link"].endswith("descriptor.md#sha-256")


def test_clauses_command_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["clauses", "--spec", "distribution-spec", "--binds", "client",
                     "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)["clauses"]
    assert printed and all(c["binds"] == "client" and c["spec"] == "distribution-spec"
                           for c in printed)
