"""The leaderboard cache on a real Redis: served without the database once warm, and stale
the moment what it shows changes (publish, hide, re-evaluate, finish, edits); still served
when Redis is down."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leaderboard.jobs import aggregate_submission_job
from leaderboard.models import LanguageModel, ProblemResult, Submission, SubmissionFile
from leaderboard.standings.leaderboard_cache import cached, current_version
from leaderboard.submissions import reevaluate_submission
from problems.models import Problem, Tag, problem_set_hash
from tests.factories import make_adder_problem, solution
from tests.services import free_port
from tests.workers import enamel_json, use_test_queue

pytestmark = pytest.mark.django_db
PAGES = ["/", "/compare/", "/hardest/", "/api/leaderboard", "/export/leaderboard.csv"]


@pytest.fixture
def redis_cache(settings, redis_server, tmp_path) -> None:
    # Re-evaluation enqueues on the same private server, which use_test_queue empties.
    use_test_queue(settings, redis_server, tmp_path)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "effboard-test",
        }
    }


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Runs what waits for the commit, as the test's own transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def submit(
    name: str,
    eff: float,
    *,
    status: str = Submission.Status.DONE,
    visibility: str = Submission.Visibility.PUBLISHED,
) -> Submission:
    """A submission of `name` scoring `eff` eff@1 on HumanEval/0 (created as needed)."""
    problem = Problem.objects.filter(index=0).first() or make_adder_problem(0, reference_delay=0)
    model, _ = LanguageModel.objects.get_or_create(name=name, defaults={"slug": name.lower()})
    submission = Submission.objects.create(
        model=model,
        upload_name="samples.json",
        format="enamel-json",
        status=status,
        visibility=visibility,
        problems_total=1,
        problem_set_size=1,
        problem_set_hash=problem_set_hash(),
        # The admin publishes only results that ran isolated.
        environment={"isolation": "bubblewrap"},
    )
    SubmissionFile.objects.create(submission=submission, data=enamel_json({0: [solution(0)]}))
    ProblemResult.objects.create(
        submission=submission,
        problem=problem,
        problem_hash=problem.content_hash,
        n=1,
        c=1,
        pass_at_k={"1": 1.0},
        eff_at_k={"1": eff},
    )
    return submission


def effs(client: Client) -> dict[str, float]:
    return {row["model"]: row["eff@1"] for row in client.get("/api/leaderboard").json()["rows"]}


@pytest.mark.usefixtures("redis_cache")
@pytest.mark.parametrize("url", PAGES)
def test_second_request_is_served_without_the_table_queries(client: Client, url: str) -> None:
    submit("Alpha", 0.8)
    submit("Beta", 0.3)
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert second.status_code == first.status_code == 200
    assert second.content == first.content
    # What remains is the problem set's hash (and the filter form's tag choices).
    tables = [q["sql"] for q in queries if "leaderboard_" in q["sql"]]
    assert tables == [] and len(queries) <= 2, [q["sql"] for q in queries]


@pytest.mark.usefixtures("redis_cache")
def test_publish_and_hide_from_the_admin(admin_client: Client, client: Client, commit) -> None:
    submit("Alpha", 0.8)
    pending = submit("Beta", 0.3, visibility=Submission.Visibility.PENDING)
    assert "Beta" not in client.get("/").content.decode()
    assert effs(client) == {"Alpha": 0.8}
    changelist = reverse("admin:leaderboard_submission_changelist")
    with commit():
        admin_client.post(changelist, {"action": "publish", "_selected_action": [pending.pk]})
    assert "Beta" in client.get("/").content.decode()
    assert effs(client) == {"Alpha": 0.8, "Beta": 0.3}
    with commit():
        admin_client.post(changelist, {"action": "hide", "_selected_action": [pending.pk]})
    assert "Beta" not in client.get("/").content.decode()
    assert effs(client) == {"Alpha": 0.8}


@pytest.mark.usefixtures("redis_cache")
def test_reevaluate_then_finish(client: Client, commit) -> None:
    older = submit("Alpha", 0.2)
    Submission.objects.filter(pk=older.pk).update(created=older.created.replace(year=2000))
    newer = submit("Alpha", 0.9)
    assert effs(client) == {"Alpha": 0.9}
    with commit():
        reevaluate_submission(newer)
    # While the newer one is evaluated again, the model's older submission is shown.
    assert effs(client) == {"Alpha": 0.2}
    # The re-run's result, written as a worker would; it shows once the run is done.
    ProblemResult.objects.create(
        submission=newer,
        problem=Problem.objects.get(index=0),
        problem_hash="",
        n=1,
        c=1,
        pass_at_k={"1": 1.0},
        eff_at_k={"1": 0.6},
    )
    Submission.objects.filter(pk=newer.pk).update(status=Submission.Status.RUNNING)
    assert effs(client) == {"Alpha": 0.2}
    with commit():
        aggregate_submission_job(newer.pk, newer.run + 1)
    assert effs(client) == {"Alpha": 0.6}


@pytest.mark.usefixtures("redis_cache")
def test_problem_tag_and_model_edits(client: Client, commit) -> None:
    submit("Alpha", 0.8)
    assert "Add 0" in client.get("/hardest/").content.decode()
    problem = Problem.objects.get(index=0)
    with commit():
        problem.title = "Renamed"
        problem.save()
    assert "Renamed" in client.get("/hardest/").content.decode()

    tag = Tag.objects.create(slug="math", name="Math")
    assert client.get("/api/leaderboard").json()["rows"][0]["tags"]["math"]["eff@1"] is None
    with commit():
        problem.tags.add(tag)
    assert client.get("/api/leaderboard").json()["rows"][0]["tags"]["math"]["eff@1"] == 0.8

    model = LanguageModel.objects.get(name="Alpha")
    with commit():
        model.name = "Alpha 2"
        model.save()
    assert effs(client) == {"Alpha 2": 0.8}
    assert "Alpha 2" in client.get("/export/leaderboard.csv").content.decode()


@pytest.mark.usefixtures("redis_cache")
def test_progress_does_not_invalidate(commit) -> None:
    running = submit("Alpha", 0.8, status=Submission.Status.RUNNING)
    version = current_version()
    with commit():
        running.problems_done = 1
        running.save(update_fields=["problems_done"])
    assert current_version() == version


@pytest.mark.usefixtures("redis_cache")
def test_a_miss_being_computed_is_waited_for() -> None:
    def slow() -> str:
        time.sleep(0.5)
        return "first"

    # As two web processes missing the same entry after an invalidation.
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(cached, "test", (), slow)
        time.sleep(0.2)
        assert cached("test", (), lambda: "second") == "first"
        assert first.result() == "first"


def test_redis_down_still_serves(settings, client: Client, commit) -> None:
    # Nothing listens on a port just found free.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    submit("Alpha", 0.8)
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    with commit():  # invalidating is logged, never raised
        LanguageModel.objects.get(name="Alpha").save()
    assert effs(client) == {"Alpha": 0.8}
