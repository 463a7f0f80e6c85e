"""Mozilla's HTTP Observatory grades the production server's headers A+.

The scanner is Mozilla's own (npm @mdn/mdn-http-observatory, installed by `make test`),
run by tests/observatory.mjs against gunicorn as `make run` starts it, but with
HTTPS on: one server on plain HTTP (which must redirect) and one speaking TLS with a
certificate made for this test, which the scanner is told to trust.
"""

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.servers import database_url, free_port, gunicorn_command

REPO = Path(__file__).resolve().parent.parent
SCANNER = Path(sys.prefix) / "observatory" / "node_modules" / "@mdn" / "mdn-http-observatory"
OPEN_THREAD_STORY = "/news/10/drones-sovereignty-and-the-price-of-silence/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", key, "-out", cert, "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost"]
        + ["-addext", "basicConstraints=critical,CA:TRUE"],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def production_servers(certificate, tmp_path, **env_overrides):
    """gunicorn on plain HTTP and on HTTPS, in production mode, on this run's database."""
    cert, key = certificate
    (tmp_path / "staticfiles").symlink_to(settings.STATIC_ROOT)
    http_port, https_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_HOST": f"localhost:{https_port}",
        "SITE_URL": f"https://localhost:{https_port}",
        "DATABASE_URL": database_url(),
        "NEWSROOM_DATA_DIR": str(tmp_path),
        "LOG_REQUESTS": "false",
        **env_overrides,
    }
    tls = ["--certfile", str(cert), "--keyfile", str(key)]
    servers = [
        subprocess.Popen(
            gunicorn_command(port, workers="1", threads="4", extra=extra),
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port, extra in ((http_port, []), (https_port, tls))
    ]
    try:
        for port in (http_port, https_port):
            wait_until_listening(port)
        yield http_port, https_port
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def wait_until_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def scan(certificate, http_port: int, https_port: int, path: str = "") -> dict:
    assert SCANNER.exists(), f"{SCANNER} is missing: `make test` installs it"
    result = subprocess.run(
        ["node", REPO / "tests" / "observatory.mjs", SCANNER, "localhost"]
        + [str(http_port), str(https_port), path],
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(certificate[0])},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def failures(report: dict) -> dict:
    return {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}


def test_home_and_a_story_with_a_comment_form_score_a_plus(certificate, tmp_path):
    call_command("loaddata", "demo", verbosity=0)

    with production_servers(certificate, tmp_path) as ports:
        home = scan(certificate, *ports)
        story = scan(certificate, *ports, OPEN_THREAD_STORY)

    for report in (home, story):
        assert report["scan"]["statusCode"] == 200
        assert failures(report) == {}
        assert report["scan"]["grade"] == "A+", report["scan"]
        assert report["tests"]["redirection"]["result"] == "redirection-to-https"
        assert report["tests"]["cross-origin-resource-policy"]["result"] == (
            "corp-implemented-with-same-origin"
        )
    # No version banner: a server name at most, and no X-Powered-By.
    headers = home["scan"]["responseHeaders"]
    assert headers.get("server") == "gunicorn"
    assert "x-powered-by" not in headers
    # The story's form sets the CSRF cookie: Secure and SameSite, as the scanner wants.
    assert story["tests"]["cookies"]["result"] == (
        "cookies-secure-with-httponly-sessions-and-samesite"
    )


def test_the_scan_marks_down_a_site_without_https_protections(certificate, tmp_path):
    """The same scan of a server with no redirect to HTTPS and no HSTS: the grade drops."""
    call_command("loaddata", "demo", verbosity=0)

    with production_servers(
        certificate, tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0"
    ) as ports:
        report = scan(certificate, *ports)

    assert failures(report) == {
        "redirection": "redirection-missing",
        "strict-transport-security": "hsts-not-implemented",
    }
    assert report["scan"]["grade"] not in ("A+", "A", "A-")
