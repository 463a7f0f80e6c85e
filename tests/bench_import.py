"""make bench, last part: the way out and back in at scale (issue 15).

Exports the scale data (`make bench`'s 100,000 stories and 1,000,000 comments) with
`export_wordpress` to a gzipped WXR file, creates an empty database beside it on the
same server, and imports the file there with `import_wordpress`, each in a process of
its own: prints each one's wall time and peak memory (the import's figure: ≤ 5 minutes
and ≤ 300 MB on this 2-core machine), and what the import reports. The empty database
is dropped at the end.

    make bench
    DATABASE_URL=postgres://… .venv/bin/python tests/bench_import.py
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from newsroom.localdb import ensure_started  # noqa: E402

EMPTY_DATABASE = "newsroom_import_bench"


def database_url(name: str) -> str:
    """The address of database `name` on the server the project uses (the embedded
    one's socket when DATABASE_URL is unset)."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    host = settings["HOST"] or ""
    if host.startswith("/"):  # a socket folder: libpq takes it as the host parameter
        return f"postgres://{user}@/{name}?host={quote(host, safe='/')}"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{user}@{host}{port}/{name}"


def measured(command: list[str], env: dict) -> tuple[float, int, str]:
    """Run a manage.py command in a process of its own: its wall time, its peak memory
    (MB, the kernel's own count for that process, from wait4) and its output."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        output.seek(0)
        text = output.read()
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{text}")
    return seconds, usage.ru_maxrss // 1024, text


def main() -> None:
    ensure_started()
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict["NAME"])}
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "newsroom.xml.gz"
        seconds, peak, _ = measured(["export_wordpress", str(export)], env)
        size = export.stat().st_size / 1024 / 1024
        print(f"export_wordpress: {seconds:.0f} s, peak {peak} MB, {size:.0f} MB gzipped")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {EMPTY_DATABASE}")
            cursor.execute(f"CREATE DATABASE {EMPTY_DATABASE}")
        try:
            empty = {**env, "DATABASE_URL": database_url(EMPTY_DATABASE)}
            subprocess.run(
                [sys.executable, str(REPO / "manage.py"), "migrate", "--verbosity", "0"],
                env=empty,
                check=True,
            )
            seconds, peak, output = measured(["import_wordpress", str(export)], empty)
            # The report, without the progress lines.
            print(
                "\n".join(
                    line for line in output.splitlines() if not line.startswith("import_wordpress:")
                )
            )
            verdict = "meets" if seconds <= 300 and peak <= 300 else "MISSES"
            print(
                f"import_wordpress into an empty database: {seconds:.0f} s, peak {peak} MB "
                f"({verdict} the issue's 300 s and 300 MB)"
            )
        finally:
            connection.close()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {EMPTY_DATABASE}")


if __name__ == "__main__":
    main()
