"""The one place that creates submissions and drives them through the queue.

An upload is parsed once, when it is queued, into one SubmissionSamples row per problem.
Each problem's samples are cut into chunks of `chunk_samples`, one RQ job each, so a large
problem spreads over every idle worker; a job reads only its problem's row.

The database is the source of truth: a submission's chunks without a result (ChunkResult,
or the ProblemResult they were folded into) are the work left, and the RQ jobs in Redis are
only a cache of it, rebuilt by `requeue_stalled()` (run by every worker as it starts) if
Redis loses them. Jobs are named after (submission, run, problem, chunk), so enqueueing
again never duplicates queued work. There is no aggregation job: the job that lands the last
chunk sums the submission up (leaderboard.jobs), so a finished submission never waits
behind later ones.
"""

import logging
import math

import django_rq
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rq import Callback, Queue, Retry, Worker
from rq.command import send_stop_job_command
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from evaluation.api import ParsedSamples, SampleFormatError, parse_samples
from leaderboard.models import (
    ChunkResult,
    LanguageModel,
    ProblemResult,
    Submission,
    SubmissionFile,
    SubmissionSamples,
)
from problems.models import Problem, problem_set_hash

logger = logging.getLogger(__name__)

ACTIVE = (Submission.Status.QUEUED, Submission.Status.RUNNING)
# A chunk job is tried this many more times after it fails or its worker dies.
RETRIES = 2
# Where a running chunk job keeps [samples done, samples] (see leaderboard.jobs).
PROGRESS_META_KEY = "samples"
# Rows per INSERT when an upload is stored: a few MiB a statement at most.
_STORE_BATCH = 20
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
        upload_name=filename,
        format=parsed.format,
        samples_per_problem=parsed.n_samples,
        temperature=temperature,
        notes=notes,
        submitter=submitter,
    )
    _plan(submission, parsed, active)
    with transaction.atomic():  # the submission and its samples, or nothing
        submission.save()
        SubmissionFile.objects.create(submission=submission, data=bytes(data))
        _store_samples(submission, parsed)
        transaction.on_commit(lambda: _enqueue_or_log(submission))
    return submission


def reevaluate_submission(submission: Submission) -> Submission:
    """Drops the results and evaluates again under the current problem set, in a new run
    (jobs of earlier runs then do nothing). SampleFormatError if the file no longer fits it."""
    active = list(Problem.objects.filter(active=True))
    parsed = _parse(submission.upload_name, uploaded_file(submission), active)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        old_job_ids = _job_ids(locked)
        locked.results.all().delete()
        locked.chunks.all().delete()
        locked.run += 1
        locked.status = Submission.Status.QUEUED
        locked.failure_reason = ""
        locked.metrics = {}
        locked.environment = {}
        locked.finished = None
        locked.problems_done = 0
        locked.samples_done = 0
        _plan(locked, parsed, active)
        locked.save()
        # Stored again: a "completion" sample is its problem's prompt plus the completion,
        # and the prompt may have been edited since.
        locked.stored_samples.all().delete()
        _store_samples(locked, parsed)
        transaction.on_commit(lambda: _cancel_jobs_or_log(old_job_ids))
        transaction.on_commit(lambda: _enqueue_or_log(locked))
    return locked


def cancel_submission(submission: Submission) -> bool:
    """Stops a queued or running submission; False if it had already ended.

    Jobs still queued are removed; one already running is stopped by its worker, which
    flags the job to stop and kills its sandbox (leaderboard.worker).
    """
    cancelled = Submission.objects.filter(pk=submission.pk, status__in=ACTIVE).update(
        status=Submission.Status.CANCELLED, finished=timezone.now()
    )
    submission.refresh_from_db()
    if cancelled:
        _cancel_jobs_or_log(_job_ids(submission))
    return bool(cancelled)


