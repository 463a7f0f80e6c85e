"""For the tests and scripts (make bench, make soak) that start servers of their own on
the loopback: a free port, and the production server's command line."""

import socket
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int, *, workers: str = "2", threads: str = "4", extra=()) -> list[str]:
    """gunicorn as make run starts it: gthread workers, here on a loopback port."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "newsroom.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        workers,
        "--threads",
        threads,
        # gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl)
        # that every server on the machine would fight over; nothing here uses it.
        "--no-control-socket",
        *extra,
    ]


def database_url() -> str:
    """This test run's database, for a server in another process (a socket folder as host
    goes in the query string, where libpq reads it)."""
    from django.db import connection

    db = connection.settings_dict
    if str(db["HOST"]).startswith("/"):
        return f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
