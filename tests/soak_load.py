"""The load of `make soak`, for locust: readers and comment posters on one story.

tests/soak.py runs it headless (`locust -f tests/soak_load.py`) against its own server.
It writes the client's side of the story to SOAK_CLIENT_LOG when it quits: every
answer's status, the slowest answer, when each 200 and each failure came, and each
comment sent with whether the server acknowledged it, so the soak can look for every
acknowledged comment in the database afterwards.
"""

import json
import os
import random
import re
import time
import uuid
from collections import Counter

from locust import HttpUser, constant, events, task

READERS = int(os.environ.get("SOAK_READERS", "6"))
POSTERS = int(os.environ.get("SOAK_POSTERS", "3"))
OPEN_STORY_PK = 10
OPEN_STORY = f"/news/{OPEN_STORY_PK}/drones-sovereignty-and-the-price-of-silence/"
READ_PATHS = [
    "/",
    "/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/",
    "/section/pakistan/",
    OPEN_STORY,
    "/search/?q=drone",
]
# An answer slower than this counts as no answer (status 0): a hang, not a 503.
TIMEOUT = float(os.environ.get("SOAK_TIMEOUT", "10"))

# Comment forms signed by the server's key (tests/soak.py makes them), one per comment:
# a person takes seconds to write one, the posters here post as fast as they can.
with open(os.environ["SOAK_FORM_TOKENS"]) as tokens:
    FORM_TOKENS = iter(tokens.read().split())

statuses = Counter()
slowest = 0.0
ok_times: list[float] = []
# When each answer that was not an answer came: 5xx, and 0 for a cut connection.
failure_times: list[tuple[float, int]] = []
comments: list[dict] = []


@events.request.add_listener
def record(response, response_time, exception, **_):
    global slowest
    # locust answers a refused or cut connection (and a timeout) with status 0.
    status = getattr(response, "status_code", 0) or 0
    statuses[status] += 1
    slowest = max(slowest, response_time / 1000)
    if status == 200:
        ok_times.append(time.time())
    elif status == 0 or status >= 500:
        failure_times.append((time.time(), status))


@events.quitting.add_listener
def write_client_log(environment, **_):
    with open(os.environ["SOAK_CLIENT_LOG"], "w") as log:
        json.dump(
            {
                "statuses": statuses,
                "slowest": slowest,
                "ok_times": ok_times,
                "failure_times": failure_times,
                "comments": comments,
            },
            log,
        )


class Reader(HttpUser):
    fixed_count = READERS
    wait_time = constant(0)

    @task
    def read(self):
        path = random.choice(READ_PATHS)
        with self.client.get(path, timeout=TIMEOUT, catch_response=True) as response:
            response.success()  # the soak judges statuses itself


class Poster(HttpUser):
    fixed_count = POSTERS
    wait_time = constant(0)
    csrf = None

    def on_start(self):
        # The story page gives the CSRF cookie (kept by the session) and its form field.
        while self.csrf is None:
            with self.client.get(OPEN_STORY, timeout=TIMEOUT, catch_response=True) as page:
                page.success()
                found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
            if found:
                self.csrf = found[1]
            else:
                time.sleep(0.5)

    @task
    def post_comment(self):
        text = f"Soak comment {uuid.uuid4().hex}."
        fields = {
            "csrfmiddlewaretoken": self.csrf,
            "token": next(FORM_TOKENS),
            "body": text,
            "author_name": "Soak",
            "author_email": "",
            "website": "",
        }
        with self.client.post(
            f"/comments/post/{OPEN_STORY_PK}/",
            data=fields,
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            response.success()
            location = response.headers.get("Location") or ""
            acknowledged = response.status_code == 302 and "#comment-" in location
        comments.append(
            {
                "text": text,
                "status": response.status_code,
                "location": location,
                "acknowledged": acknowledged,
            }
        )
