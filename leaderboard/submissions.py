"""The one place that creates submissions and drives them through the queue.

The database is the source of truth: a submission's problems without a ProblemResult are
the work left, and the RQ jobs in Redis are only a cache of it, rebuilt by
`requeue_stalled()` (run by every worker as it starts) if Redis loses them. Jobs are named
after (submission, run, problem), so enqueueing again never duplicates queued work.
"""

import logging

import django_rq
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_rq.queues import DjangoRQ
from rq import Callback, Retry, Worker
from rq.command import send_stop_job_command
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Dependency, Job, JobStatus

from evaluation.formats import ParsedSamples, SampleFormatError, parse_samples
from leaderboard.models import LanguageModel, Submission
from problems.models import Problem, problem_set_hash

logger = logging.getLogger(__name__)

ACTIVE = (Submission.Status.QUEUED, Submission.Status.RUNNING)
# A problem job is tried this many more times after it fails or its worker dies.
RETRIES = 2
# Where a running problem job keeps [samples done, samples] (see leaderboard.jobs).
PROGRESS_META_KEY = "samples"
# Jobs in these states will still run: enqueueing them again would duplicate work.
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def create_submission(
    *,
    model: LanguageModel,
    filename: str,
    data: bytes,
    submitter=None,
    temperature: float | None = None,
    notes: str = "",
) -> Submission:
    """Validates, stores and queues an upload; SampleFormatError (nothing written) if invalid."""
    active = list(Problem.objects.filter(active=True))
    parsed = _parse(filename, data, active)
    submission = Submission(
        model=model,
        upload=bytes(data),
        upload_name=filename,
        format=parsed.format,
        samples_per_problem=parsed.n_samples,
        temperature=temperature,
        notes=notes,
        submitter=submitter,
    )
    _plan(submission, parsed, active)
    with transaction.atomic():
        submission.save()
        transaction.on_commit(lambda: _enqueue_or_log(submission))
    return submission


def reevaluate_submission(submission: Submission) -> Submission:
    """Drops the results and evaluates again under the current problem set, in a new run
    (jobs of earlier runs then do nothing). SampleFormatError if the file no longer fits it."""
    active = list(Problem.objects.filter(active=True))
    parsed = _parse(submission.upload_name, bytes(submission.upload), active)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        old_job_ids = _job_ids(locked, read_samples(locked))
        locked.results.all().delete()
        locked.run += 1
        locked.status = Submission.Status.QUEUED
        locked.failure_reason = ""
        locked.metrics = {}
        locked.environment = {}
        locked.finished = None
        locked.problems_done = 0
        _plan(locked, parsed, active)
        locked.save()
        transaction.on_commit(lambda: _cancel_jobs_or_log(old_job_ids))
        transaction.on_commit(lambda: _enqueue_or_log(locked))
    return locked


def cancel_submission(submission: Submission) -> bool:
    """Stops a queued or running submission; False if it had already ended.

    Jobs still queued are removed; one already running is stopped by its worker, which kills
    the work horse and the sandbox with it.
    """
    cancelled = Submission.objects.filter(pk=submission.pk, status__in=ACTIVE).update(
        status=Submission.Status.CANCELLED, finished=timezone.now()
    )
    submission.refresh_from_db()
    if cancelled:
        try:
            job_ids = _job_ids(submission, read_samples(submission))
        except SampleFormatError:  # its problems were deleted: its jobs will do nothing
            job_ids = []
        _cancel_jobs_or_log(job_ids)
    return bool(cancelled)


