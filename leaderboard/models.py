from django.conf import settings
from django.db import models
from django.urls import reverse

from problems.models import Problem


class LanguageModel(models.Model):
    """A code-generating model that submissions are evaluated for."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    organisation = models.CharField(max_length=120, blank=True)
    parameters_billions = models.FloatField(
        null=True, blank=True, help_text="Parameter count in billions, where known"
    )
    open_weights = models.BooleanField(default=False)
    link = models.URLField(blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Visibility(models.TextChoices):
        PENDING = "pending"
        PUBLISHED = "published"
        HIDDEN = "hidden"

    model = models.ForeignKey(LanguageModel, on_delete=models.CASCADE, related_name="submissions")
    upload_name = models.CharField(max_length=255)
    format = models.CharField(max_length=20)  # enamel-json, evalplus-jsonl, evalplus-zip
    temperature = models.FloatField(null=True, blank=True)
    samples_per_problem = models.PositiveIntegerField(default=1)
    notes = models.TextField(blank=True)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True)
    problems_total = models.PositiveIntegerField(default=0)  # problems the file covers
    problems_done = models.PositiveIntegerField(default=0)
    # Samples of the covered problems, and how many have landed (in chunks): the progress bar.
    samples_total = models.PositiveIntegerField(default=0)
    samples_done = models.PositiveIntegerField(default=0)
    # A problem's samples run as jobs of at most this many (fixed per run, so that every
    # worker cuts the same chunks).
    chunk_samples = models.PositiveIntegerField(default=20)
    problem_set_hash = models.CharField(max_length=64, blank=True)
    # Active problems when (re-)queued: the metrics average over all of them.
    problem_set_size = models.PositiveIntegerField(default=0)
    # Bumped by each re-evaluation; jobs of an earlier run then do nothing.
    run = models.PositiveIntegerField(default=1)
    warnings = models.JSONField(default=list, blank=True)  # one line each
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PENDING
    )
    environment = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)  # {"pass@1": …, "eff@1": …}

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.model}"

    def get_absolute_url(self) -> str:
        return reverse("leaderboard:submission", args=[self.pk])


class SubmissionFile(models.Model):
    """The uploaded file, byte for byte, in a row of its own: SQLite rewrites a whole row at
    every UPDATE, so in the submission's row a file of many MiB would be copied again at each
    job's progress write; and no query for a submission loads it unless it asks."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, primary_key=True, related_name="file"
    )
    data = models.BinaryField()

    def __str__(self) -> str:
        return str(self.submission_id)


class SubmissionSamples(models.Model):
    """One problem's samples of an upload, stored once when it is queued: a job reads only
    its own problem's row, never the whole file."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="stored_samples"
    )
    task_id = models.CharField(max_length=50)  # the file's key: the Problem may come later
    n = models.PositiveIntegerField()
    codes = models.JSONField(default=list)  # the programs, in file order

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "task_id"], name="one_row_per_task")
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.task_id}"


class ChunkResult(models.Model):
    """Samples [chunk x chunk_samples, ...) of one problem, evaluated by one job against a
    reference timed on that job's worker, until the problem's last chunk lands: that one is
    written straight into the ProblemResult with the others, whose rows are then deleted."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="chunks")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="+")
    chunk = models.PositiveIntegerField()
    n = models.PositiveIntegerField()
    samples = models.JSONField(default=list)  # SampleResult.to_dict() per sample
    reference_times = models.JSONField(default=list)  # this worker's, per level
    timeout = models.FloatField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    wall_seconds = models.FloatField(default=0)
    call_seconds = models.FloatField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "problem", "chunk"], name="one_result_per_chunk"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.problem_id}:{self.chunk}"


class ProblemResult(models.Model):
    """One problem of one submission: its metrics and all its samples in compact form."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="results")
    problem_hash = models.CharField(max_length=64)
    n = models.PositiveIntegerField()
    c = models.PositiveIntegerField()
    pass_at_k = models.JSONField(default=dict)  # {"1": 0.5, "10": …}
    eff_at_k = models.JSONField(default=dict)
    samples = models.JSONField(default=list)  # SampleResult.to_dict() per sample, in file order
    worker = models.CharField(max_length=200, blank=True)
    wall_seconds = models.FloatField(default=0)  # summed over its chunks
    call_seconds = models.FloatField(default=0)  # inside calls, out of wall_seconds
    chunks = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "problem"], name="one_result_per_problem")
        ]
        ordering = ["problem__index"]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.problem}"
