import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from evaluation.api import ProblemSpec


class Tag(models.Model):
    """An algorithm tag in the style of competitive programming."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _int_list(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split())


def _float_list(value: str) -> tuple[float, ...]:
    return tuple(float(part) for part in value.split())


class Problem(models.Model):
    """One ENAMEL problem: a HumanEval prompt with its efficient reference and test generator."""

    task_id = models.CharField(max_length=40, unique=True)  # "HumanEval/N"
    index = models.PositiveIntegerField(unique=True)  # N: used in seeds and sample files
    slug = models.SlugField(unique=True)  # "humaneval-n"
    title = models.CharField(max_length=120)
    prompt = models.TextField()
    entry_point = models.CharField(max_length=100)
    input_generator = models.TextField()
    level_sizes = models.CharField(
        max_length=100, help_text="Space-separated input sizes, one per level"
    )
    reference_solution = models.TextField()
    checker = models.TextField()
    tests_per_level = models.CharField(max_length=50, default="8 4 4 4")
    hardness = models.CharField(max_length=50, default="0 3 3 4", help_text="Level weights")
    active = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, editable=False, db_index=True)
    # The content hash the last successful validation ran on: activation requires a match.
    validated_hash = models.CharField(max_length=64, editable=False, blank=True)
    tags = models.ManyToManyField(Tag, related_name="problems", blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return self.task_id

    def save(self, *args, **kwargs) -> None:
        self.content_hash = self.to_spec().content_hash()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("problems:detail", args=[self.slug])

    def clean(self) -> None:
        try:
            spec = self.to_spec()
        except ValueError:
            raise ValidationError(
                "Level sizes, tests per level and hardness must be numbers"
            ) from None
        lengths = {len(spec.level_sizes), len(spec.tests_per_level), len(spec.hardness)}
        if len(lengths) != 1:
            raise ValidationError(
                "Level sizes, tests per level and hardness need one value per level each"
            )
        if self.active and self.validated_hash != spec.content_hash():
            raise ValidationError(
                "This problem cannot be activated until it validates: save it inactive, "
                "then run the “validate” action"
            )

    def to_spec(self) -> ProblemSpec:
        return ProblemSpec(
            index=self.index,
            task_id=self.task_id,
            prompt=self.prompt,
            entry_point=self.entry_point,
            input_generator=self.input_generator,
            level_sizes=_int_list(self.level_sizes),
            reference_solution=self.reference_solution,
            checker=self.checker,
            tests_per_level=_int_list(self.tests_per_level),
            hardness=_float_list(self.hardness),
        )


def problem_set_hash() -> str:
    """Identifies the active problem set: results computed under another hash are stale."""
    hashes = Problem.objects.filter(active=True).order_by("index").values_list(
        "content_hash", flat=True
    )
    return hashlib.sha256(" ".join(hashes).encode()).hexdigest()