def enqueue_submission(submission: Submission) -> int:
    """Puts every problem without a result, and the final aggregation, on the queue unless
    they are there already; returns how many jobs were added. Raises redis errors."""
    queue = _queue()
    covered = _covered_problem_ids(read_samples(submission))
    finished = set(submission.results.values_list("problem_id", flat=True))
    pending, added = [], 0
    for problem_id in covered:
        if problem_id in finished:
            continue
        job_id = problem_job_id(submission, problem_id)
        pending.append(job_id)
        job = queue.fetch_job(job_id)
        if job is not None and _status(job) in _LIVE:
            continue
        try:
            queue.enqueue_call(
                "leaderboard.jobs.evaluate_problem_job",
                args=(submission.pk, problem_id, submission.run),
                job_id=job_id,
                timeout=settings.EVALUATION_JOB_TIMEOUT,
                retry=Retry(max=RETRIES),
                on_failure=Callback("leaderboard.jobs.problem_job_failed"),
                description=f"submission {submission.pk}: problem {problem_id}",
                # Two workers starting together both requeue: only one may add the job.
                unique=job is None,
            )
        except DuplicateJobError:
            continue
        added += 1
    aggregation = queue.fetch_job(aggregate_job_id(submission))
    if aggregation is not None and _status(aggregation) in _LIVE and not added:
        return added
    if aggregation is not None and _status(aggregation) != JobStatus.STARTED:
        # Waiting on an older set of jobs: it must wait for the ones just added as well.
        aggregation.delete()
    queue.enqueue_call(
        "leaderboard.jobs.aggregate_submission_job",
        args=(submission.pk, submission.run),
        job_id=aggregate_job_id(submission),
        depends_on=Dependency(jobs=pending, allow_failure=True) if pending else None,
        description=f"submission {submission.pk}: metrics",
    )
    return added + 1


def requeue_stalled() -> int:
    """Enqueues the missing jobs of every queued or running submission; how many were added."""
    added = 0
    for submission in Submission.objects.filter(status__in=ACTIVE).order_by("created"):
        try:
            added += enqueue_submission(submission)
        except SampleFormatError as exc:
            reason = f"the stored file no longer reads: {exc}"
            fail_submission(submission.pk, submission.run, reason)
    return added


def submission_progress(submission: Submission) -> dict:
    """Where a submission stands, for the status page, the API and `submission_status`.

    `done` counts finished problems; `percent` also counts the share of the samples done in
    problems being evaluated right now.
    """
    submission.refresh_from_db()
    done, total = submission.problems_done, submission.problems_total
    running = submission.status == Submission.Status.RUNNING
    under_way = _share_under_way(submission) if running else 0.0
    return {
        "id": submission.pk,
        "status": submission.status,
        "done": done,
        "total": total,
        "percent": round(100 * min(total, done + under_way) / total, 1) if total else 0.0,
        "eta_seconds": _eta_seconds(submission),
        "metrics": submission.metrics,
        "failure_reason": submission.failure_reason,
        "warnings": submission.warnings,
    }


def is_stale(submission: Submission) -> bool:
    """True when the active problem set changed since the submission was (re-)queued."""
    return submission.problem_set_hash != problem_set_hash()


def read_samples(submission: Submission) -> ParsedSamples:
    """The stored file's samples; any problem known (active or not) is accepted, as the file
    was checked against the active ones when it was queued."""
    problems = list(Problem.objects.all())
    return _parse(submission.upload_name, bytes(submission.upload), problems)


def problem_job_id(submission: Submission, problem_id: int) -> str:
    return f"{_problem_job_prefix(submission)}{problem_id}"


def _problem_job_prefix(submission: Submission) -> str:
    return f"submission-{submission.pk}-run-{submission.run}-problem-"


def aggregate_job_id(submission: Submission) -> str:
    return f"submission-{submission.pk}-run-{submission.run}-metrics"


def fail_submission(submission_id: int, run: int, reason: str) -> bool:
    """Marks a queued or running submission failed with a one-line reason; its results stay."""
    return bool(
        Submission.objects.filter(pk=submission_id, run=run, status__in=ACTIVE).update(
            status=Submission.Status.FAILED,
            failure_reason=reason.splitlines()[0][:500] if reason else "failed",
            finished=timezone.now(),
        )
    )


def _parse(filename: str, data: bytes, problems: list[Problem]) -> ParsedSamples:
    if not problems:
        raise SampleFormatError("no problems are active yet, so there is nothing to evaluate")
    # Every catalogued task id is known: complete sample sets also cover the inactive
    # problems, which are simply not evaluated.
    catalogue = dict(Problem.objects.values_list("task_id", "prompt"))
    return parse_samples(filename, data, known_task_ids=set(catalogue), prompts=catalogue)


