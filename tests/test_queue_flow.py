"""Submissions through the real queue: real Redis, real `manage.py rqworker` processes."""

import time
from pathlib import Path

import django_rq
import pytest
from rq.job import JobStatus

from leaderboard.models import ChunkResult, LanguageModel, ProblemResult, Submission
from leaderboard.submissions import (
    cancel_submission,
    chunk_job_id,
    create_submission,
    is_stale,
    reevaluate_submission,
    submission_progress,
)
from problems.models import Problem
from tests.factories import (
    ADDER_PROMPT,
    BROKEN_CHECKER,
    make_adder_problem,
    solution,
    wrong_solution,
)
from tests.workers import enamel_json, running_workers, use_test_queue, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue_env(settings, redis_server, tmp_path) -> dict[str, str]:
    return use_test_queue(settings, redis_server, tmp_path)


def status_of(submission: Submission) -> str:
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def submit(samples: dict[int, list[str]], name: str = "Coder 7B") -> Submission:
    model, _ = LanguageModel.objects.get_or_create(name=name, slug=name.lower().replace(" ", "-"))
    return create_submission(model=model, filename="samples.json", data=enamel_json(samples))


def test_submission_completes_with_two_workers(queue_env, tmp_path) -> None:
    for i in range(4):
        make_adder_problem(i)
    # Problem 3 is not in the file: it counts as failed.
    submission = submit(
        {0: [solution(0)], 1: [solution(1), wrong_solution(1)], 2: [wrong_solution(2)]}
    )
    assert (submission.problems_total, submission.problem_set_size) == (3, 4)
    assert submission.warnings == ["1 of 4 problems are not in the file and count as failed"]

    with running_workers(2, queue_env, tmp_path) as workers:
        wait_for(lambda: status_of(submission) == "done", 90, "the submission to finish", tmp_path)
        names = {worker.name for worker in workers}

    submission.refresh_from_db()
    results = {r.problem.index: r for r in ProblemResult.objects.filter(submission=submission)}
    assert sorted(results) == [0, 1, 2]
    assert [(results[i].n, results[i].c) for i in range(3)] == [(1, 1), (2, 1), (1, 0)]
    assert {result.worker for result in results.values()} <= names
    assert submission.problems_done == 3
    assert submission.metrics["pass@1"] == pytest.approx((1 + 0.5 + 0 + 0) / 4)
    expected_eff = sum(results[i].eff_at_k["1"] for i in range(3)) / 4
    assert submission.metrics["eff@1"] == pytest.approx(expected_eff)
    assert expected_eff > 0
    assert submission.environment["python"]
    assert submission.finished is not None
    progress = submission_progress(submission)
    assert progress | {"metrics": None} == {
        "id": submission.pk, "status": "done", "done": 3, "total": 3, "percent": 100.0,
        "eta_seconds": 0.0, "metrics": None, "failure_reason": "",
        "warnings": submission.warnings,
    }


def test_failing_problem_is_retried_then_fails_the_submission(queue_env, tmp_path) -> None:
    make_adder_problem(0)
    make_adder_problem(1)
    make_adder_problem(2, checker=BROKEN_CHECKER)
    submission = submit({0: [solution(0)], 1: [solution(1)], 2: [solution(2)]})
    queue = django_rq.get_queue("default")

    broken_job = chunk_job_id(submission, Problem.objects.get(index=2).pk, 0)

    # One worker takes the jobs in problem order: the broken one comes last.
    with running_workers(1, queue_env, tmp_path):
        wait_for(lambda: _job_status(queue, broken_job) == JobStatus.FAILED, 90,
                 "the broken problem's last try to fail", tmp_path)

    submission.refresh_from_db()
    assert submission.status == "failed"
    assert submission.failure_reason == (
        "HumanEval/2: checker does not load: RuntimeError: checker is broken"
    )
    assert submission.metrics == {}
    failed = queue.fetch_job(broken_job)
    assert (failed.get_status(), failed.retries_left) == (JobStatus.FAILED, 0)
    kept = ProblemResult.objects.filter(submission=submission)
    assert sorted(kept.values_list("problem__index", flat=True)) == [0, 1]


