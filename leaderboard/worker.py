"""The RQ worker `manage.py rqworker` runs (settings.RQ["WORKER_CLASS"]).

RQ's own worker, with four changes for a queue whose source of truth is the database:

- on start it requeues stalled submissions, so work lost with Redis comes back as soon as
  any worker (re)starts;
- a job whose worker was killed is taken again once its heartbeat is older than
  RQ_HEARTBEAT_SECONDS + RQ_HEARTBEAT_GRACE_SECONDS (RQ fixes that grace at 60 s and
  cleans up only every 10 minutes, and not at all while a worker idles on an empty queue);
- Redis restarting during a job does not end the worker at a heartbeat or at the job's
  start or end (elsewhere it may: its supervisor restarts it, see deploy/systemd);
- database connections are closed before each fork, so a work horse never shares the
  parent's connection (the parent opens one for failure callbacks of abandoned jobs).
"""

import logging

import redis
import rq
from django.conf import settings
from django.db import connections
from rq.executions import Execution
from rq.job import Job

logger = logging.getLogger(__name__)


class Worker(rq.Worker):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("job_monitoring_interval", settings.RQ_HEARTBEAT_SECONDS)
        kwargs.setdefault("maintenance_interval", settings.RQ_MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        # Wake up for maintenance even when the queue stays empty.
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = max(1, min(interval, int(job.timeout - working_time)))
        return interval + settings.RQ_HEARTBEAT_GRACE_SECONDS

    def maintain_heartbeats(self, job: Job, execution: Execution) -> None:
        # Redis restarting under a running job must not end the worker (RQ would quit here):
        # the job goes on, its result goes to the database, and requeue_stalled rebuilds the rest.
        try:
            super().maintain_heartbeats(job, execution)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logger.warning("Worker %s: heartbeat for job %s missed: %s", self.name, job.id, exc)

    def work(self, *args, **kwargs) -> bool:
        from leaderboard.submissions import requeue_stalled

        try:
            requeued = requeue_stalled()
        except Exception:  # a worker that cannot requeue must still work
            logger.exception("Worker %s: could not requeue stalled submissions", self.name)
        else:
            if requeued:
                logger.info("Worker %s: requeued %d stalled jobs", self.name, requeued)
        connections.close_all()
        return super().work(*args, **kwargs)

    def execute_job(self, job: Job, queue: rq.Queue) -> None:
        connections.close_all()
        try:
            super().execute_job(job, queue)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            # Raised before the fork or after the horse ended (never while it runs, see
            # maintain_heartbeats): the database has whatever the job wrote.
            logger.warning("Worker %s: Redis lost around job %s: %s", self.name, job.id, exc)