def _plan(submission: Submission, parsed: ParsedSamples, active: list[Problem]) -> None:
    """Sets what a (new) run evaluates: the file's problems out of the active set."""
    covered = len(_covered_task_ids(parsed) & {problem.task_id for problem in active})
    submission.problems_total = covered
    submission.problem_set_size = len(active)
    submission.problem_set_hash = problem_set_hash()
    missing = len(active) - covered
    submission.warnings = (
        [f"{missing} of {len(active)} problems are not in the file and count as failed"]
        if missing
        else []
    )


def _covered_task_ids(parsed: ParsedSamples) -> set[str]:
    return {task_id for task_id, codes in parsed.samples.items() if codes}


def _covered_problem_ids(parsed: ParsedSamples) -> list[int]:
    return list(
        Problem.objects.filter(active=True, task_id__in=_covered_task_ids(parsed))
        .order_by("index")
        .values_list("pk", flat=True)
    )


def _job_ids(submission: Submission, parsed: ParsedSamples) -> list[str]:
    ids = [problem_job_id(submission, pk) for pk in _covered_problem_ids(parsed)]
    return [*ids, aggregate_job_id(submission)]


def _queue() -> DjangoRQ:
    # "auto": enqueue now and return the job; callers defer to commit themselves.
    return django_rq.get_queue("default", commit_mode="auto")


def _status(job: Job) -> JobStatus | None:
    return job.get_status(refresh=False)


def _enqueue_or_log(submission: Submission) -> None:
    # The submission is saved: if Redis is away, the next worker to start queues it.
    try:
        enqueue_submission(submission)
    except redis.RedisError as exc:
        logger.warning("Submission %s saved, not queued yet: %s", submission.pk, exc)


def _cancel_jobs_or_log(job_ids: list[str]) -> None:
    # Best effort: a job left behind finds its submission cancelled or re-run and does nothing.
    try:
        queue = _queue()
        for job_id in job_ids:
            job = queue.fetch_job(job_id)
            status = None if job is None else _status(job)
            if status == JobStatus.STARTED:
                _stop_running_job(queue, job_id)
            elif status in _LIVE:
                job.cancel()
    except redis.RedisError as exc:
        logger.warning("Could not remove jobs from the queue (%s); they will do nothing", exc)


def _stop_running_job(queue: DjangoRQ, job_id: str) -> None:
    # Its worker kills the work horse (the sandbox dies with it) and marks the job stopped,
    # which RQ never retries.
    try:
        send_stop_job_command(queue.connection, job_id)
    except (InvalidJobOperation, NoSuchJobError):  # it ended in the meantime
        pass


def _share_under_way(submission: Submission) -> float:
    """The problems being evaluated now, each counted by the share of its samples done, as
    their jobs report it (leaderboard.jobs); 0 when Redis cannot tell."""
    prefix = _problem_job_prefix(submission)
    try:
        queue = _queue()
        running = [job_id for job_id in queue.started_job_registry.get_job_ids()
                   if job_id.startswith(prefix)]
        jobs = Job.fetch_many(running, connection=queue.connection)
    except redis.RedisError:
        return 0.0
    share = 0.0
    for job in jobs:
        done, total = (job.meta.get(PROGRESS_META_KEY) if job else None) or (0, 0)
        if total:
            share += min(done, total) / total
    return share


def _eta_seconds(submission: Submission) -> float | None:
    """Mean wall time of the finished problems x the problems left / the workers."""
    if submission.status not in ACTIVE:
        return 0.0 if submission.status == Submission.Status.DONE else None
    walls = list(submission.results.values_list("wall_seconds", flat=True))
    if not walls:
        return None
    left = max(0, submission.problems_total - submission.problems_done)
    try:
        workers = Worker.count(queue=_queue())
    except redis.RedisError:
        workers = 0
    return round(sum(walls) / len(walls) * left / max(1, workers), 1)
