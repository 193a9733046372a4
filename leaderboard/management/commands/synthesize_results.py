"""`manage.py synthesize_results`: a large leaderboard of made-up models, for benchmarks.

Creates models with one published, finished submission each and one single-sample
ProblemResult per active problem, with plausible numbers: a model's skill and a problem's
difficulty decide whether the sample passes and how efficient it is. Everything is written
with bulk_create, so 500 models x 142 problems take seconds. Running it again with the same
seed replaces that seed's models.
"""

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from evaluation.api import SampleStatus
from leaderboard.models import LanguageModel, ProblemResult, Submission
from leaderboard.standings.leaderboard_cache import bump_version
from problems.models import Problem, problem_set_hash

ORGANISATIONS = ("Acme AI", "Borealis Labs", "Cobalt Research", "Delta Systems", "")
BATCH = 5000


class Command(BaseCommand):
    help = "Create synthetic published results for benchmarking the leaderboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--models", type=int, default=500)
        parser.add_argument("--problems", type=int, default=142, help="The first N active ones")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, models: int, problems: int, seed: int, **options) -> None:
        active = list(Problem.objects.filter(active=True).order_by("index")[:problems])
        if not active:
            raise CommandError("No active problems: run `manage.py import_enamel` first.")
        rng = np.random.default_rng(seed)
        prefix = f"synthetic-{seed}-"
        now = timezone.now()
        with transaction.atomic():
            LanguageModel.objects.filter(slug__startswith=prefix).delete()
            created = LanguageModel.objects.bulk_create(
                LanguageModel(
                    name=f"Synthetic {seed}-{i:04d}",
                    slug=f"{prefix}{i:04d}",
                    organisation=ORGANISATIONS[i % len(ORGANISATIONS)],
                    parameters_billions=float(np.round(rng.lognormal(3, 1), 1)),
                    open_weights=bool(i % 2),
                )
                for i in range(models)
            )
            # Ids are not returned by bulk_create on every backend: read them back.
            model_ids = dict(
                LanguageModel.objects.filter(slug__startswith=prefix).values_list("slug", "id")
            )
            skill = rng.beta(4, 3, size=models)
            difficulty = rng.beta(2, 4, size=len(active))
            passed = rng.random((models, len(active))) < np.clip(
                skill[:, None] - difficulty[None, :] + 0.3, 0.02, 0.98
            )
            efficiency = np.where(
                passed, np.clip(rng.normal(skill[:, None] * 0.8, 0.15), 0.01, 1.0), 0.0
            )
            current = problem_set_hash()
            Submission.objects.bulk_create(
                Submission(
                    model_id=model_ids[model.slug],
                    upload=b"",
                    upload_name="synthetic.json",
                    format="enamel-json",
                    samples_per_problem=1,
                    notes=f"synthesize_results --seed {seed}",
                    finished=now,
                    status=Submission.Status.DONE,
                    visibility=Submission.Visibility.PUBLISHED,
                    problems_total=len(active),
                    problems_done=len(active),
                    problem_set_hash=current,
                    problem_set_size=len(active),
                    metrics={
                        "pass@1": float(passed[i].mean()),
                        "eff@1": float(efficiency[i].mean()),
                    },
                )
                for i, model in enumerate(created)
            )
            submission_ids = list(
                Submission.objects.filter(model__slug__startswith=prefix)
                .order_by("model__slug")
                .values_list("id", flat=True)
            )
            ProblemResult.objects.bulk_create(
                (
                    _result(submission_id, problem, bool(passed[i, j]), float(efficiency[i, j]))
                    for i, submission_id in enumerate(submission_ids)
                    for j, problem in enumerate(active)
                ),
                batch_size=BATCH,
            )
        # bulk_create sends no signals.
        bump_version()
        self.stdout.write(
            f"Created {models} models x {len(active)} problems of synthetic results (seed {seed})."
        )


def _result(submission_id: int, problem: Problem, passed: bool, efficiency: float) -> ProblemResult:
    sample = {
        "status": SampleStatus.PASSED if passed else SampleStatus.WRONG_ANSWER,
        "correct": passed,
        "efficiency": efficiency,
        "levels": [efficiency] * 4 if passed else [],
        "times": [0.001, 0.01, 0.1, 1.0] if passed else [0.001],
        "peak_memory": 4096,
        "isolation": "synthetic",
        "error": "" if passed else "AssertionError: wrong answer",
        "failed_level": None if passed else 0,
    }
    return ProblemResult(
        submission_id=submission_id,
        problem=problem,
        problem_hash=problem.content_hash,
        n=1,
        c=int(passed),
        pass_at_k={"1": float(passed)},
        eff_at_k={"1": efficiency},
        samples=[sample],
    )
