import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token

from leaderboard.models import LanguageModel, Submission
from tests.factories import make_adder_problem, solution
from tests.workers import enamel_json, use_test_queue

pytestmark = pytest.mark.django_db
URL = "/api/submissions"


@pytest.fixture
def user(settings, redis_server, tmp_path):
    use_test_queue(settings, redis_server, tmp_path)
    make_adder_problem(0)
    make_adder_problem(1)
    return get_user_model().objects.create_user("ada", password="a-long enough passphrase 42")


@pytest.fixture
def token(user) -> str:
    return Token.objects.create(user=user).key


def upload(client: Client, token: str | None, data: bytes | None = None, **fields):
    data = enamel_json({0: [solution(0)], 1: [solution(1)]}) if data is None else data
    headers = {"Authorization": f"Token {token}"} if token else {}
    body = {"file": SimpleUploadedFile("samples.json", data), "model": "Tiny Coder", **fields}
    return client.post(URL, body, headers=headers)


def test_token_upload_is_queued(client: Client, user, token: str) -> None:
    response = upload(client, token, organisation="Lab", temperature="0.8", notes="n=1")
    assert response.status_code == 201
    submission = Submission.objects.get()
    body = response.json()
    assert body["id"] == submission.pk
    assert body["status"] == "queued"
    assert body["status_url"] == f"http://testserver/submissions/{submission.pk}/status/"
    assert body["api_url"] == f"http://testserver/api/submissions/{submission.pk}"
    assert submission.submitter == user
    assert (submission.temperature, submission.notes) == (0.8, "n=1")
    assert submission.model.organisation == "Lab"


def test_an_existing_model_is_found_by_name_or_slug(client: Client, token: str) -> None:
    model = LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")
    assert upload(client, token, model="coder 7b").status_code == 201
    assert upload(client, token, model="coder-7b").status_code == 201
    assert list(Submission.objects.values_list("model", flat=True)) == [model.pk, model.pk]
    assert LanguageModel.objects.count() == 1


def test_no_credentials_is_401(client: Client, user) -> None:
    response = upload(client, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not Submission.objects.exists()


def test_wrong_token_is_401(client: Client, user) -> None:
    assert upload(client, "0" * 40).status_code == 401


def test_session_without_csrf_token_is_403(user) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = upload(client, None)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (enamel_json({5: [solution(0)]}), "HumanEval/5: unknown task id"),
        (enamel_json({0: [solution(0)] * 201}), "201 samples, at most 200 allowed"),
        ("\u00a0\n".encode(), "file is empty"),  # once a 500
        (b'[["def f(): pass\\ud800"]]', "code contains a lone surrogate"),  # once stored
    ],
    ids=["garbage", "unknown-task", "too-many-samples", "unicode-blank", "surrogate"],
)
def test_bad_file_is_400_with_one_line(client: Client, token: str, data: bytes, message: str):
    response = upload(client, token, data)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert message in detail and "\n" not in detail
    assert not Submission.objects.exists()
    assert not LanguageModel.objects.exists()  # the new model went with the bad file


def test_file_over_the_size_limit_is_400(client: Client, token: str, settings) -> None:
    settings.MAX_UPLOAD_BYTES = 50
    response = upload(client, token)
    assert response.status_code == 400
    assert "larger than" in response.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "what"),
    [
        ({"model": "Coder\x1b[31m 7B"}, "A model name"),
        ({"model": "Two\nlines"}, "A model name"),
        ({"model": "Line\u2028separator"}, "A model name"),
        ({"model": "Coder 7B", "organisation": "Acme\nInc"}, "An organisation"),
    ],
    ids=["name-escape", "name-newline", "name-separator", "organisation-newline"],
)
def test_names_with_control_characters_are_400(client: Client, token: str, fields: dict,
                                               what: str) -> None:
    # A name shows on one line in pages, exports and terminals.
    response = upload(client, token, **fields)
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"{what} cannot contain control characters or line breaks."
    )
    assert not Submission.objects.exists()
    assert not LanguageModel.objects.exists()


def test_missing_fields_are_400(client: Client, token: str) -> None:
    response = client.post(URL, {}, headers={"Authorization": f"Token {token}"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "file:" in detail and "model:" in detail


def test_rate_limit_is_429_shared_with_the_form(client: Client, user, token, settings) -> None:
    settings.UPLOAD_RATE_LIMIT = "2/hour"
    model = LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")
    # One upload through the web form counts as much as one through the API.
    Submission.objects.create(model=model, upload_name="x.json", submitter=user)
    assert upload(client, token).status_code == 201
    response = upload(client, token)
    assert response.status_code == 429
    assert "limit of 2 uploads per hour" in response.json()["detail"]
    assert int(response["Retry-After"]) > 3000
    assert Submission.objects.count() == 2


def test_get_is_not_allowed(client: Client, token: str) -> None:
    assert client.get(URL, headers={"Authorization": f"Token {token}"}).status_code == 405
