"""/methodology/: what the numbers mean, with the settings the site really evaluates with."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_page_covers_each_topic_and_is_in_the_nav(client: Client) -> None:
    html = client.get(reverse("leaderboard:methodology")).content.decode()
    for anchor in ("eff-at-k", "settings", "timing", "sandbox", "noise", "locally", "cite"):
        assert f'<h2 id="{anchor}">' in html and f'href="#{anchor}"' in html
    assert f'href="{reverse("leaderboard:methodology")}" aria-current="page"' in html
    assert "faster than the\nexpert reference" in html
    assert "@inproceedings{qiu2025enamel" in html


def test_settings_come_from_the_evaluation_settings(client: Client, settings) -> None:
    settings.EVALUATION = {"seed": 12345, "repetitions": 9, "ks": (1, 5)}
    html = client.get(reverse("leaderboard:methodology")).content.decode()
    assert "<dd>12345</dd>" in html
    assert "<dd>9 per test on weighted levels" in html
    assert "<dd>1, 5</dd>" in html
    assert "<dd>4 GiB</dd>" in html
