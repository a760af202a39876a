"""The web UI in a real browser: headless Chromium (Debian's package) driven by Playwright.

The Jobs page lists a finished and a failed job, a job's DAG renders as SVG, a stage shows
its task table, the Executors page links to logs that open, and a page moves while a job runs
without being reloaded. Screenshots are saved under ``$SPARKLITE_TEST_ARTIFACTS`` (default:
the test's tmp dir). Marked ``browser``; skipped when Chromium or Playwright is missing.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import threading

import pytest

from sparklite import SparkConf, SparkContext

CHROMIUM = os.environ.get("SPARKLITE_CHROMIUM", "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
                                 reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> pathlib.Path:
    target = os.environ.get("SPARKLITE_TEST_ARTIFACTS")
    path = pathlib.Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    conf = SparkConf(loadDefaults=False).setAll([
        ("sparklite.driver.allowMultipleContexts", "true"), ("sparklite.testing", "true"),
        ("spark.ui.port", "0"), ("spark.app.name", "wordcount")])
    sc = SparkContext("local[2]", conf=conf)
    assert sc._runtime.wait_for_executors(2, 60)
    text = tmp_path_factory.mktemp("words") / "words.txt"
    text.write_text("the quick brown fox jumps over the lazy dog\n" * 500)

    def shout(line):
        import sys

        print("browser-log-marker", file=sys.stderr, flush=True)
        return line

    from operator import add

    counts = sc.textFile(str(text), 4).map(shout).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add)
    assert dict(counts.collect())["the"] == 1000

    def boom(x):
        raise ValueError("a failing task")

    with pytest.raises(Exception, match="a failing task"):
        sc.parallelize(range(2), 2).map(boom).count()
    yield sc
    sc.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    import psutil

    import conftest

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    me = psutil.Process()
    before = {c.pid for c in me.children()}
    with playwright_api.sync_playwright() as p:
        # Playwright's driver and the browser under it live for the module, not one test
        driver = {c.pid for c in me.children()} - before
        conftest.LONG_LIVED_ROOTS.update(driver)
        # a fresh profile directory each run (Playwright passes it as --user-data-dir)
        context = p.chromium.launch_persistent_context(str(profile), executable_path=executable, args=ARGS,
                                                       headless=True, viewport={"width": 1280, "height": 900})
        yield context
        context.close()
    conftest.LONG_LIVED_ROOTS.difference_update(driver)


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    yield tab
    tab.close()


def test_jobs_page_lists_a_finished_and_a_failed_job(app, page, artifacts):
    page.goto(app.uiWebUrl + "/jobs/")
    completed = page.locator("#completedJob-table tbody tr")
    failed = page.locator("#failedJob-table tbody tr")
    assert completed.count() == 1 and failed.count() == 1
    assert "collect at test_ui_browser.py" in completed.first.inner_text()
    assert "FAILED" in failed.first.inner_text() and "count at test_ui_browser.py" in failed.first.inner_text()
    assert page.locator("svg.timeline rect.timeline-job").count() == 2
    page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)


def test_a_jobs_dag_renders_as_svg(app, page, artifacts):
    page.goto(app.uiWebUrl + "/jobs/")
    page.locator("#completedJob-table a").first.click()
    page.wait_for_url("**/jobs/job/?id=0")
    dag = page.locator("svg.dag")
    box = dag.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 50
    assert page.locator("svg.dag g.stage").count() == 2
    assert page.locator("svg.dag g.rdd").count() >= 3
    assert page.locator("svg.dag path.edge.shuffle").count() == 1
    assert "reduceByKey at test_ui_browser.py" in page.locator("svg.dag").inner_html()
    page.screenshot(path=str(artifacts / "job-dag.png"), full_page=True)


def test_a_stage_shows_its_task_table(app, page, artifacts):
    page.goto(app.uiWebUrl + "/stages/")
    page.locator("#completeStage-table a", has_text="reduceByKey").first.click()
    page.wait_for_url("**/stages/stage/?id=0&attempt=0")
    rows = page.locator("#task-table tbody tr")
    assert rows.count() == 4
    assert all("SUCCESS" in rows.nth(i).inner_text() for i in range(4))
    summary = page.locator("#task-summary-table").inner_text()
    assert "Median" in summary and "Shuffle Write Size / Records" in summary
    page.screenshot(path=str(artifacts / "stage.png"), full_page=True)


def test_the_executors_page_links_to_logs_that_open(app, page, artifacts):
    page.goto(app.uiWebUrl + "/executors/")
    links = page.locator("#executors-table a", has_text="stderr")
    assert links.count() == 2
    texts = []
    for i in range(2):
        page.goto(app.uiWebUrl + "/executors/")
        page.locator("#executors-table a", has_text="stderr").nth(i).click()
        page.wait_for_selector("pre#log")
        texts.append(page.locator("pre#log").inner_text())
    assert sum(t.count("browser-log-marker") for t in texts) == 500  # one per line of the text file
    page.screenshot(path=str(artifacts / "executor-log.png"), full_page=True)
    page.goto(app.uiWebUrl + "/executors/")
    page.screenshot(path=str(artifacts / "executors.png"), full_page=True)


def test_the_jobs_page_moves_while_a_job_runs(app, page, tmp_path):
    gate = tmp_path / "gate"

    def held(x):
        import os
        import time

        deadline = time.monotonic() + 60
        while not os.path.exists(str(gate)) and time.monotonic() < deadline:
            time.sleep(0.02)
        return x

    runner = threading.Thread(target=lambda: app.parallelize(range(2), 2).map(held).count())
    runner.start()
    try:
        page.goto(app.uiWebUrl + "/jobs/")
        page.wait_for_selector("text=Active Jobs (1)", timeout=30_000)
        gate.write_text("go")
        # no reload: the page's script swaps in fresh content
        page.wait_for_selector("text=Completed Jobs (2)", timeout=30_000)
        assert page.locator("#activeJob-table tbody tr").count() == 0
    finally:
        gate.write_text("go")
        runner.join(60)
