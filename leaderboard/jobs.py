"""What the workers run: one job per chunk of a problem's samples (leaderboard.submissions
cuts them). The job that lands a problem's last chunk folds its chunks into the
ProblemResult, and the one that lands the submission's last problem sums the submission up,
both under the submission's row lock: a finished submission never waits in the queue.

Every job may run twice (a retry after its worker died, a requeue after Redis was lost) or
after its submission moved on (cancelled, failed, re-evaluated: a new run): it checks the
database first, and writes at most one ChunkResult per chunk (a unique constraint) and one
ProblemResult per problem.
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
from leaderboard.models import ChunkResult, ProblemResult, Submission, SubmissionSamples
from leaderboard.submissions import (
    ACTIVE,
    PROGRESS_META_KEY,
    chunk_count,
    ensure_samples_stored,
    fail_submission,
)
from leaderboard.worker import STOP_EVALUATION
from problems.models import Problem

logger = logging.getLogger(__name__)

# The status page polls every 2 s: more frequent progress writes would go unseen.
PROGRESS_INTERVAL_SECONDS = 1.0


def evaluate_chunk_job(submission_id: int, problem_id: int, chunk: int, run: int) -> None:
    """Evaluates one chunk of one problem's samples and stores the result, once."""
    submission = _current(submission_id, run)
    if submission is None:
        return
    # Whether the chunk landed already is checked under the lock only: enqueueing skips
    # landed chunks, so a job runs after its chunk landed only in a rare race (a retry, a
    # requeue after Redis was lost), which then costs an evaluation, not a write.
    problem = Problem.objects.get(pk=problem_id)
    stored = _stored_samples(submission, problem.task_id)
    size = submission.chunk_samples
    codes = stored.codes[chunk * size:(chunk + 1) * size]
    chunks = chunk_count(stored.n, size)
    del stored  # only this chunk's samples stay in memory while it runs
    if not codes:
        raise ValueError(f"{problem.task_id}: chunk {chunk} holds no samples")
    sandbox = api.warm_sandbox()
    if submission.status == Submission.Status.QUEUED:
        Submission.objects.filter(
            pk=submission_id, run=run, status=Submission.Status.QUEUED
        ).update(status=Submission.Status.RUNNING,
                 environment=api.environment(sandbox))
    spec = problem.to_spec()
    evaluation = api.evaluate_problem(
        spec, codes, progress=_progress_reporter(), sandbox=sandbox
    )
    with transaction.atomic():
        # Locked so that a cancel, a re-evaluation or another chunk of this submission cannot
        # slip in between check and write: every writer takes this lock first.
        locked = _current(submission_id, run, lock=True)
        if locked is None:
            return
        # Few statements under the lock: it serialises the landings of one submission.
        others = list(
            ChunkResult.objects.filter(submission_id=submission_id, problem=problem)
        )
        if any(other.chunk == chunk for other in others) or ProblemResult.objects.filter(
            submission_id=submission_id, problem=problem
        ).exists():
            return  # landed already
        part = ChunkResult(
            submission_id=submission_id,
            problem=problem,
            chunk=chunk,
            n=evaluation.n,
            samples=[sample.to_dict() for sample in evaluation.samples],
            reference_times=evaluation.reference_times,
            timeout=evaluation.timeout,
            worker=os.environ.get("RQ_WORKER_ID", socket.gethostname()),
            wall_seconds=evaluation.wall_seconds,
            call_seconds=evaluation.call_seconds,
        )
        if len(others) + 1 < chunks:
            part.save()
            Submission.objects.filter(pk=submission_id).update(
                samples_done=F("samples_done") + evaluation.n
            )
            return
        # The problem's last chunk: written straight into the ProblemResult.
        _fold_problem(locked, problem, spec.content_hash(), [*others, part])
        Submission.objects.filter(pk=submission_id).update(
            samples_done=F("samples_done") + evaluation.n, problems_done=F("problems_done") + 1
        )
        if locked.problems_done + 1 >= locked.problems_total:
            _finish_if_complete(locked)


