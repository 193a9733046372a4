"""The charts in a real browser: plotly.js from our static files draws the embedded figures."""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.factories import make_problem
from tests.site_data import add_result, make_model, make_submission, make_tag

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


def _browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def test_compare_calls_two_evaluations_of_the_same_file_a_tie(live_server, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems = [make_problem(i) for i in range(6)]
    first = [0.80, 0.42, 0.95, 0.10, 0.61, 0.33]
    # The same samples re-run: 5 problems a little higher, one a little lower.
    moves = [0.03, -0.02, 0.04, 0.02, 0.03, 0.05]
    second = [e + m for e, m in zip(first, moves, strict=True)]
    for name, effs in [("Upload 1", first), ("Upload 2", second)]:
        submission = make_submission(make_model(name))
        for problem, eff in zip(problems, effs, strict=True):
            add_result(submission, problem, [eff])
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/compare/?sort=model")
            chart = page.locator('[data-figure="win-rates"]')
            expect(chart.locator("svg.main-svg").first).to_be_attached()
            z = page.evaluate(
                "document.querySelector('[data-figure=\"win-rates\"]').data[0].z"
            )
            assert z == [[None, 50], [50, None]]
            # The drawn cells carry the number: 50, not 83 and 17.
            cells = chart.locator(".heatmaplayer")
            expect(cells.get_by_text("50", exact=True)).to_have_count(2)
            expect(cells.get_by_text("83", exact=True)).to_have_count(0)
            table = page.locator("table.win-rates")
            expect(table).to_contain_text("0–6–0")
        finally:
            browser.close()


def test_values_above_100_percent_are_inside_the_axes(live_server, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problem = make_problem(0)
    for name, effs in [("Faster", [1.13, 1.1]), ("Slower", [0.5, 0.6])]:
        add_result(make_submission(make_model(name)), problem, effs)
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/compare/")
            expect(page.locator('[data-figure="eff-pass"] svg.main-svg').first).to_be_attached()
            top = page.evaluate(
                "document.querySelector('[data-figure=\"eff-pass\"]')._fullLayout.yaxis.range[1]"
            )
            assert top > 111.5  # Faster's eff@1, in percent
            # The marker is drawn inside the plotting area, not clipped away above it.
            inside = page.evaluate("""() => {
                const chart = document.querySelector('[data-figure="eff-pass"]');
                const size = chart._fullLayout._size;
                const top = chart.getBoundingClientRect().top + size.t;
                return [...chart.querySelectorAll('.scatterlayer .point')].map(point => {
                    const box = point.getBoundingClientRect();
                    const y = box.top + box.height / 2;
                    return y >= top && y <= top + size.h;
                });
            }""")
            assert inside == [True, True]
            page.goto(f"{live_server.url}/problems/humaneval-0/")
            boxes = page.locator('[data-figure="problem-efficiency"]')
            expect(boxes.locator("svg.main-svg").first).to_be_attached()
            right = page.evaluate(
                "document.querySelector('[data-figure=\"problem-efficiency\"]')"
                "._fullLayout.xaxis.range[1]"
            )
            assert right > 113
        finally:
            browser.close()
