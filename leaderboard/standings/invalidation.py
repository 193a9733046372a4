"""What invalidates the leaderboard cache: every change to what the leaderboard shows.

Receivers of model signals, connected in LeaderboardConfig.ready(). Changes made with
QuerySet.update() send no signal: their callers call invalidate_on_commit()
(leaderboard.standings.leaderboard_cache) themselves (the admin's publish and hide actions).
Results written while a submission runs are not shown until it is done, which saves the
submission and lands here.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from leaderboard.models import LanguageModel, Submission
from leaderboard.standings.leaderboard_cache import invalidate_on_commit
from problems.models import Problem, Tag

# The fields of a submission that decide whether, and with what, it is on the leaderboard.
# Saves of other fields only (none today: progress is counted with update()) change nothing.
SHOWN_FIELDS = {"model", "status", "visibility", "finished", "created", "problem_set_hash"}


def submission_saved(
    sender: type[Submission],
    instance: Submission,
    created: bool,
    update_fields: frozenset[str] | None,
    **kwargs,
) -> None:
    if created and not (
        instance.status == Submission.Status.DONE
        and instance.visibility == Submission.Visibility.PUBLISHED
    ):
        return  # a new upload waits in the queue, off the leaderboard
    if update_fields is None or SHOWN_FIELDS & set(update_fields):
        invalidate_on_commit()


def changed(sender: type, **kwargs) -> None:
    invalidate_on_commit()


def tags_changed(sender: type, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        invalidate_on_commit()


def connect() -> None:
    post_save.connect(submission_saved, sender=Submission, dispatch_uid="leaderboard-submission")
    post_delete.connect(changed, sender=Submission, dispatch_uid="leaderboard-submission")
    for model in (LanguageModel, Problem, Tag):
        uid = f"leaderboard-{model._meta.label_lower}"
        post_save.connect(changed, sender=model, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, dispatch_uid=uid)
    m2m_changed.connect(tags_changed, sender=Problem.tags.through, dispatch_uid="leaderboard-tags")
