"""The background worker: runs queued jobs (django-tasks-db's `db_worker`) and queues the
scheduled ones when they are due (jobs.schedule). `make run` starts it beside gunicorn;
a deployment runs one or more of it beside the app servers."""

import logging
import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from jobs import schedule

logger = logging.getLogger("jobs")


class Command(DatabaseWorkerCommand):
    help = "Run queued background jobs, and queue scheduled ones when they are due."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--schedule-interval",
            type=float,
            default=30.0,
            help="Seconds between looks for due scheduled jobs (default: %(default)s).",
        )

    def handle(self, *args, schedule_interval: float, **options) -> None:
        if options["batch"]:
            # One pass: what is due now is queued first, then everything queued is run.
            schedule.queue_due()
        else:
            # The scheduler is a thread of the worker, not a process of its own: one
            # command to run, and it ends with the worker.
            threading.Thread(
                target=self._queue_scheduled, args=(schedule_interval,), daemon=True
            ).start()
        super().handle(*args, **options)

    def _queue_scheduled(self, interval: float) -> None:
        stop = threading.Event()
        while not stop.is_set():
            try:
                for name in schedule.queue_due():
                    logger.info("scheduled job queued", extra={"job": name})
            except Exception:
                # The database restarting must not end the scheduler; the next look retries.
                logger.exception("could not queue scheduled jobs")
            finally:
                connection.close()  # this thread's own connection
            stop.wait(interval)