def test_cancel_stops_the_work_and_drops_the_running_result(queue_env, tmp_path) -> None:
    for i in range(3):
        make_adder_problem(i, reference_delay=0.1)
    submission = submit({i: [solution(i)] for i in range(3)})
    queue = django_rq.get_queue("default")

    with running_workers(1, queue_env, tmp_path):
        wait_for(lambda: queue.started_job_registry.get_job_ids(), 60, "a job to start", tmp_path)
        assert cancel_submission(submission)
        results_at_cancel = ProblemResult.objects.filter(submission=submission).count()
        assert len(queue) == 0  # the queued jobs were taken off the queue
        wait_for(
            lambda: not queue.started_job_registry.get_job_ids(), 60,
            "the running job to end", tmp_path,
        )

    assert status_of(submission) == "cancelled"
    assert ProblemResult.objects.filter(submission=submission).count() == results_at_cancel < 3
    assert not cancel_submission(submission)  # already ended


def test_cancel_stops_a_running_job_at_once(queue_env, tmp_path) -> None:
    # Every reference run sleeps 1 s: this problem's job would take about 20 s.
    problem = make_adder_problem(0, reference_delay=1.0)
    submission = submit({0: [solution(0)]})
    queue = django_rq.get_queue("default")
    job_id = chunk_job_id(submission, problem.pk, 0)

    with running_workers(1, queue_env, tmp_path):
        # Running, not only started (see the test below).
        wait_for(lambda: status_of(submission) == "running", 60, "the job to start evaluating",
                 tmp_path)
        assert cancel_submission(submission)
        wait_for(lambda: _job_status(queue, job_id) == JobStatus.STOPPED, 10,
                 "the running job to be stopped", tmp_path)

    assert status_of(submission) == "cancelled"
    assert not ProblemResult.objects.filter(submission=submission).exists()


def test_after_a_stopped_job_the_worker_evaluates_the_next_one_right(queue_env, tmp_path) -> None:
    problem = make_adder_problem(0, reference_delay=0.5)
    make_adder_problem(1)
    stopped = submit({0: [solution(0)]})
    queue = django_rq.get_queue("default")
    job_id = chunk_job_id(stopped, problem.pk, 0)

    with running_workers(1, queue_env, tmp_path):
        # Running, not only started: a cancel that comes before the job's first look at its
        # submission ends the job normally, with nothing to stop, and RQ finishes it.
        wait_for(lambda: status_of(stopped) == "running", 60, "the job to start evaluating",
                 tmp_path)
        assert cancel_submission(stopped)
        wait_for(lambda: _job_status(queue, job_id) == JobStatus.STOPPED, 10,
                 "the running job to be stopped", tmp_path)
        # The same worker, whose sandbox was killed: a new one, with nothing of the kill.
        later = submit({1: [solution(1), solution(1)]}, name="Later")
        wait_for(lambda: status_of(later) == "done", 60, "the next submission", tmp_path)

    result = ProblemResult.objects.get(submission=later)
    assert [sample["status"] for sample in result.samples] == ["passed", "passed"]
    assert result.eff_at_k["1"] > 0


def test_progress_counts_the_samples_done_within_a_problem(queue_env, tmp_path) -> None:
    make_adder_problem(0, reference_delay=0.2)
    # Each run of this sample sleeps 0.25 s: its 19 runs take about 5 s, three samples 15 s.
    slow = ADDER_PROMPT.format(i=0) + "    import time; time.sleep(0.25)\n    return x\n"
    submission = submit({0: [slow, slow, slow]})

    with running_workers(1, queue_env, tmp_path):
        wait_for(lambda: submission_progress(submission)["percent"] > 0, 60,
                 "progress within the problem", tmp_path)
        progress = submission_progress(submission)
        assert progress["done"] == 0  # the problem is not finished, yet a share of it is
        assert progress["percent"] in (pytest.approx(100 / 3, abs=0.1),
                                       pytest.approx(200 / 3, abs=0.1))
        assert cancel_submission(submission)  # no need to wait for the rest