def enqueue_submission(submission: Submission) -> int:
    """Puts every chunk without a result on the queue unless it is there already; returns how
    many jobs were added. With none left, finishes the submission here. Raises redis errors,
    and SampleFormatError if a submission stored before chunks existed no longer parses."""
    ensure_samples_stored(submission)
    queue = _queue()
    pending, added = 0, 0
    for problem_id, chunk in _unfinished_chunks(submission):
        pending += 1
        job_id = chunk_job_id(submission, problem_id, chunk)
        job = queue.fetch_job(job_id)
        if job is not None and _status(job) in _LIVE:
            continue
        try:
            queue.enqueue_call(
                "leaderboard.jobs.evaluate_chunk_job",
                args=(submission.pk, problem_id, chunk, submission.run),
                job_id=job_id,
                timeout=settings.EVALUATION_JOB_TIMEOUT,
                retry=Retry(max=RETRIES),
                on_failure=Callback("leaderboard.jobs.chunk_job_failed"),
                description=f"submission {submission.pk}: problem {problem_id} chunk {chunk}",
                # Two workers starting together both requeue: only one may add the job.
                unique=job is None,
            )
        except DuplicateJobError:
            continue
        added += 1
    if not pending:
        # Every chunk landed (or the file covers no active problem): nothing would finish it.
        from leaderboard.jobs import aggregate_submission_job

        aggregate_submission_job(submission.pk, submission.run)
    return added


def requeue_stalled() -> int:
    """Enqueues the missing jobs of every queued or running submission; how many were added."""
    added = 0
    active = Submission.objects.filter(status__in=ACTIVE).order_by("created")
    for submission in active:
        try:
            added += enqueue_submission(submission)
        except SampleFormatError as exc:
            reason = f"the stored file no longer reads: {exc}"
            fail_submission(submission.pk, submission.run, reason)
    return added


def submission_progress(submission: Submission) -> dict:
    """Where a submission stands, for the status page, the API and `submission_status`.

    `done` counts finished problems; `percent` counts samples: those in landed chunks and
    those done in chunks being evaluated right now.
    """
    submission.refresh_from_db()
    done, total = submission.problems_done, submission.problems_total
    samples = submission.samples_total
    running = submission.status == Submission.Status.RUNNING
    under_way = _samples_under_way(submission) if running else 0
    if submission.status == Submission.Status.DONE:
        percent = 100.0
    elif samples:
        percent = round(100 * min(samples, submission.samples_done + under_way) / samples, 1)
    else:
        percent = 0.0
    return {
        "id": submission.pk,
        "status": submission.status,
        "done": done,
        "total": total,
        "percent": percent,
        "eta_seconds": _eta_seconds(submission),
        "metrics": submission.metrics,
        "failure_reason": submission.failure_reason,
        "warnings": submission.warnings,
    }


def is_stale(submission: Submission) -> bool:
    """True when the active problem set changed since the submission was (re-)queued."""
    return submission.problem_set_hash != problem_set_hash()


def read_samples(submission: Submission) -> ParsedSamples:
    """The stored file parsed again (the whole file: jobs read SubmissionSamples instead);
    any problem known (active or not) is accepted, as the file was checked against the
    active ones when it was queued."""
    problems = list(Problem.objects.all())
    return _parse(submission.upload_name, uploaded_file(submission), problems)


def sample_codes(submission: Submission, task_id: str) -> list[str] | None:
    """A problem's samples as its jobs ran them: its stored row, else (a submission queued
    before samples were stored per problem) the file parsed again; None if that fails."""
    stored = submission.stored_samples.filter(task_id=task_id)
    codes = stored.values_list("codes", flat=True).first()
    if codes is not None:
        return list(codes)
    try:
        return read_samples(submission).samples.get(task_id, [])
    except SampleFormatError:
        return None


def uploaded_file(submission: Submission) -> bytes:
    """The file as uploaded (empty if it was never stored: a submission made by hand)."""
    data = SubmissionFile.objects.filter(submission=submission).values_list("data", flat=True)
    return bytes(data.first() or b"")


def ensure_samples_stored(submission: Submission) -> None:
    """Stores the samples of a submission queued before they were stored per problem (the
    file is parsed this once); does nothing for any other."""
    if submission.stored_samples.exists():
        return
    parsed = read_samples(submission)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.stored_samples.exists():
            return
        _store_samples(locked, parsed)
        locked.samples_total = _samples_total(locked, parsed)
        locked.samples_done = sum(locked.results.values_list("n", flat=True))
        locked.save(update_fields=["samples_total", "samples_done"])
    submission.refresh_from_db()


def chunk_count(n: int, chunk_samples: int) -> int:
    return max(1, math.ceil(n / max(1, chunk_samples)))


