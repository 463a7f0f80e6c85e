"""The moderators' workspace on the scale data (`make bench`'s million comments), measured
in process at one connection: the server time of the Reported and Pending queues' first
page, and of a decision (made in place, as the script does; and without JavaScript, the
POST and the queue it comes back to). Prints p50, p99 and the queries of each.

    make bench    (after tests/bench.py, on the same data)
    DATABASE_URL=postgres://… .venv/bin/python tests/bench_moderation.py

It marks some visible comments reported (the generated data has no reports) and approves
or rejects pending comments: run it on a scale database, never on one that matters.
"""

import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
# Production's settings (no query log, no debug pages), served over the test client.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
# The test client's host, beside whatever `make bench` allows.
os.environ["ALLOWED_HOSTS"] = ",".join(
    filter(None, [os.environ.get("ALLOWED_HOSTS", ""), "testserver"])
)
os.environ.setdefault("SITE_URL", "http://testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import CharField, F, Value  # noqa: E402
from django.db.models.functions import Cast, Concat  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from comments.models import Comment  # noqa: E402
from moderation.decisions import CardVersion  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "200"))
REPORTED = 5000


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, samples: list[float], queries: int) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"{name:<44} p50 {statistics.median(ms):6.1f} ms  p99 {percentile(ms, 0.99):6.1f} ms"
        f"  max {max(ms):6.1f} ms  {queries} queries"
    )


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def queries_of(run) -> int:
    """Counted in a run of its own: counting logs each query, which a timed run would
    time too."""
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def main() -> None:
    from newsroom.localdb import ensure_started

    ensure_started()  # the embedded PostgreSQL, unless DATABASE_URL names a server
    total = Comment.objects.count()
    print(f"{total:,} comments; {RUNS} runs of each")
    if Comment.objects.reported().count() < REPORTED // 2:
        # Reports on a spread of visible comments, the way readers report: the newest
        # most, a few on each of many stories.
        ids = list(
            Comment.objects.unmoderated().order_by("?").values_list("pk", flat=True)[:REPORTED]
        )
        Comment.objects.filter(pk__in=ids).update(
            report_count=1 + F("pk") % 3, report_weight=1, reported_at=timezone.now()
        )
    # The generated comments come from nobody the site knows: give the waiting ones
    # readers (a few hundred, with some comments each), whose records the cards show.
    Comment.objects.filter(reader_key="", status=Comment.Status.PENDING).update(
        reader_key=Concat(Value("reader:bench-"), Cast(F("pk") % 500, CharField()))
    )
    Comment.objects.filter(reader_key="", report_count__gt=0).update(
        reader_key=Concat(Value("reader:bench-"), Cast(F("pk") % 500, CharField()))
    )
    print(
        f"{Comment.objects.reported()[:100_000].count():,} reported, "
        f"{Comment.objects.pending()[:100_000].count():,} pending"
    )
    moderator, _ = User.objects.get_or_create(username="bench-moderator", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client = Client()
    client.force_login(moderator)

    for queue in ("reported", "pending"):
        path = f"/moderation/queue/{queue}/"
        for _ in range(5):
            assert client.get(path).status_code == 200
        runs = [timed(lambda path=path: client.get(path)) for _ in range(RUNS)]
        queries = queries_of(lambda path=path: client.get(path))
        report(f"{queue.capitalize()} queue, first page", runs, queries)

    def decide(comment: Comment, n: int, in_place: bool):
        """Approve the comment (one in five: reject it), as the script or a form does."""
        data = {"decision": "approve", "seen": str(CardVersion.of(comment)), "queue": "pending"}
        if n % 5 == 4:
            data.update(decision="reject", rejection_reason="spam")
        address = f"/moderation/comment/{comment.pk}/decide/"
        if in_place:
            return lambda: client.post(address, data, headers={"X-Workspace": "card"})
        data["next"] = "/moderation/queue/pending/"
        return lambda: client.post(address, data, follow=True)

    for in_place in (True, False):
        pending = list(Comment.objects.pending().order_by("-created_at")[: RUNS + 1])
        runs = [timed(decide(comment, n, in_place)) for n, comment in enumerate(pending[1:])]
        queries = queries_of(decide(pending[0], 0, in_place))
        name = "in place" if in_place else "POST, then the queue (no JavaScript)"
        report(f"A decision, {name}", runs, queries)


if __name__ == "__main__":
    # The templates name static files; production's manifest is not needed to time them.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        main()
