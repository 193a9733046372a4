import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long enough passphrase 42"


def signup(client: Client, username: str = "ada", **extra) -> object:
    return client.post(
        reverse("signup"),
        {"username": username, "password1": PASSWORD, "password2": PASSWORD, **extra},
    )


def test_form_renders(client: Client) -> None:
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    assert b'name="password1"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_signup_creates_the_user_and_logs_them_in(client: Client) -> None:
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(username="ada")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_follows_a_local_next(client: Client) -> None:
    assert signup(client, next="/submit")["Location"] == "/submit"


def test_signup_ignores_a_foreign_next(client: Client) -> None:
    assert signup(client, next="https://evil.example/")["Location"] == "/"


def test_mismatched_passwords_show_an_inline_error(client: Client) -> None:
    response = client.post(
        reverse("signup"),
        {"username": "ada", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not get_user_model().objects.exists()


def test_taken_username_is_refused(client: Client) -> None:
    get_user_model().objects.create_user("ada", password=PASSWORD)
    response = signup(client)
    assert response.status_code == 200
    assert b"already exists" in response.content


def test_username_is_escaped(client: Client) -> None:
    response = client.post(
        reverse("signup"),
        {"username": "<script>x", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert b"<script>x" not in response.content


def test_login_and_logout(client: Client) -> None:
    get_user_model().objects.create_user("ada", password=PASSWORD)
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert client.get(reverse("logout")).status_code == 405  # logging out takes a POST
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_page_renders(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_signup_enforces_csrf() -> None:
    client = Client(enforce_csrf_checks=True)
    assert signup(client).status_code == 403
    assert not get_user_model().objects.exists()
