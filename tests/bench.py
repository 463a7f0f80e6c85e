"""make bench: the production server on the scale data, measured with wrk in one run.

Measures a static file (the ceiling: whitenoise through the same gunicorn), the seed
story, a 2,000-comment story, home, a section, search for a common word (and its p99
at one connection), a conditional GET answered 304, the open-thread story for a stranger
and for a signed-in reader, the moderators' Reported and Pending queues at one connection,
and posting comments (top level, a reply to a guest's
comment, and a reply that notifies the reader it answers); then the seed story and home
again with the page cache off. Prints requests/s, p50/p99 latency, errors, each page's
ratio to the static file, the two ratios issue 13 asks of (signed-in to anonymous
story; posting that notifies to posting that does not) and each worker's memory.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import psutil
from servers import free_port, gunicorn_command  # run as a script: tests/ is on the path

REPO = Path(__file__).resolve().parent.parent
DURATION = os.environ.get("BENCH_DURATION", "8s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
SEED_STORY = "/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/"
OPEN_STORY_PK = 10
OPEN_STORY = f"/news/{OPEN_STORY_PK}/drones-sovereignty-and-the-price-of-silence/"
BENCH_READER = "bench-reader@example.com"

# One form token per comment (a form sends one comment), made with the server's key.
POST_SCRIPT = """
tokens = {%(tokens)s}
counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter - 1) %% #tokens + 1]
  local body = "csrfmiddlewaretoken=%(csrf)s&token=" .. token .. "&author_name=Bench&author_email="
    .. "&website=&parent=%(parent)s&body=Benchmark+comment+number+" .. counter .. "+"
    .. math.random(1, 1000000000)
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=%(cookie)s",
  }, body)
