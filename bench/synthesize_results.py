"""A large leaderboard of made-up models, for benchmarking the site (bench/web_load.py).

    .venv/bin/python bench/synthesize_results.py [--models 500] [--problems 142] [--seed 0]

Creates models with one published, finished submission each and one single-sample
ProblemResult per active problem, with plausible numbers: a model's skill and a problem's
difficulty decide whether the sample passes and how efficient it is. Everything is written
with bulk_create, so 500 models x 142 problems take seconds. Running it again with the same
seed replaces that seed's models. It writes *published* results, so it lives here and not
among the production app's commands. The database is the one DATABASE_URL names.
"""

import argparse
import os
import sys
from pathlib import Path

import django
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leaderboard.project.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from evaluation.api import SampleStatus  # noqa: E402
from leaderboard.models import LanguageModel, ProblemResult, Submission  # noqa: E402
from leaderboard.standings.leaderboard_cache import bump_version  # noqa: E402
from problems.models import Problem, problem_set_hash  # noqa: E402

ORGANISATIONS = ("Acme AI", "Borealis Labs", "Cobalt Research", "Delta Systems", "")
BATCH = 5000


def synthesize(models: int, problems: int, seed: int) -> int:
    """Creates `models` synthetic models with results on the first `problems` active problems;
    returns how many problems that was."""
    active = list(Problem.objects.filter(active=True).order_by("index")[:problems])
    if not active:
        raise SystemExit("No active problems: run `manage.py import_enamel` first.")
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
                upload_name="synthetic.json",
                format="enamel-json",
                samples_per_problem=1,
                notes=f"bench/synthesize_results.py --seed {seed}",
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
    return len(active)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--problems", type=int, default=142, help="The first N active ones")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    problems = synthesize(args.models, args.problems, args.seed)
    print(f"Created {args.models} models x {problems} problems of synthetic results "
          f"(seed {args.seed}).")


if __name__ == "__main__":
    main()
