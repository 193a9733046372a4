"""The site's template filters: times in sensible units, percents, dict lookups."""

import pytest

from leaderboard.templatetags.effboard import duration, get, percent


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0.0, "0 µs"),
        (1.23e-05, "12.3 µs"),
        (0.000999, "999 µs"),
        (0.0042, "4.2 ms"),
        (0.99999, "1 s"),
        (2.5, "2.5 s"),
        (1234.5, "1230 s"),
    ],
)
def test_duration_picks_the_unit(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_percent_and_get() -> None:
    assert percent(get({"eff@1": 0.1234}, "eff@1")) == "12.3%"
    assert percent(get({}, "eff@1")) == percent(get(None, "eff@1")) == "—"
