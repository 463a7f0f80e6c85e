"""Start-up behaviour, checked in fresh processes: settings are read once, at import."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Cleared for each child process (the test run's own, such as HTTPS=false, included).
CONFIG_VARIABLES = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DATABASE_URL",
    "CACHE_URL",
    "TIME_ZONE",
    "HTTPS",
    "ADMIN_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
]
# A server that is never contacted: settings only parse the address.
UNUSED_DATABASE = "postgres://reporter:secret@db.internal:6543/paper"

SHOW_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG, "secret": settings.SECRET_KEY, "hosts": settings.ALLOWED_HOSTS,
    "db": {k: db[k] for k in ("ENGINE", "NAME", "USER", "HOST", "PORT")},
    "cache": settings.CACHES["default"]["BACKEND"], "tz": settings.TIME_ZONE,
    "cache_options": settings.CACHES["default"].get("OPTIONS", {}),
}))
"""

QUERY_SERVER = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_database(), version()")
    print(*cursor.fetchone(), sep="|")
"""


# What a script of its own does (tests/bench.py): set Django up, start the embedded server.
START_AND_QUERY = (
    "import django; django.setup(); "
    "from newsroom.localdb import ensure_started; ensure_started()" + QUERY_SERVER
)


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def show_settings(**env: str) -> dict:
    result = run(["-c", f"import django; django.setup(){SHOW_SETTINGS}"], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_refuses_to_start_without_secret_key():
    result = run(["manage.py", "check"], ALLOWED_HOSTS="news.example", DATABASE_URL=UNUSED_DATABASE)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run(["manage.py", "check"], SECRET_KEY="s" * 50, DATABASE_URL=UNUSED_DATABASE)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_debug_off_is_the_default():
    shown = show_settings(SECRET_KEY="k" * 50, ALLOWED_HOSTS="a,b", DATABASE_URL=UNUSED_DATABASE)

    assert shown["debug"] is False
    assert shown["secret"] == "k" * 50
    assert shown["hosts"] == ["a", "b"]


def test_local_debug_runs_without_secret_or_hosts():
    shown = show_settings(DEBUG="true", DATABASE_URL=UNUSED_DATABASE)

    assert shown["debug"] is True
    assert shown["secret"].startswith("django-insecure")
    assert "localhost" in shown["hosts"]


def test_environment_selects_database_cache_and_time_zone():
    shown = show_settings(
        DEBUG="true",
        DATABASE_URL=UNUSED_DATABASE,
        CACHE_URL="redis://127.0.0.1:6379/1",
        TIME_ZONE="UTC",
    )

    assert shown["db"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "paper",
        "USER": "reporter",
        "HOST": "db.internal",
        "PORT": 6543,
    }
    assert shown["cache"] == "django_redis.cache.RedisCache"
    assert shown["cache_options"] == {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": 0.25,
    }
    assert shown["tz"] == "UTC"


def test_cache_url_options_override_the_redis_defaults():
    shown = show_settings(
        DEBUG="true",
        DATABASE_URL=UNUSED_DATABASE,
        CACHE_URL="redis://127.0.0.1:6379/1?socket_timeout=2",
    )

    assert shown["cache_options"]["SOCKET_TIMEOUT"] == 2
    assert shown["cache_options"]["IGNORE_EXCEPTIONS"] is True


def test_defaults_are_the_newsrooms_clock_and_local_memory_cache():
    shown = show_settings(DEBUG="true", DATABASE_URL=UNUSED_DATABASE)

    assert shown["tz"] == "Asia/Karachi"
    assert shown["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_a_database_other_than_postgresql_is_refused():
    result = run(["manage.py", "check"], DEBUG="true", DATABASE_URL="sqlite:///db.sqlite3")

    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


# Prefixed to a child's code: records every process the child spawns (initdb, pg_ctl) and,
# at exit, the processes and sockets it still has, as JSON on its last line of output.
WATCH_CHILD = """
import atexit, json, sys
import psutil
spawned = []
def audit(event, args):
    if event in ("subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec"):
        spawned.append(f"{event} {args[:2]}")
sys.addaudithook(audit)
def report():
    me = psutil.Process()
    print(json.dumps({
        "spawned": spawned,
        "children": [child.cmdline() for child in me.children(recursive=True)],
        "sockets": [str(socket) for socket in me.net_connections(kind="all")],
    }))
