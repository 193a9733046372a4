"""Which sandbox a submission's results ran under, as shown on its page and checked on publish.

Only bubblewrap isolates a sample from the network, the files and other runs; anything else
(rlimits only, or unrecorded) is a result an admin must choose to publish knowingly.
"""

from leaderboard.models import Submission

ISOLATED = "bubblewrap"
UNKNOWN = "unknown"  # not recorded, e.g. not evaluated yet


def isolations(submission: Submission) -> list[str]:
    """Every isolation level the submission's worker and samples recorded, sorted; an
    unrecorded one counts as UNKNOWN."""
    levels = {submission.environment.get("isolation") or UNKNOWN}
    for samples in submission.results.values_list("samples", flat=True):
        levels.update(sample.get("isolation") or UNKNOWN for sample in samples)
    return sorted(levels)


def is_isolated(submission: Submission) -> bool:
    return isolations(submission) == [ISOLATED]
