"""The queue survives a worker killed mid-job and a Redis that loses everything."""

import io

import django_rq
import pytest
from django.core.management import call_command

from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.submissions import create_submission
from tests.factories import make_adder_problem, solution
from tests.workers import enamel_json, running_workers, use_test_queue, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
# Each reference run sleeps this long: a job takes a few seconds, long enough to hit mid-run.
DELAY = 0.1


@pytest.fixture
def queue_env(settings, redis_server, tmp_path) -> dict[str, str]:
    return use_test_queue(settings, redis_server, tmp_path)


def submit(count: int, delay: float = DELAY) -> Submission:
    for i in range(count):
        make_adder_problem(i, reference_delay=delay)
    model = LanguageModel.objects.create(name="Coder 7B", slug="coder-7b")
    samples = {i: [solution(i)] for i in range(count)}
    return create_submission(model=model, filename="samples.json", data=enamel_json(samples))


def status_of(submission: Submission) -> str:
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def assert_done_once_each(submission: Submission, count: int) -> None:
    submission.refresh_from_db()
    assert submission.status == "done"
    indices = ProblemResult.objects.filter(submission=submission).values_list(
        "problem__index", flat=True
    )
    assert sorted(indices) == list(range(count))
    assert submission.problems_done == count
    assert submission.metrics["pass@1"] == 1.0


def test_job_of_a_killed_worker_is_taken_again(queue_env, tmp_path) -> None:
    submission = submit(3)
    queue = django_rq.get_queue("default")

    def running_job():
        # The job's worker name is stored a moment after it enters the started registry.
        for job_id in queue.started_job_registry.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is not None and job.worker_name:
                return job

    with running_workers(2, queue_env, tmp_path) as workers:
        job = wait_for(running_job, 60, "a job to start", tmp_path)
        victim = next(worker for worker in workers if worker.name == job.worker_name)
        victim.kill()
        wait_for(lambda: status_of(submission) == "done", 90, "the submission to finish", tmp_path)

    assert_done_once_each(submission, 3)
    # RQ's abandoned-job handling took it back, spending one retry.
    assert queue.fetch_job(job.id).retries_left == 1


def test_redis_restart_mid_run_then_requeue_stalled(queue_env, redis_server, tmp_path) -> None:
    submission = submit(4)

    queue = django_rq.get_queue("default")

    with running_workers(1, queue_env, tmp_path) as workers:
        wait_for(
            lambda: ProblemResult.objects.filter(submission=submission).exists()
            and queue.started_job_registry.get_job_ids(),
            60, "a first result and the next job running", tmp_path,
        )
        redis_server.restart()  # nothing is saved: every job is gone
        assert len(queue) == 0
        out = io.StringIO()
        call_command("requeue_stalled", stdout=out)
        assert out.getvalue().strip() != "0 jobs enqueued"

        def done_under_supervision() -> bool:
            # RQ may still quit on a lost connection; in production systemd restarts it.
            for worker in workers:
                worker.revive()
            return status_of(submission) == "done"

        wait_for(done_under_supervision, 90, "the submission to finish", tmp_path)

    assert_done_once_each(submission, 4)


def test_worker_start_requeues_what_redis_lost(queue_env, redis_server, tmp_path) -> None:
    submission = submit(2, delay=0)
    django_rq.get_queue("default").connection.flushall()

    with running_workers(1, queue_env, tmp_path):
        wait_for(lambda: status_of(submission) == "done", 90, "the submission to finish", tmp_path)

    assert_done_once_each(submission, 2)
