"""The HTML report in a real headless Chromium (Debian's /usr/bin/chromium through Playwright).

The results are SYNTHETIC (tests/report/conftest.py): every outcome, file findings, runtime and
HTTP evidence, an unknown clause, hostile strings. Set OCI_CONFORM_SCREENSHOT=1 to keep the
screenshot in reports/report-screenshot.png (else it goes to pytest's tmp folder).
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oci_conform.model.outcome import Outcome
from oci_conform.model.rollup import cell_outcomes
from oci_conform.report import html as html_report
from tests.report.conftest import REPO, sample_results

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright (test extra) is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": 1400, "height": 1000})
        try:
            yield ctx
        finally:
            ctx.close()


def _hostile():
    res = sample_results()
    res.implementations[0].command = '</script><script>alert("cmd")</script>'
    res.results[5].message = "</script><img src=x onerror=alert(1)>"
    return res


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html_report.render(_hostile()), encoding="utf-8")
    return path


class Watched:
    """A page plus everything it asked the network for and every console error."""

    def __init__(self, ctx: Any, page_url: str):
        self.page = ctx.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page_url = page_url

    def open(self, query: str = "") -> Any:
        self.page.goto(self.page_url + query)
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        return self.page

    def visible_rows(self) -> int:
        return int(self.page.get_attribute("body", "data-visible-rows"))

    def rendered_clause_ids(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "#matrix-body tr.row:not([hidden]) .clause-id", "els => els.map(e => e.textContent)")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def watched(browser_context: Any, report_file: Path) -> Iterator[Watched]:
    w = Watched(browser_context, report_file.as_uri())
    yield w
    w.close()


def wait_url(page: Any, pred) -> str:
    """The page URL once ``pred`` holds (filter changes write the URL after a short pause)."""
    for _ in range(50):
        url = page.evaluate("location.href")
        if pred(url):
            return url
        page.wait_for_timeout(100)
    raise AssertionError(f"URL never matched: {url}")


def _expected_rows(pred) -> int:
    res = _hostile()
    cells = cell_outcomes(res)
    clauses = {c for c, _ in cells}
    return sum(1 for c in clauses if pred({i: o for (cc, i), o in cells.items() if cc == c}))


def test_loads_offline_without_errors(watched: Watched, report_file: Path) -> None:
    page = watched.open()
    assert watched.errors == []
    assert watched.dialogs == []                       # hostile strings did not run
    assert all(url.startswith("file://") for url in watched.requests), watched.requests
    assert len(watched.requests) == 1                  # the page itself, nothing else
    assert watched.visible_rows() == 7
    assert len(watched.rendered_clause_ids()) == 7
    assert page.inner_text("#matrix-head").count("1.1.5") == 1


def test_filters_change_rows_and_url_and_survive_reload(watched: Watched) -> None:
    page = watched.open()
    page.click("#f-outcome .chip[data-value=fail]")
    want = _expected_rows(lambda cells: Outcome.FAIL in cells.values())
    assert watched.visible_rows() == want == len(watched.rendered_clause_ids())
    wait_url(page, lambda u: "outcome=fail" in u)
    page.select_option("#f-spec", "runtime-spec")
    assert set(watched.rendered_clause_ids()) == {"rt.runtime.state.1", "rt.config.process.1"}
    page.fill("#f-q", "cwd")
    assert watched.rendered_clause_ids() == ["rt.config.process.1"]
    wait_url(page, lambda u: "q=cwd" in u and "spec=runtime-spec" in u)
    assert "(1 of 3 clauses)" in page.inner_text("#matrix-body tr.group.spec")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert watched.rendered_clause_ids() == ["rt.config.process.1"]
    assert page.input_value("#f-q") == "cwd"
    assert page.input_value("#f-spec") == "runtime-spec"
    assert page.get_attribute("#f-outcome .chip[data-value=fail]", "aria-pressed") == "true"
    page.click("#f-reset")
    assert watched.visible_rows() == 7
    wait_url(page, lambda u: "?" not in u)
    assert watched.errors == []


def test_level_differ_and_implementation_filters(watched: Watched) -> None:
    page = watched.open()
    page.select_option("#f-level", "SHOULD")
    assert watched.rendered_clause_ids() == ["rt.config.process.1"]
    page.select_option("#f-level", "")
    page.check("#f-differ")
    differ = _expected_rows(lambda cells: len(set(cells.values())) > 1)
    assert watched.visible_rows() == differ
    assert "img.manifest.layers.1" not in watched.rendered_clause_ids()   # n/a on both
    page.uncheck("#f-differ")
    page.select_option("#f-spec", "distribution-spec")
    page.check("#f-compact")                       # only the registry has results there
    assert page.is_visible("#matrix-head th.c2") and not page.is_visible("#matrix-head th.c0")
    wait_url(page, lambda u: "compact=1" in u)
    page.uncheck("#f-compact")
    page.select_option("#f-spec", "")
    assert page.is_visible("#matrix-head th.c0")
    page.click("#f-impl .chip[data-value=registry]")
    wait_url(page, lambda u: "impl=registry" in u)
    assert page.is_visible("#matrix-head th.c2") and not page.is_visible("#matrix-head th.c0")
    page.click("#f-outcome .chip[data-value=pass]")
    assert watched.rendered_clause_ids() == ["dist.pull.ghost.9"]


def test_cell_opens_its_evidence_by_click_and_keyboard(watched: Watched) -> None:
    page = watched.open()
    page.click("#matrix-body tr.row:has(.clause-id:text-is('rt.runtime.state.1')) td.c1")
    panel = page.locator("#panel")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "rt.runtime.state.1 on crun" in text and "id is absent" in text
    assert "container <c1> does not exist" in text and "runc --root /tmp/r state c1" in text
    assert page.get_attribute("#panel a", "href").startswith("https://example.invalid/")
    assert "cell=rt.runtime.state.1%40crun" in page.url
    page.keyboard.press("Escape")
    assert not panel.is_visible() and "cell=" not in page.url
    cell = page.locator("#matrix-body tr.row:has(.clause-id:text-is('rt.runtime.state.1')) td.c0")
    cell.focus()
    page.keyboard.press("ArrowDown")               # rt.runtime.state.2 on runc
    page.keyboard.press("ArrowRight")              # ... on crun
    page.keyboard.press("Enter")
    assert "rt.runtime.state.2 on crun" in panel.inner_text()
    assert "expected to fail in crun 1.8" in panel.inner_text()
    page.keyboard.press("Escape")
    page.click("#matrix-body tr.row:has(.clause-id:text-is('dist.pull.manifest.1')) td.c2")
    text = panel.inner_text()
    assert "HTTP exchanges (1)" in text and "MANIFEST_UNKNOWN" in text and "404" in text
    page.click("#panel-close")
    page.click("#matrix-body tr.row:has(.clause-id:text-is('rt.runtime.state.2')) td.c0")
    assert "runc 1.1.5 reports stopped; known bug" in panel.inner_text()
    page.goto(watched.page_url + "?cell=rt.config.process.1%40crun")   # a link to one cell
    page.wait_for_selector("body[data-ready=true]")
    assert "<img src=x onerror=alert(1)>" in panel.inner_text()
    assert watched.errors == [] and watched.dialogs == []


def test_groups_collapse_and_screenshot(watched: Watched, tmp_path: Path) -> None:
    page = watched.open()
    page.click("#matrix-body tr.group.doc:has-text('runtime') td.first >> nth=0")
    assert "rt.runtime.state.1" not in watched.rendered_clause_ids()
    page.click("#f-expand")
    assert "rt.runtime.state.1" in watched.rendered_clause_ids()
    target = tmp_path / "report.png"
    if os.environ.get("OCI_CONFORM_SCREENSHOT"):
        target = REPO / "reports" / "report-screenshot.png"
        target.parent.mkdir(exist_ok=True)
    page.click("#matrix-body tr.row:has(.clause-id:text-is('rt.runtime.state.1')) td.c1")
    page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 20_000


def test_screenshot_of_the_default_run(browser_context: Any, tmp_path: Path) -> None:
    """OCI_CONFORM_SCREENSHOT=1 (reports/results.json) or =PATH/results.json: the README's PNG.

    Writes reports/screenshot.png: the report of a real run, as a reader first sees it.
    """
    wanted = os.environ.get("OCI_CONFORM_SCREENSHOT", "")
    source = REPO / "reports" / "results.json" if wanted in ("", "1") else Path(wanted)
    if not wanted or not source.is_file():
        pytest.skip("set OCI_CONFORM_SCREENSHOT=1 after `oci-conform matrix` wrote "
                    "reports/results.json (or to a results.json path) to shoot its report")
    from oci_conform.results_file import load_results
    page_file = tmp_path / "report.html"
    page_file.write_text(html_report.render(load_results(source)), encoding="utf-8")
    w = Watched(browser_context, page_file.as_uri())
    try:
        page = w.open("?spec=runtime-spec&outcome=fail,error,xpass&compact=1")  # needs a reader
        page.set_viewport_size({"width": 1400, "height": 1800})
        page.wait_for_timeout(300)                     # the matrix fills the taller window
        target = REPO / "reports" / "screenshot.png"
        page.screenshot(path=str(target), full_page=False)
        page.set_viewport_size({"width": 1400, "height": 1000})
        assert w.errors == [] and target.stat().st_size > 20_000
    finally:
        w.close()


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("report_html_bench",
                                                  REPO / "benchmarks" / "report_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_large_matrix_renders_virtually(browser_context: Any, tmp_path: Path) -> None:
    results = _benchmark_module().synthetic(2000, 10)
    path = tmp_path / "big.html"
    path.write_text(html_report.render(results), encoding="utf-8")
    w = Watched(browser_context, path.as_uri())
    try:
        page = w.open()
        assert w.visible_rows() == 2000
        in_dom = page.locator("#matrix-body tr.row").count()
        assert 0 < in_dom < 200                         # only rows near the viewport exist
        last = max(results.clauses.values(), key=lambda c: (c.spec, c.document, c.id)).id
        page.eval_on_selector("#scroller", "s => s.scrollTop = s.scrollHeight")
        page.wait_for_function(
            "(last) => document.querySelector('#matrix-body').textContent.includes(last)",
            arg=last)
        assert page.locator("#matrix-body tr.row").count() < 200
        page.fill("#f-q", "rule-01999")
        assert w.rendered_clause_ids() == [c for c in results.clauses if "rule-01999" in c]
        assert w.errors == []
    finally:
        w.close()



def test_a_cell_beyond_the_claimed_version_is_marked(browser_context: Any,
                                                     tmp_path: Path) -> None:
    res = sample_results()
    res.results[1].beyond_claim = "since 1.2.0; crun claims 1.0.0"      # state.1 on crun: fail
    path = tmp_path / "beyond.html"
    path.write_text(html_report.render(res), encoding="utf-8")
    w = Watched(browser_context, path.as_uri())
    try:
        page = w.open()
        cell = "#matrix-body tr.row:has(.clause-id:text-is('rt.runtime.state.1')) td.c1"
        assert page.inner_text(cell + " .beyond") == "†"
        assert page.get_attribute(cell + " .beyond", "title") == "beyond claimed version"
        assert "beyond claimed version, not counted" in page.inner_text("body")
        page.click(cell)
        assert "since 1.2.0; crun claims 1.0.0" in page.locator("#panel").inner_text()
        assert w.errors == []
    finally:
        w.close()
