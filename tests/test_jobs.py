"""Background jobs: queued in PostgreSQL, run by the worker, retried with back-off, mail
delivered to a real SMTP server, scheduled jobs queued once per due time."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments.models import Comment
from jobs import schedule
from jobs.models import PeriodicJob
from jobs.tasks import requeue_stalled, retry_delay, send_email
from tests.factories import make_article, make_comments
from tests.servers import database_url, free_port

REPO = Path(__file__).resolve().parent.parent


def test_queued_mail_is_delivered_by_the_worker_with_its_headers(db, smtp_server, run_jobs):
    send_email.enqueue(
        to=["reader@example.com"],
        subject="A reply to your comment",
        body="Someone answered you.",
        headers={"List-Unsubscribe": "<https://news.example/u/x>"},
    )
    assert smtp_server.inbox.messages == []  # queued, not sent by the caller
    assert run_jobs() == 1
    [message] = smtp_server.inbox.messages
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "A reply to your comment"
    assert message["List-Unsubscribe"] == "<https://news.example/u/x>"
    assert message.get_content().strip() == "Someone answered you."


def test_mail_server_down_the_job_fails_visibly_and_is_retried_later(
    db, smtp_server, settings, run_jobs, admin_client
):
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    send_email.enqueue(to=["reader@example.com"], subject="Hello", body="Text")

    run_jobs()

    failed = DBTaskResult.objects.get(status="FAILED")
    assert "ConnectionRefusedError" in failed.exception_class_path or failed.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + retry_delay(1) - timedelta(seconds=5)
    # The failure is there for staff to see, traceback and all.
    listing = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert "send_email" in listing.content.decode()

    # Not before its time ...
    assert run_jobs() == 0
    # ... and once the server is back and the delay has passed, the mail goes out.
    settings.EMAIL_PORT = live_port
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert run_jobs() == 1
    assert [m["Subject"] for m in smtp_server.inbox.messages] == ["Hello"]
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


def test_a_job_gives_up_after_its_last_attempt(db, settings, run_jobs):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    send_email.enqueue(to=["a@example.com"], subject="S", body="B", attempt=8)
    run_jobs()
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_retry_delays_grow_to_an_hour():
    delays = [retry_delay(attempt) for attempt in range(1, 9)]
    assert delays[0] == timedelta(seconds=30)
    assert delays == sorted(delays)
    assert delays[-1] == timedelta(hours=1)


def test_a_daily_job_is_queued_once_per_day_however_often_workers_look(db):
    erase = "comments.tasks.erase_old_addresses"
    now = timezone.now()
    assert erase in schedule.queue_due(now)
    assert schedule.queue_due(now) == []
    assert erase not in schedule.queue_due(now + timedelta(hours=23))
    assert erase in schedule.queue_due(now + timedelta(days=1))
    # A worker down for a week runs the job once when it is back, not seven times.
    assert erase in schedule.queue_due(now + timedelta(days=8))
    assert erase not in schedule.queue_due(now + timedelta(days=8))
    assert DBTaskResult.objects.filter(task_path=erase).count() == 3
    assert PeriodicJob.objects.get(task_path=erase).next_run_at == now + timedelta(days=9)


def test_a_job_left_running_by_a_dead_worker_is_failed_and_queued_again(db):
    send_email.enqueue(to=["a@example.com"], subject="Lost", body="B")
    send_email.enqueue(to=["b@example.com"], subject="Busy", body="B")
    send_email.enqueue(to=["c@example.com"], subject="Last try", body="B", attempt=8)
    long_ago = timezone.now() - timedelta(minutes=11)
    DBTaskResult.objects.update(status="RUNNING", started_at=long_ago)
    DBTaskResult.objects.filter(args_kwargs__kwargs__subject="Busy").update(
        started_at=timezone.now()
    )

    assert requeue_stalled.call() == 1

    failed = DBTaskResult.objects.filter(status="FAILED")
    assert {r.args_kwargs["kwargs"]["subject"] for r in failed} == {"Lost", "Last try"}
    assert {r.exception_class_path for r in failed} == {"jobs.tasks.WorkerLost"}
    [again] = DBTaskResult.objects.filter(status="READY")
    assert again.args_kwargs["kwargs"] == {
        "to": ["a@example.com"],
        "subject": "Lost",
        "body": "B",
        "attempt": 2,
    }
    assert DBTaskResult.objects.get(status="RUNNING").args_kwargs["kwargs"]["subject"] == "Busy"


def test_the_daily_job_erases_old_addresses_and_keeps_the_comments(db, run_jobs, settings):
    settings.COMMENTS_IP_RETENTION_DAYS = 90
    old, recent = make_comments(make_article(), 2)
    Comment.objects.filter(pk=old.pk).update(
        ip_address="203.0.113.9",
        network="203.0.113.9/32",
        created_at=timezone.now() - timedelta(days=91),
    )
    Comment.objects.filter(pk=recent.pk).update(ip_address="203.0.113.10")
    # Every scheduled job is due at a worker's first look (stalled jobs, digests, ...).
    assert run_jobs(scheduled=True) == len(schedule.periodic_jobs())
    assert DBTaskResult.objects.get(
        task_path="comments.tasks.erase_old_addresses"
    ).return_value == {
        "comments": 1,
        "reports": 0,
    }
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.ip_address, old.network) == (None, "")
    assert recent.ip_address == "203.0.113.10"
    assert Comment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_sends_queued_mail_and_stops_cleanly_on_term(smtp_server, tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": smtp_server.url,
        "NEWSROOM_DATA_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-reload", "--interval", "0.2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        send_email.enqueue(to=["reader@example.com"], subject="From the worker", body="Hi")
        [message] = smtp_server.inbox.wait_for(1, timeout=30)
        assert message["Subject"] == "From the worker"
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0].decode()
    assert worker.returncode == 0, output
    sent = DBTaskResult.objects.get(task_path="jobs.tasks.send_email")
    assert sent.status == "SUCCESSFUL"


def test_sign_in_records_older_than_the_address_retention_are_erased(db, settings):
    from axes.models import AccessFailureLog, AccessLog

    from staff.tasks import erase_old_sign_in_records

    settings.COMMENTS_IP_RETENTION_DAYS = 90
    for name in ("old", "recent"):
        AccessLog.objects.create(username=name, ip_address="203.0.113.9", user_agent="x")
        AccessFailureLog.objects.create(username=name, ip_address="203.0.113.9", user_agent="x")
    for model in (AccessLog, AccessFailureLog):
        model.objects.filter(username="old").update(
            attempt_time=timezone.now() - timedelta(days=91)
        )

    erased = erase_old_sign_in_records.call()

    assert erased == {"AccessLog": 1, "AccessFailureLog": 1, "AccessAttempt": 0}
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["recent"]
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == ["recent"]


def test_finished_jobs_go_after_a_week_and_unfinished_ones_stay(db):
    from jobs.tasks import delete_finished

    for subject in ("old", "recent", "waiting"):
        send_email.enqueue(to=["a@example.com"], subject=subject, body="B")
    DBTaskResult.objects.exclude(args_kwargs__kwargs__subject="waiting").update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )
    DBTaskResult.objects.filter(args_kwargs__kwargs__subject="old").update(
        finished_at=timezone.now() - timedelta(days=8)
    )
    assert delete_finished.call() == 1
    left = DBTaskResult.objects.values_list("args_kwargs__kwargs__subject", flat=True)
    assert sorted(left) == ["recent", "waiting"]