def aggregate_submission_job(submission_id: int, run: int) -> None:
    """Finishes the submission if every covered problem has its result (the last chunk job
    does it itself; this is for a run with no chunk left to evaluate)."""
    with transaction.atomic():
        submission = _current(submission_id, run, lock=True)
        if submission is not None:
            _finish_if_complete(submission)


def chunk_job_failed(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's on_failure callback, also called when a job's worker died: after the last
    retry the submission fails with a one-line reason; results so far are kept."""
    if job.retries_left:
        return  # RQ tries it again
    submission_id, problem_id, _chunk, run = job.args
    task_id = Problem.objects.filter(pk=problem_id).values_list("task_id", flat=True).first()
    task_id = task_id or f"problem {problem_id}"
    message = str(exc_value).strip()
    if not message.startswith(f"{task_id}:"):  # the engine's own errors name the problem
        message = f"{task_id}: {exc_type.__name__}" + (f": {message}" if message else "")
    fail_submission(submission_id, run, message)


def evaluate_problem_job(*args: int) -> None:
    """A job queued before chunks existed: it does nothing, as the chunk jobs that every
    worker's requeue_stalled adds at start evaluate its problem."""


def _fold_problem(submission: Submission, problem: Problem, problem_hash: str,
                  parts: list[ChunkResult]) -> None:
    """All of the problem's chunks have landed: one ProblemResult with every sample in file
    order, pass@k and eff@k over all of them; the chunks' rows go. The caller counts the
    problem done."""
    landed = sorted(parts, key=lambda part: part.chunk)
    samples = [sample for part in landed for sample in part.samples]
    pass_at_k, eff_at_k = api.problem_metrics(samples)
    workers = sorted({part.worker for part in landed})
    ProblemResult.objects.create(
        submission=submission,
        problem=problem,
        problem_hash=problem_hash,
        n=len(samples),
        c=sum(sample["correct"] for sample in samples),
        pass_at_k={str(k): v for k, v in pass_at_k.items()},
        eff_at_k={str(k): v for k, v in eff_at_k.items()},
        samples=samples,
        worker=", ".join(workers)[:200],
        wall_seconds=sum(part.wall_seconds for part in landed),
        call_seconds=sum(part.call_seconds for part in landed),
        chunks=len(landed),
    )
    saved = [part.pk for part in landed if part.pk is not None]
    if saved:
        ChunkResult.objects.filter(pk__in=saved).delete()


def _finish_if_complete(submission: Submission) -> None:
    """The submission's metrics and status done, once every covered problem has a result.
    The caller holds the submission's row lock."""
    results = list(submission.results.values_list("pass_at_k", "eff_at_k"))
    if len(results) < submission.problems_total:
        return
    submission.metrics = api.aggregate(results, max(1, submission.problem_set_size))
    submission.status = Submission.Status.DONE
    submission.finished = timezone.now()
    submission.save(update_fields=["metrics", "status", "finished"])


def _stored_samples(submission: Submission, task_id: str) -> SubmissionSamples:
    """The problem's row alone: never the whole upload (stored first for a submission queued
    before samples were stored per problem)."""
    rows = SubmissionSamples.objects.filter(submission=submission, task_id=task_id)
    stored = rows.first()
    if stored is None:
        ensure_samples_stored(submission)
        stored = rows.get()
    return stored


class EvaluationStopped(Exception):
    """The worker was told to stop this job (a cancel)."""


def _progress_reporter() -> Callable[[int, int], None]:
    """Called after each sample: stops the job if its worker was told to (see
    leaderboard.worker), and stores how many of the chunk's samples are done in the running
    job's meta, where submission_progress() reads it, at most once a
    PROGRESS_INTERVAL_SECONDS."""
    job = get_current_job()
    last_saved = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last_saved
        if STOP_EVALUATION.is_set():
            raise EvaluationStopped("stopped by its worker")
        if job is None or time.monotonic() - last_saved < PROGRESS_INTERVAL_SECONDS:
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
