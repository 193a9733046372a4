"""`manage.py requeue_stalled`: puts back on the queue whatever Redis lost.

Every worker runs this as it starts (leaderboard.worker); run it by hand after Redis was
flushed or restarted while workers kept running.
"""

import redis
from django.core.management.base import BaseCommand, CommandError

from leaderboard.submissions import requeue_stalled


class Command(BaseCommand):
    help = (
        "Enqueue every queued or running submission's chunks that have no result and are not "
        "on the queue; finish one that has none left."
    )

    def handle(self, *args, **options) -> None:
        try:
            added = requeue_stalled()
        except redis.RedisError as exc:
            raise CommandError(f"cannot reach Redis: {exc}") from None
        self.stdout.write(f"{added} jobs enqueued")
