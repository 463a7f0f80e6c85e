"""`make soak`, shortened, in every test run: locust's readers and comment posters while
the soak's own PostgreSQL restarts and a gunicorn worker is killed, and attackers from
the outage on. It must lose no acknowledged comment, save none twice, answer with nothing
worse than a 503, be back within 5 s of the database, keep at least half the seed story's
rate under attack and still serve the seed story right afterwards (tests/soak.py decides,
and exits non-zero if not)."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent


def test_a_short_soak_loses_no_comment_through_a_database_restart_a_killed_worker_and_attackers(
    tmp_path,
):
    # The server reads collectstatic's manifest from its data folder: the test run's own.
    (tmp_path / "staticfiles").symlink_to(settings.STATIC_ROOT)

    soak = subprocess.Popen(
        [sys.executable, "tests/soak.py"],
        cwd=REPO,
        env={**os.environ, "SOAK_SECONDS": "36", "NEWSROOM_DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a hung soak is stopped with its servers and locust
    )
    try:
        stdout, stderr = soak.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(soak.pid, signal.SIGKILL)
        stdout, stderr = soak.communicate()
        pytest.fail(f"the soak hung for 5 minutes:\n{stdout}{stderr}")

    assert soak.returncode == 0, stdout + stderr
    report = dict(re.findall(r"^([^:\n]+):\s+(.+)$", stdout, re.M))
    assert int(report["comments acknowledged (302 to the comment)"]) > 0
    assert report["acknowledged but missing"] == "0"
    assert report["saved twice"] == "0"
    assert report["other 5xx"] == "0"
    assert report["503 at any other time"] == "0"
    assert report["cut connections at any other time"] == "0"
    assert int(report["503 while the database was away"]) > 0
    assert report["seed story and marker pages served wrong"] == "0"
    alone = float(report["seed story, readers' 200s a second, alone"])
    attacked = float(report["seed story, readers' 200s a second, attacked"])
    assert attacked >= alone / 2 > 0