end
"""
FORM_TOKENS = 50_000


@contextmanager
def server(env: dict, port: int):
    process = subprocess.Popen(
        gunicorn_command(
            port,
            workers=env.get("WEB_WORKERS", "2"),
            threads=env.get("WEB_THREADS", "4"),
            extra=["--reuse-port"],
        ),
        cwd=REPO,
        # Absolute links (canonical, feeds, sitemaps) name this server.
        env={**env, "SITE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        raise SystemExit("the server did not start")
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, *, connections: str = CONNECTIONS, headers=(), script: str | None = None):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{DURATION}", "--latency", url]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    percentiles = dict(re.findall(r"\s(50|99)%\s+([\d.]+\w+)", output))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx[1]) if non_2xx else 0
    return {
        "rate": rate,
        "p50": percentiles.get("50"),
        "p99": percentiles.get("99"),
        "errors": errors,
    }


def workers_memory(master: subprocess.Popen) -> list[float]:
    return [
        round(child.memory_info().rss / 1024 / 1024, 1)
        for child in psutil.Process(master.pid).children()
    ]


def bench_reader():
    """A signed-in reader of the benchmark's own (made once), and a visible comment of
    theirs and of a guest on the open story to reply to."""
    from django.contrib.auth.models import User

    from articles.models import Article
    from comments.models import Comment, Thread
    from readers.models import Reader

    reader = Reader.objects.filter(email=BENCH_READER).first()
    if reader is None:
        user = User.objects.create_user("bench-reader")
        reader = Reader.objects.create(user=user, email=BENCH_READER, display_name="Bench Reader")
    thread, _ = Thread.objects.get_or_create(article=Article.objects.get(pk=OPEN_STORY_PK))
    parents = {}
    for author in (reader.user, None):
        parents[author is not None] = Comment.objects.get_or_create(
            thread=thread,
            author=author,
            body="A comment the benchmark replies to.",
            defaults={"author_name": "Bench Reader" if author else "Bench Guest"},
        )[0]
    thread.refresh_comment_count()
    return reader, parents[False], parents[True]


def bench_moderator():
    """A moderator of the benchmark's own (made once): the queues are staff pages."""
    from django.contrib.auth.models import Group, User

    moderator, _ = User.objects.get_or_create(username="bench-moderator", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    return moderator


def session_of(user) -> str:
    """A session cookie signing `user` in, as a sign-in by link leaves it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def posting_script(base: str, parent: int | str = "") -> str:
    from comments.forms import form_token

    page = urllib.request.urlopen(base + OPEN_STORY)
    html = page.read().decode()
    cookie = SimpleCookie(page.headers["Set-Cookie"])["csrftoken"].value
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    # Dated back past the form's minimum age: the benchmark posts as fast as it can.
    issued = time.time() - 10
    tokens = ",".join(f'"{form_token(OPEN_STORY_PK, issued)}"' for _ in range(FORM_TOKENS))
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(
        POST_SCRIPT
        % {
            "csrf": csrf,
            "tokens": tokens,
            "cookie": cookie,
            "path": f"/comments/post/{OPEN_STORY_PK}/",
            "parent": parent,
        }
    )
    script.close()
    return script.name


def main() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.contrib.staticfiles.storage import staticfiles_storage

    from newsroom.localdb import ensure_started

    ensure_started()  # the embedded PostgreSQL, unless DATABASE_URL names a server

    from comments.models import Thread

    reader, guest_comment, readers_comment = bench_reader()
    big = Thread.objects.filter(comment_count__gte=1900).select_related("article").first()
    if big is None:
        raise SystemExit("no 2,000-comment thread: run manage.py generate_demo first")
    pages = [
        ("seed story", SEED_STORY),
        ("2,000-comment story", big.article.get_absolute_url()),
        ("home", "/"),
        ("section", "/section/pakistan/"),
        ("search 'government'", "/search/?q=government"),
    ]
    static = "/static/" + staticfiles_storage.stored_name("css/site.css")
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Posting at full speed from one address: the flood rule would refuse it.
        "COMMENTS_FLOOD_LIMIT": "1000000000",
        # ... and at hundreds of comments an hour on one story, which would put it in
        # surge mode (one comment per reader every few minutes).
        "COMMENTS_SURGE_COMMENTS_PER_HOUR": "0",
        # The table in the README was measured without per-request log lines.
        "LOG_REQUESTS": "false",
    }
    rows = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(env, port) as master:
        for _, path in pages + [("", static)]:
            for _ in range(3):
                urllib.request.urlopen(base + path).read()  # warm caches and connections
        rows.append(("static file (whitenoise)", wrk(base + static)))
        for name, path in pages:
            rows.append((name, wrk(base + path)))
        etag = urllib.request.urlopen(base + SEED_STORY).headers["ETag"]
        rows.append(("seed story, 304", wrk(base + SEED_STORY, headers=[f"If-None-Match: {etag}"])))
        rows.append(("search, 1 connection", wrk(base + pages[4][1], connections="1")))
        rows.append(("open story, anonymous", wrk(base + OPEN_STORY)))
        signed_in = [f"Cookie: {session_of(reader.user)}"]
        rows.append(("open story, signed-in reader", wrk(base + OPEN_STORY, headers=signed_in)))
        # The moderators' queues at one connection (issue 14: p99 within 50 ms).
        moderator = [f"Cookie: {session_of(bench_moderator())}"]
        for queue in ("reported", "pending"):
            url = f"{base}/moderation/queue/{queue}/"
            rows.append(
                (f"{queue} queue, 1 connection", wrk(url, connections="1", headers=moderator))
            )
        rows.append(("post a comment", wrk(base + "/", script=posting_script(base))))
        replies = posting_script(base, guest_comment.pk)
        rows.append(("reply, notifies nobody", wrk(base + "/", script=replies)))
        replies = posting_script(base, readers_comment.pk)
        rows.append(("reply, notifies a reader", wrk(base + "/", script=replies)))
        memory = workers_memory(master)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server({**env, "PAGE_CACHE_SECONDS": "0"}, port):
        for name, path in pages[:1] + pages[2:3]:
            urllib.request.urlopen(base + path).read()
            rows.append((f"{name}, page cache off", wrk(base + path)))

    ceiling = rows[0][1]["rate"]
    print(
        f"\nwrk -t1 -c{CONNECTIONS} -d{DURATION} (search p99 also at -c1), gunicorn gthread "
        f"{env.get('WEB_WORKERS', '2')}x{env.get('WEB_THREADS', '4')}, {os.cpu_count()} cores\n"
    )
    columns = ("req/s", "p50", "p99")
    header = " | ".join(f"{c:>8}" for c in columns)
    print(f"| {'what':<32} | {header} | {'errors':>6} | {'× static':>8} |")
    print(f"|{'-' * 34}|{'-' * 10}:|{'-' * 10}:|{'-' * 10}:|{'-' * 8}:|{'-' * 10}:|")
    for name, r in rows:
        print(
            f"| {name:<32} | {r['rate']:>8.0f} | {r['p50'] or '-':>8} | {r['p99'] or '-':>8} "
            f"| {r['errors']:>6} | {r['rate'] / ceiling:>8.2f} |"
        )
    rate = {name: r["rate"] for name, r in rows}
    print(
        "\nsigned-in story / anonymous story: "
        f"{rate['open story, signed-in reader'] / rate['open story, anonymous']:.2f} (goal ≥ 0.5)"
    )
    print(
        "reply that notifies / reply that does not: "
        f"{rate['reply, notifies a reader'] / rate['reply, notifies nobody']:.2f} (goal ≥ 0.9)"
    )
    print(f"\nworker memory (RSS, MB): {memory}")


if __name__ == "__main__":
    main()
