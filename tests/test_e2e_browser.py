"""The whole journey in a real browser: sign up, upload, watch the evaluation, find the model
on the leaderboard once published, download the CSV. Real Redis, a real worker process and
headless Debian Chromium driven by Playwright."""

import re
from pathlib import Path

import pandas as pd
import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from leaderboard.models import Submission
from tests.factories import make_adder_problem, solution
from tests.workers import enamel_json, running_workers, use_test_queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "a-long enough passphrase 42"


@pytest.fixture
def page(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM
    # calls are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True)
        context.set_default_timeout(30_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # Under Playwright's sync API (greenlets) the test's ORM calls run in a context of
            # their own, where Django opens a connection that pytest-django's teardown does
            # not close: on PostgreSQL it kept the test database busy when it was dropped.
            connections.close_all()


def test_upload_watch_publish_and_download(page, live_server, settings, redis_server, tmp_path):
    worker_env = use_test_queue(settings, redis_server, tmp_path)
    for i in range(3):
        make_adder_problem(i)
    samples = tmp_path / "samples.json"
    samples.write_bytes(enamel_json({i: [solution(i)] for i in range(3)}))

    page.goto(f"{live_server.url}/accounts/signup/?next=/submit")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{live_server.url}/submit")

    page.set_input_files("input[name=file]", samples)
    page.fill("input[name=new_model]", "Tiny Coder")
    page.fill("input[name=organisation]", "Test Lab")
    page.fill("input[name=parameters_billions]", "1.5")
    page.check("input[name=open_weights]")
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+/status/$"))
    expect(page.locator("[data-field=status]")).to_have_text("queued")

    # No reloads from here: progress.js polls the API and reloads once the work is done.
    with running_workers(1, worker_env, tmp_path):
        expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=120_000)
    progress = page.locator("progress")
    assert float(progress.get_attribute("value")) == float(progress.get_attribute("max")) == 100
    expect(page.locator("[data-field=percent]")).to_have_text("100")
    expect(page.locator("[data-field=status]")).to_have_text("done")
    expect(page.get_by_text("pending until an admin publishes it")).to_be_visible()

    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="Tiny Coder")).to_have_count(0)
    # An admin publishes it.
    submission = Submission.objects.get()
    submission.visibility = Submission.Visibility.PUBLISHED
    submission.save()

    page.reload()
    expect(page.get_by_role("link", name="Tiny Coder").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    table = pd.read_csv(download.value.path())
    row = table.set_index("model").loc["Tiny Coder"]
    assert row["organisation"] == "Test Lab"
    assert row["pass@1"] == 1.0
    # Faster than the reference scores above 1, up to alpha / (alpha - 1) = 2.
    assert 0 < row["eff@1"] <= 2
    assert row["submission_id"] == submission.pk
