"""`manage.py submission_status ID`: a submission's progress and metrics as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leaderboard.models import Submission
from leaderboard.submissions import is_stale, submission_progress


class Command(BaseCommand):
    help = "Print a submission's status, progress, ETA and metrics as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=int)

    def handle(self, *args, id: int, **options) -> None:
        submission = Submission.objects.filter(pk=id).first()
        if submission is None:
            raise CommandError(f"no submission with id {id}")
        progress = submission_progress(submission)
        progress["stale"] = is_stale(submission)
        self.stdout.write(json.dumps(progress, indent=2))
