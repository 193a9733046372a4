"""The charts in a real browser: plotly.js from our static files draws the embedded figures."""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.site_data import add_result, make_model, make_problem, make_submission, make_tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_heatmap_and_compare_charts_draw(live_server, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    math = make_tag("math")
    problems = [make_problem(0, math), make_problem(1)]
    for name, effs in [("<b>Bold</b>", [0.9, 0.4]), ("Plain", [0.3, 0.6])]:
        submission = make_submission(make_model(name))
        for problem, eff in zip(problems, effs, strict=True):
            add_result(submission, problem, [eff])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server.url}/")
            heatmap = page.locator('[data-figure="tag-heatmap"]')
            expect(heatmap).to_be_visible()
            expect(heatmap.locator("svg.main-svg").first).to_be_attached()
            # The escaped label shows the name as typed, not as bold markup.
            expect(heatmap.get_by_text("<b>Bold</b>")).to_have_count(1)
            page.goto(f"{live_server.url}/compare/")
            for figure in ("win-rates", "eff-pass"):
                expect(
                    page.locator(f'[data-figure="{figure}"] svg.main-svg').first
                ).to_be_attached()
            assert errors == []
        finally:
            browser.close()
