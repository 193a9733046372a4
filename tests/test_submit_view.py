import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from leaderboard.models import LanguageModel, Submission
from tests.factories import make_adder_problem, solution
from tests.workers import enamel_json, use_test_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ada", password="a-long enough passphrase 42")


@pytest.fixture
def queue(settings, redis_server, tmp_path):
    use_test_queue(settings, redis_server, tmp_path)
    return redis.Redis.from_url(redis_server.url)


@pytest.fixture
def logged_in(client: Client, user, queue) -> Client:
    for i in range(3):
        make_adder_problem(i)
    client.force_login(user)
    return client


@pytest.fixture
def model() -> LanguageModel:
    return LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")


def good_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("samples.json", enamel_json({0: [solution(0)], 1: [solution(1)]}))


def post(client: Client, data: bytes | SimpleUploadedFile, **fields):
    upload = data if isinstance(data, SimpleUploadedFile) else SimpleUploadedFile("s.json", data)
    return client.post(reverse("uploads:submit"), {"file": upload, **fields})


def assert_nothing_written() -> None:
    assert not Submission.objects.exists()
    assert not LanguageModel.objects.exclude(slug="coder-7b").exists()


def test_login_required(client: Client) -> None:
    response = client.get(reverse("uploads:submit"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_form_renders(logged_in: Client, model) -> None:
    response = logged_in.get(reverse("uploads:submit"))
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"Coder 7B" in response.content


def test_good_file_for_an_existing_model_is_queued(
    logged_in: Client, model, user, queue, django_capture_on_commit_callbacks
) -> None:
    # Jobs are enqueued once the submission is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = post(logged_in, good_file(), model=model.pk, temperature="0.2", notes="greedy")
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("uploads:status", args=[submission.pk])
    assert submission.model == model
    assert submission.submitter == user
    assert submission.temperature == 0.2
    assert submission.notes == "greedy"
    assert submission.status == Submission.Status.QUEUED
    assert queue.dbsize() > 0  # the jobs are in redis


def test_good_file_for_a_new_model_creates_it(logged_in: Client) -> None:
    response = post(
        logged_in,
        good_file(),
        new_model="Tiny Coder",
        organisation="Lab",
        parameters_billions="1.5",
        open_weights="on",
        link="https://example.org/tiny",
    )
    assert response.status_code == 302
    model = LanguageModel.objects.get(name="Tiny Coder")
    assert (model.slug, model.organisation, model.parameters_billions) == ("tiny-coder", "Lab", 1.5)
    assert model.open_weights and model.link == "https://example.org/tiny"
    assert Submission.objects.get().model == model


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not json", "not"),
        (b"", "empty"),
        (enamel_json({7: [solution(0)]}), "HumanEval/7: unknown task id"),
        (enamel_json({0: [solution(0)] * 201}), "201 samples, at most 200 allowed"),
        ("\u00a0\n".encode(), "file is empty"),  # once a 500
        (b'[["def f(): pass\\u0000"]]', "code contains a NUL character"),  # once stored
    ],
    ids=["garbage", "empty", "unknown-task", "too-many-samples", "unicode-blank", "nul"],
)
def test_bad_file_shows_an_inline_error_and_writes_nothing(
    logged_in: Client, data: bytes, message: str
) -> None:
    response = post(logged_in, data, new_model="Tiny Coder")
    assert response.status_code == 200
    assert message.encode() in response.content
    assert b"Traceback" not in response.content
    assert_nothing_written()


def test_file_over_the_size_limit_is_refused(logged_in: Client, model, settings) -> None:
    settings.MAX_UPLOAD_BYTES = 100
    response = post(logged_in, good_file(), model=model.pk)
    assert response.status_code == 200
    assert b"larger than" in response.content
    assert_nothing_written()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Pick the model"),
        ({"new_model": "Coder 7B"}, "already exists"),
        ({"new_model": "!!!"}, "at least one letter"),
        ({"new_model": "Coder\x1b[31m 7B"}, "cannot contain control characters"),
        ({"new_model": "Two\nlines"}, "cannot contain control characters"),
        ({"new_model": "Other 7B", "organisation": "Acme\x1b[2J"},
         "An organisation cannot contain control characters"),
    ],
    ids=["no-model", "taken-name", "no-slug", "escape", "newline", "organisation"],
)
def test_model_choice_errors(logged_in: Client, model, fields: dict, message: str) -> None:
    response = post(logged_in, good_file(), **fields)
    assert response.status_code == 200
    assert message.encode() in response.content
    assert_nothing_written()


def test_both_an_existing_and_a_new_model_is_an_error(logged_in: Client, model) -> None:
    response = post(logged_in, good_file(), model=model.pk, new_model="Other")
    assert b"not both" in response.content
    assert_nothing_written()


def test_user_input_is_escaped(logged_in: Client) -> None:
    response = post(logged_in, b"nope", new_model="<script>alert(1)</script>")
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_rate_limit(logged_in: Client, model, user, settings) -> None:
    settings.UPLOAD_RATE_LIMIT = "2/hour"
    for _ in range(2):
        Submission.objects.create(model=model, upload_name="x.json", submitter=user)
    response = post(logged_in, good_file(), model=model.pk)
    assert response.status_code == 200
    assert b"limit of 2 uploads per hour" in response.content
    assert Submission.objects.count() == 2
    assert b"limit of 2 uploads per hour" in logged_in.get(reverse("uploads:submit")).content


def test_other_users_uploads_do_not_count(logged_in: Client, model, settings) -> None:
    settings.UPLOAD_RATE_LIMIT = "1/hour"
    other = get_user_model().objects.create_user("bob")
    Submission.objects.create(model=model, upload_name="x.json", submitter=other)
    assert post(logged_in, good_file(), model=model.pk).status_code == 302


def test_csrf_is_enforced(user, model, queue) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post(client, good_file(), model=model.pk)
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_duplicate_upload_is_flagged_not_queued_unless_asked(
    logged_in: Client, model, user, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post(logged_in, good_file(), model=model.pk)
    earlier = Submission.objects.get()

    response = post(logged_in, good_file(), model=model.pk)
    html = response.content.decode()
    assert response.status_code == 200 and Submission.objects.count() == 1
    assert 'id="duplicate"' in html
    assert f'href="{reverse("uploads:status", args=[earlier.pk])}"' in html
    assert 'name="evaluate_again"' in html

    with django_capture_on_commit_callbacks(execute=True):
        response = post(logged_in, good_file(), model=model.pk, evaluate_again="on")
    assert response.status_code == 302 and Submission.objects.count() == 2


def test_other_bytes_or_another_model_are_not_duplicates(logged_in: Client, model) -> None:
    post(logged_in, good_file(), model=model.pk)
    other_bytes = enamel_json({0: [solution(0)]})
    assert post(logged_in, other_bytes, model=model.pk).status_code == 302
    assert post(logged_in, good_file(), new_model="Coder 13B").status_code == 302
    assert Submission.objects.count() == 3


def test_another_users_unpublished_upload_is_not_revealed(
    logged_in: Client, model, user
) -> None:
    other = get_user_model().objects.create_user("bob", password="pw")
    logged_in.force_login(other)
    post(logged_in, good_file(), model=model.pk)
    logged_in.force_login(user)
    response = post(logged_in, good_file(), model=model.pk)
    assert response.status_code == 302 and Submission.objects.count() == 2