atexit.register(report)
"""


def watched(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_settings_starts_and_connects_to_nothing(tmp_path):
    data_dir = tmp_path / "data"

    result = run(
        ["-c", WATCH_CHILD + "import django; django.setup()"],
        DEBUG="true",
        NEWSROOM_DATA_DIR=str(data_dir),
    )

    assert watched(result) == {"spawned": [], "children": [], "sockets": []}
    assert not data_dir.exists(), "no cluster, not even its folder"


def test_manage_py_check_starts_no_database(tmp_path):
    data_dir = tmp_path / "data"
    check = (
        "import runpy, sys; sys.argv = ['manage.py', 'check']; "
        "runpy.run_path('manage.py', run_name='__main__')"
    )

    result = run(["-c", WATCH_CHILD + check], DEBUG="true", NEWSROOM_DATA_DIR=str(data_dir))

    assert "System check identified no issues" in result.stdout
    assert watched(result) == {"spawned": [], "children": [], "sockets": []}
    assert not data_dir.exists()


def test_a_process_that_does_not_start_the_embedded_server_is_told_so(tmp_path):
    # Not silently the machine's own PostgreSQL through libpq's default socket.
    result = run(
        ["-c", "import django; django.setup()" + QUERY_SERVER],
        DEBUG="true",
        NEWSROOM_DATA_DIR=str(tmp_path),
    )

    assert result.returncode != 0
    assert "not-started-call-newsroom.localdb.ensure_started" in result.stderr
    assert not (tmp_path / "postgres" / "pgdata").exists()


def server_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postgres" / "pgdata" / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_stopped(data_dir: Path, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not server_running(data_dir):
            return True
        time.sleep(0.2)
    return False


# The places that start the embedded server: a manage.py command that uses the database,
# and the WSGI and ASGI applications (each gunicorn worker).
ENTRY_POINTS = [
    ["manage.py", "shell", "-c", QUERY_SERVER],
    ["-c", "import newsroom.wsgi" + QUERY_SERVER],
    ["-c", "import newsroom.asgi" + QUERY_SERVER],
]


@pytest.fixture
def open_data_dir():
    """A data folder the server's own system user can reach (as root the embedded server
    runs as another user): pytest's tmp_path sits in a folder only its owner may enter,
    and another pytest session starting meanwhile closes that folder again."""
    folder = Path(tempfile.mkdtemp(prefix="newsroom-data-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("processes", [1, 3])
def test_without_database_url_the_embedded_postgresql_serves_every_process(
    open_data_dir, processes
):
    tmp_path = open_data_dir

    def query(entry_point):
        return run(entry_point, DEBUG="true", NEWSROOM_DATA_DIR=str(tmp_path))

    with ThreadPoolExecutor(processes) as pool:
        results = list(pool.map(query, ENTRY_POINTS[:processes]))

    for result in results:
        assert result.returncode == 0, result.stderr
        database, version = result.stdout.strip().splitlines()[-1].split("|")
        assert database == "newsroom"
        assert version.startswith("PostgreSQL ")
    assert (tmp_path / "postgres" / "pgdata" / "PG_VERSION").exists()
    # The last process to leave stops the server: nothing is left running.
    assert wait_until_stopped(tmp_path)


def ordinary_user_command() -> list[str]:
    """How to run this project's Python as an ordinary (non-root) user."""
    if os.geteuid() != 0:
        return [sys.executable]
    # As root: switch to `nobody`. pyenv's interpreter sits under /root, out of nobody's
    # reach, so use the system's interpreter of the same version with our packages.
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = Path("/usr/bin") / version
    assert interpreter.exists(), f"switching user needs {interpreter}, beside {sys.executable}"
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and ".venv" in p)
    return [
        "runuser",
        "-u",
        "nobody",
        "--",
        "env",
        f"PYTHONPATH={REPO}:{site_packages}",
        "HOME=/tmp",
        str(interpreter),
    ]


def test_embedded_postgresql_starts_as_an_ordinary_user():
    data_dir = Path(tempfile.mkdtemp(prefix="newsroom-user-"))
    try:
        if os.geteuid() == 0:
            os.chown(data_dir, pwd.getpwnam("nobody").pw_uid, -1)
        clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
        result = subprocess.run(
            [*ordinary_user_command(), "-c", START_AND_QUERY],
            cwd=REPO,
            env={
                **clean,
                "DJANGO_SETTINGS_MODULE": "newsroom.settings",
                "DEBUG": "true",
                "NEWSROOM_DATA_DIR": str(data_dir),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("newsroom|PostgreSQL ")
        assert (data_dir / "postgres" / "pgdata").stat().st_uid != 0
        assert wait_until_stopped(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