def test_reevaluate_runs_again_under_the_current_problem_set(queue_env, tmp_path) -> None:
    make_adder_problem(0)
    make_adder_problem(1)
    submission = submit({0: [solution(0)], 1: [wrong_solution(1)]})

    with running_workers(1, queue_env, tmp_path):
        wait_for(lambda: status_of(submission) == "done", 90, "the first run", tmp_path)
        first_results = set(ProblemResult.objects.values_list("pk", flat=True))
        submission.refresh_from_db()
        assert submission.metrics["pass@1"] == pytest.approx(0.5)

        make_adder_problem(2)  # the problem set grows: the submission is stale
        assert is_stale(submission)
        reevaluate_submission(submission)
        submission.refresh_from_db()
        assert (submission.run, submission.problems_done) == (2, 0)
        wait_for(lambda: status_of(submission) == "done", 90, "the second run", tmp_path)

    submission.refresh_from_db()
    assert not is_stale(submission)
    assert (submission.problems_total, submission.problem_set_size) == (2, 3)
    assert submission.metrics["pass@1"] == pytest.approx(1 / 3)
    results = ProblemResult.objects.filter(submission=submission)
    assert results.count() == 2
    assert not first_results & set(results.values_list("pk", flat=True))


def test_a_problem_in_chunks_spreads_over_workers(settings, queue_env, tmp_path) -> None:
    settings.EVALUATION_CHUNK_SAMPLES = 1  # each sample its own job
    make_adder_problem(0, reference_delay=0.1)
    make_adder_problem(1)
    codes = [solution(0), ADDER_PROMPT.format(i=0) + "    return -1\n"] * 3
    submission = submit({0: codes, 1: [solution(1)]})

    with running_workers(2, queue_env, tmp_path) as workers:
        wait_for(lambda: status_of(submission) == "done", 90, "the submission to finish", tmp_path)
        names = {worker.name for worker in workers}

    result = ProblemResult.objects.get(submission=submission, problem__index=0)
    assert (result.n, result.c, result.chunks) == (6, 3, 6)
    assert [sample["correct"] for sample in result.samples] == [True, False] * 3
    assert set(result.worker.split(", ")) == names  # both workers took chunks of it
    assert result.pass_at_k["1"] == pytest.approx(0.5)
    assert not ChunkResult.objects.exists()
    submission.refresh_from_db()
    assert (submission.problems_done, submission.samples_done) == (2, 7)
    assert submission.metrics["pass@1"] == pytest.approx((0.5 + 1) / 2)


def test_a_finished_submission_does_not_wait_behind_later_ones(queue_env, tmp_path) -> None:
    for i in range(3):
        make_adder_problem(i, reference_delay=0.05)
    first = submit({0: [solution(0)], 1: [solution(1)]}, name="First")
    # Queued after the first one's jobs: one worker takes them only once it is done.
    later = [submit({i: [solution(i)] for i in range(3)}, name=f"Later {n}") for n in range(3)]
    queue = django_rq.get_queue("default")

    with running_workers(1, queue_env, tmp_path):
        wait_for(lambda: status_of(first) == "done", 90, "the first submission", tmp_path)
        waiting = len(queue)
        statuses = {status_of(submission) for submission in later}
        wait_for(lambda: all(status_of(s) == "done" for s in later), 120, "the rest", tmp_path)

    # Done while most of the later jobs were still queued, not after them.
    assert waiting >= 7
    assert statuses <= {"queued", "running"}
    first.refresh_from_db()
    assert first.metrics["pass@1"] == pytest.approx(2 / 3)
    assert first.finished < min(Submission.objects.get(pk=s.pk).finished for s in later)


def test_a_worker_keeps_its_sandbox_warm_across_jobs(queue_env, tmp_path) -> None:
    for i in range(4):
        make_adder_problem(i, reference_delay=0.05)
    submission = submit({i: [solution(i)] for i in range(4)})

    def results() -> int:
        return ProblemResult.objects.filter(submission=submission).count()

    # The worker's own children (but test generators): work horses, or its sandbox's zygote.
    seen: set[int] = set()
    with running_workers(1, queue_env, tmp_path) as [worker]:
        # From the end of the first job on: the sandbox was opened (and bubblewrap probed).
        wait_for(results, 90, "the first job", tmp_path)
        while status_of(submission) != "done":
            assert worker.alive()
            seen |= _children(worker.process.pid)
            time.sleep(0.02)

    assert results() == 4
    # Three more jobs, one process under the worker all along: no horse was forked per job,
    # and the sandbox's zygote was not started again.
    assert len(seen) == 1


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) != pid or fields[0] == "Z":  # a zombie is a process that ended
            continue
        try:
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if command and b"evaluation.testgen" not in command:  # tests, generated once each
            found.add(int(stat.parent.name))
    return found


def _job_status(queue, job_id: str) -> JobStatus | None:
    job = queue.fetch_job(job_id)
    return None if job is None else job.get_status()
