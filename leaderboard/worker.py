"""The RQ worker `manage.py rqworker` runs (settings.RQ["WORKER_CLASS"]).

It runs jobs in its own process, without forking a work horse per job (RQ's SimpleWorker),
so that the sandbox stays warm across jobs: its zygotes start once per worker, not once per
job (about 0.1 s, against a 20 ms budget for a job's overhead), and the database connection
is kept too. The sandbox cannot live anywhere else: a work horse dies with its job, and
sharing one between processes would need a server of its own. What forking gave for free is
done here instead:

- a running job is stopped (a cancel: RQ's stop-job command) by a flag the job checks
  between samples (leaderboard.jobs) and by killing the sandbox's zygotes until the job
  ends, which ends the run under way at once and every run after it (the reference's
  included), whenever the stop came; RQ then marks the job stopped and never retries it,
  and the killed sandbox is replaced before the next job;
- a thread keeps the job's heartbeat while it runs (RQ's forking worker does it while it
  waits for the horse), so that a job whose worker was killed is taken again once its
  heartbeat is older than RQ_HEARTBEAT_SECONDS + RQ_HEARTBEAT_GRACE_SECONDS (RQ fixes that
  grace at 60 s and cleans up only every 10 minutes, and not at all while a worker idles);
- a job that did not end normally (an error, a timeout, a stop) leaves no state behind:
  evaluation.api discards the warm sandbox, and the database connection is checked before
  each job;
- the job timeout is RQ's SIGALRM in this process; a worker killed outright takes its
  zygotes with it (they die with their parent).

Also: on start it requeues stalled submissions, so work lost with Redis comes back as soon as
any worker (re)starts; and Redis restarting during a job does not end the worker at a
heartbeat or at the job's start or end (elsewhere it may: its supervisor restarts it, see
deploy/systemd).
"""

import logging
import os
import signal
import threading
import time

import redis
import rq
from django.conf import settings
from django.db import close_old_connections, connections, reset_queries
from rq.executions import Execution
from rq.job import Job
from rq.worker import WorkerStatus

logger = logging.getLogger(__name__)

# Set when the running job is to stop (a cancel); the job checks it between samples.
STOP_EVALUATION = threading.Event()
# How often a stopped job's sandbox is killed again (a zygote it started since).
KILL_INTERVAL_SECONDS = 0.05


class Worker(rq.SimpleWorker):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("job_monitoring_interval", settings.RQ_HEARTBEAT_SECONDS)
        kwargs.setdefault("maintenance_interval", settings.RQ_MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)
        self._killer: threading.Thread | None = None

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
        # Redis restarting under a running job must not end the worker: the job goes on, its
        # result goes to the database, and requeue_stalled rebuilds the rest.
        try:
            super().maintain_heartbeats(job, execution)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logger.warning("Worker %s: heartbeat for job %s missed: %s", self.name, job.id, exc)

    def work(self, *args, **kwargs) -> bool:
        from leaderboard.submissions import requeue_stalled

        os.environ["RQ_WORKER_ID"] = self.name  # what results record as their worker
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
        STOP_EVALUATION.clear()
        close_old_connections()  # one connection for many jobs, unless it broke
        reset_queries()  # DEBUG keeps every query: not for the worker's lifetime
        try:
            execution = self.prepare_execution(job)
            done = threading.Event()
            beat = threading.Thread(
                target=self._keep_heartbeat, args=(job, execution, done),
                name=f"heartbeat {job.id}", daemon=True,
            )
            beat.start()
            try:
                self.perform_job(job, queue, execution)
            finally:
                done.set()
                beat.join()
                self._end_stop()
            self.set_state(WorkerStatus.IDLE)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            # Raised before or after the job ran: the database has whatever the job wrote.
            logger.warning("Worker %s: Redis lost around job %s: %s", self.name, job.id, exc)

    def _keep_heartbeat(self, job: Job, execution: Execution, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:  # the job goes on; a missed beat at worst lets it be retaken
                logger.exception("Worker %s: heartbeat for job %s failed", self.name, job.id)

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """RQ's stop-job command (from its pubsub thread): there is no horse to kill, so the
        evaluation is stopped instead."""

        STOP_EVALUATION.set()
        if self._killer is None:
            self._killer = threading.Thread(target=self._kill_until_job_ends, daemon=True)
            self._killer.start()
        logger.info("Worker %s: stopping the running evaluation", self.name)

    @staticmethod
    def _kill_until_job_ends() -> None:
        from evaluation import api

        while STOP_EVALUATION.is_set():
            api.kill_warm_sandbox()
            time.sleep(KILL_INTERVAL_SECONDS)

    def _end_stop(self) -> None:
        """After a job: no kill may reach the next job's sandbox, and a killed one goes."""
        from evaluation import api

        stopped = STOP_EVALUATION.is_set()
        STOP_EVALUATION.clear()
        if self._killer is not None:
            self._killer.join()
            self._killer = None
        if stopped:
            api.discard_warm_sandbox()
