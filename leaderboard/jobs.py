"""What the workers run: one job per (submission, problem), then one that sums them up.

Every job may run twice (a retry after its worker died, a requeue after Redis was lost) or
after its submission moved on (cancelled, failed, re-evaluated: a new run): it checks the
database first and writes at most one ProblemResult per problem.
"""

import logging
import os
import socket
import time
from collections.abc import Callable

import redis
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rq import get_current_job
from rq.job import Job

from evaluation import api
from leaderboard.models import ProblemResult, Submission
from leaderboard.submissions import ACTIVE, PROGRESS_META_KEY, fail_submission, read_samples
from problems.models import Problem

logger = logging.getLogger(__name__)

# The status page polls every 2 s: more frequent progress writes would go unseen.
PROGRESS_INTERVAL_SECONDS = 1.0


def evaluate_problem_job(submission_id: int, problem_id: int, run: int) -> None:
    """Evaluates one problem's samples of the submission and stores the result, once."""
    submission = _current(submission_id, run)
    if submission is None:
        return
    if ProblemResult.objects.filter(submission_id=submission_id, problem_id=problem_id).exists():
        return
    problem = Problem.objects.get(pk=problem_id)
    codes = read_samples(submission).samples[problem.task_id]
    if submission.status == Submission.Status.QUEUED:
        Submission.objects.filter(
            pk=submission_id, run=run, status=Submission.Status.QUEUED
        ).update(status=Submission.Status.RUNNING, environment=api.environment())
    spec = problem.to_spec()
    evaluation = api.evaluate_problem(spec, codes, progress=_progress_reporter())
    with transaction.atomic():
        # Locked so that a cancel or re-evaluation cannot slip in between check and write.
        if _current(submission_id, run, lock=True) is None:
            return
        _, created = ProblemResult.objects.get_or_create(
            submission_id=submission_id,
            problem=problem,
            defaults={
                "problem_hash": spec.content_hash(),
                "n": evaluation.n,
                "c": evaluation.c,
                "pass_at_k": {str(k): v for k, v in evaluation.pass_at_k.items()},
                "eff_at_k": {str(k): v for k, v in evaluation.eff_at_k.items()},
                "samples": [sample.to_dict() for sample in evaluation.samples],
                "worker": os.environ.get("RQ_WORKER_ID", socket.gethostname()),
                "wall_seconds": evaluation.wall_seconds,
            },
        )
        if created:
            Submission.objects.filter(pk=submission_id).update(problems_done=F("problems_done") + 1)


def aggregate_submission_job(submission_id: int, run: int) -> None:
    """Once every problem job has ended: the submission's metrics, and status done."""
    with transaction.atomic():
        submission = _current(submission_id, run, lock=True)
        if submission is None:
            return
        results = list(submission.results.values_list("pass_at_k", "eff_at_k"))
        if len(results) < submission.problems_total:
            # A problem job ended without a result and without failing the submission:
            # requeue_stalled will run it again, and this job after it.
            logger.warning(
                "Submission %s: %d of %d problems have results; not done yet",
                submission_id,
                len(results),
                submission.problems_total,
            )
            return
        submission.metrics = api.aggregate(results, max(1, submission.problem_set_size))
        submission.status = Submission.Status.DONE
        submission.finished = timezone.now()
        submission.save(update_fields=["metrics", "status", "finished"])


def problem_job_failed(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's on_failure callback, also called when a job's worker died: after the last
    retry the submission fails with a one-line reason; results so far are kept."""
    if job.retries_left:
        return  # RQ tries it again
    submission_id, problem_id, run = job.args
    task_id = Problem.objects.filter(pk=problem_id).values_list("task_id", flat=True).first()
    task_id = task_id or f"problem {problem_id}"
    message = str(exc_value).strip()
    if not message.startswith(f"{task_id}:"):  # the engine's own errors name the problem
        message = f"{task_id}: {exc_type.__name__}" + (f": {message}" if message else "")
    fail_submission(submission_id, run, message)


def _progress_reporter() -> Callable[[int, int], None] | None:
    """Stores how many of the problem's samples are done in the running job's meta, where
    submission_progress() reads it; at most once a PROGRESS_INTERVAL_SECONDS."""
    job = get_current_job()
    if job is None:  # called outside a worker
        return None
    last_saved = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last_saved
        if time.monotonic() - last_saved < PROGRESS_INTERVAL_SECONDS:
            return
        job.meta[PROGRESS_META_KEY] = [done, total]
        try:
            job.save_meta()
        except redis.RedisError:  # progress is a courtesy: the evaluation goes on
            return
        last_saved = time.monotonic()

    return report


def _current(submission_id: int, run: int, lock: bool = False) -> Submission | None:
    """The submission if this run of it is still queued or running; else None."""
    submissions = Submission.objects.select_for_update() if lock else Submission.objects
    return submissions.filter(pk=submission_id, run=run, status__in=ACTIVE).first()