def chunk_job_id(submission: Submission, problem_id: int, chunk: int) -> str:
    return f"{_job_prefix(submission)}problem-{problem_id}-chunk-{chunk}"


def _job_prefix(submission: Submission) -> str:
    return f"submission-{submission.pk}-run-{submission.run}-"


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
    submission.chunk_samples = settings.EVALUATION_CHUNK_SAMPLES
    submission.samples_total = _samples_total(submission, parsed, active)
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


def _samples_total(
    submission: Submission, parsed: ParsedSamples, active: list[Problem] | None = None
) -> int:
    if active is None:
        active = list(Problem.objects.filter(active=True))
    active_ids = {problem.task_id for problem in active}
    return sum(len(codes) for task_id, codes in parsed.samples.items() if task_id in active_ids)


def _store_samples(submission: Submission, parsed: ParsedSamples) -> None:
    rows = (
        SubmissionSamples(submission=submission, task_id=task_id, n=len(codes), codes=codes)
        for task_id, codes in parsed.samples.items()
        if codes
    )
    SubmissionSamples.objects.bulk_create(rows, batch_size=_STORE_BATCH)


def _chunks(submission: Submission) -> list[tuple[int, int]]:
    """(problem id, chunk) of every chunk the run evaluates, in problem order."""
    sizes = dict(submission.stored_samples.values_list("task_id", "n"))
    problems = (
        Problem.objects.filter(active=True, task_id__in=sizes)
        .order_by("index")
        .values_list("pk", "task_id")
    )
    return [
        (pk, chunk)
        for pk, task_id in problems
        for chunk in range(chunk_count(sizes[task_id], submission.chunk_samples))
    ]


def _unfinished_chunks(submission: Submission) -> list[tuple[int, int]]:
    finished = set(ProblemResult.objects.filter(submission=submission)
                   .values_list("problem_id", flat=True))
    landed = set(ChunkResult.objects.filter(submission=submission)
                 .values_list("problem_id", "chunk"))
    return [
        (problem_id, chunk)
        for problem_id, chunk in _chunks(submission)
        if problem_id not in finished and (problem_id, chunk) not in landed
    ]


def _job_ids(submission: Submission) -> list[str]:
    return [chunk_job_id(submission, pk, chunk) for pk, chunk in _chunks(submission)]


def _queue() -> Queue:
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
            if job is None:
                continue  # gone already
            status = _status(job)
            if status == JobStatus.STARTED:
                _stop_running_job(queue, job_id)
            elif status in _LIVE:
                job.cancel()
    except redis.RedisError as exc:
        logger.warning("Could not remove jobs from the queue (%s); they will do nothing", exc)


def _stop_running_job(queue: Queue, job_id: str) -> None:
    # Its worker flags the job and kills its sandbox (leaderboard.worker), and marks the job
    # stopped, which RQ never retries.
    try:
        send_stop_job_command(queue.connection, job_id)
    except (InvalidJobOperation, NoSuchJobError):  # it ended in the meantime
        pass


def _samples_under_way(submission: Submission) -> int:
    """Samples done in the submission's chunks being evaluated now, as their jobs report it
    (leaderboard.jobs); 0 when Redis cannot tell."""
    prefix = _job_prefix(submission)
    try:
        queue = _queue()
        running = [job_id for job_id in queue.started_job_registry.get_job_ids()
                   if job_id.startswith(prefix)]
        jobs = Job.fetch_many(running, connection=queue.connection)
    except redis.RedisError:
        return 0
    under_way = 0
    for job in jobs:
        done, total = (job.meta.get(PROGRESS_META_KEY) if job else None) or (0, 0)
        under_way += min(done, total)
    return under_way


def _eta_seconds(submission: Submission) -> float | None:
    """Mean wall time of a sample landed so far x the samples left / the workers."""
    if submission.status not in ACTIVE:
        return 0.0 if submission.status == Submission.Status.DONE else None
    landed = [*submission.results.values_list("wall_seconds", "n"),
              *submission.chunks.values_list("wall_seconds", "n")]
    samples = sum(n for _, n in landed)
    if not samples:
        return None
    left = max(0, submission.samples_total - submission.samples_done)
    try:
        workers = Worker.count(queue=_queue())
    except redis.RedisError:
        workers = 0
    return round(sum(wall for wall, _ in landed) / samples * left / max(1, workers), 1)
