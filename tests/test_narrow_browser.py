"""In a real browser: every page at 420 px wide scrolls only vertically; the token page shows a
key once; a duplicate upload is flagged. Headless Debian Chromium driven by Playwright."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from leaderboard.models import Submission
from tests.factories import make_problem, solution
from tests.site_data import add_result, make_model, make_submission, make_tag
from tests.workers import enamel_json, use_test_queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "a-long enough passphrase 42"
LONG_NAME = "Meta-Llama-3.1-405B-Instruct-Turbo-with-a-very-long-suffix"
# The text of each .date element that the browser laid out on more than one line.
WRAPPED_DATES = """[...document.querySelectorAll('.date')].filter(element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size > 1;
}).map(element => element.textContent.trim())"""


@pytest.fixture
def browser_page(live_server, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 420, "height": 800})
        context.set_default_timeout(30_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            connections.close_all()  # see test_e2e_browser


def log_in(page: Page, base: str, username: str = "ada") -> None:
    get_user_model().objects.create_user(username, password=PASSWORD)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=f"Log out {username}")).to_be_visible()


def test_every_page_fits_420_px(browser_page: Page, live_server) -> None:
    page = browser_page
    tag = make_tag("dynamic-programming")
    problems = [make_problem(i, tag) for i in range(3)]
    submissions = []
    for n, name in enumerate([LONG_NAME, "Coder 7B", "Tiny"]):
        submission = make_submission(make_model(name, organisation="A Lab"))
        for problem in problems:
            add_result(submission, problem, [0.3 + 0.2 * n, None, 0.9])
        submissions.append(submission)
    log_in(page, live_server.url)
    Submission.objects.filter(pk=submissions[0].pk).update(
        submitter=get_user_model().objects.get(username="ada")
    )
    first = submissions[0].pk
    paths = [
        "/", "/compare/", "/problems/", "/problems/humaneval-0/", "/hardest/",
        f"/models/{submissions[0].model.slug}/", f"/submissions/{first}/",
        f"/submissions/{first}/samples/0/1/", f"/submissions/{first}/status/",
        "/submit", "/submissions/mine/", "/accounts/token/", "/accounts/signup/",
        "/methodology/", "/api/docs/",
    ]
    too_wide, wrapped_dates, dates = {}, {}, 0
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 420:
            too_wide[path] = width
        dates += page.locator(".date").count()
        if wrapped := page.evaluate(WRAPPED_DATES):
            wrapped_dates[path] = wrapped
    assert too_wide == {}
    assert dates >= 5 and wrapped_dates == {}


def test_token_is_shown_once_then_revoked(browser_page: Page, live_server) -> None:
    page = browser_page
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_role("link", name="API token").first.click()  # the sign-up text's promise
    log_in(page, live_server.url)
    page.get_by_role("link", name="API token").click()
    page.get_by_role("button", name="Create a token").click()
    key = page.locator("#token-key").inner_text()
    assert len(key) == 40

    page.goto(f"{live_server.url}/accounts/token/")  # coming back shows no key
    expect(page.get_by_text("You have a token")).to_be_visible()
    assert key not in page.content()

    page.get_by_role("button", name="Revoke it").click()
    expect(page.get_by_text("You have no token")).to_be_visible()


def test_duplicate_upload_is_flagged(
    browser_page: Page, live_server, settings, redis_server, tmp_path
) -> None:
    use_test_queue(settings, redis_server, tmp_path)
    page = browser_page
    make_problem(0)
    samples = tmp_path / "samples.json"
    samples.write_bytes(enamel_json({0: [solution(0)]}))
    log_in(page, live_server.url)

    def upload(new_model: str = "") -> None:
        page.goto(f"{live_server.url}/submit")
        page.set_input_files("input[name=file]", samples)
        if new_model:
            page.fill("input[name=new_model]", new_model)
        else:
            page.select_option("select[name=model]", label="Tiny Coder")
        page.get_by_role("button", name="Upload").click()

    upload("Tiny Coder")
    expect(page).to_have_url(f"{live_server.url}/submissions/{Submission.objects.get().pk}/status/")
    earlier = Submission.objects.get()

    upload()
    duplicate = page.locator("#duplicate")
    expect(duplicate).to_be_visible()
    expect(duplicate.get_by_role("link", name=f"submission #{earlier.pk}")).to_be_visible()
    assert Submission.objects.count() == 1

    # The form came back with the model chosen and the checkbox offered; the file is
    # chosen again, as a browser never keeps one across pages.
    page.set_input_files("input[name=file]", samples)
    page.check("input[name=evaluate_again]")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-field=status]")).to_have_text("queued")
    assert Submission.objects.count() == 2
