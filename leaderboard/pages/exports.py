"""Downloadable tables, as pandas DataFrames with stable, documented column names.

The column lists below are the public contract (README "Exports"): add columns at the end,
never rename one.
"""

import pandas as pd

from evaluation.api import SampleStatus
from leaderboard.models import ProblemResult, Submission
from leaderboard.standings import profiles
from leaderboard.standings.breakdown import Breakdown
from leaderboard.standings.queries import KS, LARGER_KS, LeaderboardTable, outcome

LEADERBOARD_COLUMNS = [
    "model",
    "slug",
    "organisation",
    "open_weights",
    "parameters_billions",
    "rank",
    "eff@1",
    "eff@1_ci_low",
    "eff@1_ci_high",
    "pass@1",
    *(f"{metric}@{k}" for k in LARGER_KS for metric in ("eff", "pass")),
    "n",
    "date",
    "submission_id",
    "problems_covered",
    "problems_scored",
    "complete",
    "isolation",
]  # then "eff@1[<tag slug>]" and "pass@1[<tag slug>]" for every tag, by tag name
SUBMISSION_COLUMNS = (
    ["task_id", "n", "c"]
    + [f"pass@{k}" for k in KS]
    + [f"eff@{k}" for k in KS]
    + [f"n_{status}" for status in SampleStatus]
)
SAMPLE_COLUMNS = [
    "task_id",
    "sample",
    "status",
    "efficiency",
    "levels",
    "times",
    "peak_memory",
    "error",
    "failed_level",
    "outcome",
    "isolation",
    "reference_times",
    "growth_exponent",
    "reference_growth_exponent",
]


def leaderboard_frame(table: LeaderboardTable) -> pd.DataFrame:
    records = []
    for row in table.rows:
        record = {
            "model": row.name,
            "slug": row.slug,
            "organisation": row.organisation,
            "open_weights": row.open_weights,
            "parameters_billions": row.parameters_billions,
            "rank": row.rank,
            "eff@1": row.eff1,
            "eff@1_ci_low": row.eff1_ci_low,
            "eff@1_ci_high": row.eff1_ci_high,
            "pass@1": row.pass1,
            "n": row.n,
            "date": row.date.isoformat(),
            "submission_id": row.submission_id,
            "problems_covered": row.covered,
            "problems_scored": len(table.problems),
            "complete": row.complete,
            "isolation": row.isolation,
        }
        for k in LARGER_KS:
            record[f"eff@{k}"] = row.eff_at[k]
            record[f"pass@{k}"] = row.pass_at[k]
        for score in row.tags:
            record[f"eff@1[{score.tag.slug}]"] = score.eff1
            record[f"pass@1[{score.tag.slug}]"] = score.pass1
        records.append(record)
    columns = LEADERBOARD_COLUMNS + [
        f"{metric}[{tag.slug}]" for tag in table.tags for metric in ("eff@1", "pass@1")
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def submission_frame(breakdown: Breakdown) -> pd.DataFrame:
    """One row per problem the submission has results for, in index order."""
    records = []
    for line in breakdown.problems:
        if not line.covered:
            continue
        record = {"task_id": line.task_id, "n": line.n, "c": line.c}
        for k in KS:
            record[f"pass@{k}"] = line.pass_at_k.get(k)
            record[f"eff@{k}"] = line.eff_at_k.get(k)
        for status in SampleStatus:
            record[f"n_{status}"] = line.status_counts[status]
        records.append(record)
    return pd.DataFrame.from_records(records, columns=SUBMISSION_COLUMNS)


def samples_frame(submission: Submission) -> pd.DataFrame:
    """One row per evaluated sample, problems in index order, samples in file order.

    The growth exponents are profiles.growth_exponent over the timed levels: the sample's
    from its times, the reference's from the times solved from the sample's efficiencies
    (or, for a sample that pins them down less, the problem's median).
    """
    records = []
    for task_id, level_sizes, level_hardness, samples in (
        ProblemResult.objects.filter(submission=submission)
        .order_by("problem__index")
        .values_list("problem__task_id", "problem__level_sizes", "problem__hardness", "samples")
    ):
        sizes = [int(size) for size in level_sizes.split()]
        hardness = [float(weight) for weight in level_hardness.split()]
        found = profiles.problem_profiles(sizes, hardness, samples)
        for number, sample in enumerate(samples):
            reference = profiles.reference_times(
                sample["times"], sample["levels"], hardness
            ) or list(found.reference_times)
            records.append(
                {
                    "task_id": task_id,
                    "sample": number,
                    "status": sample["status"],
                    "efficiency": sample["efficiency"],
                    "levels": sample["levels"],
                    "times": sample["times"],
                    "peak_memory": sample["peak_memory"],
                    "error": sample["error"],
                    "failed_level": sample["failed_level"],
                    "outcome": outcome(sample),
                    "isolation": sample.get("isolation", ""),
                    "reference_times": reference,
                    "growth_exponent": found.samples[number].exponent,
                    "reference_growth_exponent": profiles.profile(
                        sizes, hardness, reference
                    ).exponent if reference else None,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=SAMPLE_COLUMNS)
    # A nullable integer: a level number, not a float, and null when nothing failed.
    frame["failed_level"] = frame["failed_level"].astype("Int64")
    return frame
