"""The API token page: signed-in users create a token (shown once), replace and revoke it."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("ada", password="pw"))
    return client


def shown_key(html: str) -> str:
    match = re.search(r'<code id="token-key">([0-9a-f]{40})</code>', html)
    return match.group(1) if match else ""


def test_signed_out_users_are_sent_to_log_in(client: Client) -> None:
    response = client.get(reverse("token"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_signup_page_links_the_token_page(client: Client) -> None:
    assert f'href="{reverse("token")}"' in client.get(reverse("signup")).content.decode()


def test_create_shows_the_key_once_and_it_authenticates(user_client: Client) -> None:
    assert "You have no token" in user_client.get(reverse("token")).content.decode()
    key = shown_key(user_client.post(reverse("token"), {"action": "create"}).content.decode())
    assert key == Token.objects.get(user__username="ada").key

    again = user_client.get(reverse("token")).content.decode()
    assert "You have a token" in again and key not in again

    api = Client()
    response = api.post(reverse("api:submissions"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 400  # authenticated, then refused for the missing file


def test_replace_and_revoke(user_client: Client) -> None:
    first = shown_key(user_client.post(reverse("token"), {"action": "create"}).content.decode())
    second = shown_key(user_client.post(reverse("token"), {"action": "create"}).content.decode())
    assert second and second != first
    assert list(Token.objects.values_list("key", flat=True)) == [second]

    html = user_client.post(reverse("token"), {"action": "revoke"}).content.decode()
    assert not Token.objects.exists() and "You have no token" in html
