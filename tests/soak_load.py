"""The load of `make soak`, for locust: readers and comment posters on one story, and
from SOAK_ATTACK_AT (a Unix time) attackers beside them.

tests/soak.py runs it headless (`locust -f tests/soak_load.py`) against its own server.
It writes the client's side of the story to SOAK_CLIENT_LOG when it quits: every
answer's status, the slowest answer, when each 200 and each failure came, when each
reader got the seed story, what each attack got, and each comment sent with whether the
server acknowledged it, so the soak can look for every acknowledged comment in the
database afterwards and compare the readers' seed-story rate without and with attackers.
"""

import json
import os
import random
import re
import time
import uuid
from collections import Counter, defaultdict

from locust import HttpUser, constant, events, task

READERS = int(os.environ.get("SOAK_READERS", "6"))
POSTERS = int(os.environ.get("SOAK_POSTERS", "3"))
ATTACKERS = int(os.environ.get("SOAK_ATTACKERS", "3"))
ATTACK_AT = float(os.environ.get("SOAK_ATTACK_AT", "0"))
OPEN_STORY_PK = 10
OPEN_STORY = f"/news/{OPEN_STORY_PK}/drones-sovereignty-and-the-price-of-silence/"
READ_PATHS = [
    "/",
    "/news/1/malik-says-isi-chief-will-press-us-to-end-drone-strikes/",
    "/section/pakistan/",
    OPEN_STORY,
    "/search/?q=drone",
]
LISTINGS = ["/", "/section/pakistan/"]
# An answer slower than this counts as no answer (status 0): a hang, not a 503.
TIMEOUT = float(os.environ.get("SOAK_TIMEOUT", "10"))
# Comment text imitating the page cache's placeholders (issue 12): a 4,400-digit form
# token, a CSRF marker bare and with a made-up tag, and hundreds of small markers.
MARKERS = [
    f"\ue010form-token:{'9' * 4400}\ue011",
    f"\ue010{'0' * 20}:form-token:{'9' * 4400}\ue011",
    "\ue010csrf\ue011",
    f"\ue010{'a' * 20}:csrf\ue011 \ue010\ue010csrf\ue011\ue011",
    " ".join(f"\ue010form-token:{n}\ue011" for n in range(200)),
]

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
# When each reader got the seed story (200): its rate without and with attackers.
seed_times: list[float] = []
# What each attack got, by status; the comments the report storm aimed at.
attacks: defaultdict[str, Counter] = defaultdict(Counter)
stormed: set[int] = set()
times = {}


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


@events.test_start.add_listener
def started(**_):
    times["started"] = time.time()


@events.test_stop.add_listener
def stopped(**_):
    times["stopped"] = time.time()


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
                "seed_times": seed_times,
                "attacks": attacks,
                "stormed": sorted(stormed),
                **times,
            },
            log,
        )


def comment_fields(csrf: str, body: str, *, author_name: str) -> dict:
    """A comment form as a browser sends it, with a fresh pre-signed form token."""
    return {
        "csrfmiddlewaretoken": csrf,
        "token": next(FORM_TOKENS),
        "body": body,
        "author_name": author_name,
        "author_email": "",
        "website": "",
    }


class Reader(HttpUser):
    fixed_count = READERS
    wait_time = constant(0)

    @task
    def read(self):
        path = random.choice(READ_PATHS)
        with self.client.get(path, timeout=TIMEOUT, catch_response=True) as response:
            response.success()  # the soak judges statuses itself
        if path == OPEN_STORY and response.status_code == 200:
            seed_times.append(time.time())


def story_form(user: HttpUser) -> str:
    """The CSRF field of the story page, fetched until the site answers with one (the
    session keeps the cookie that goes with it)."""
    while True:
        with user.client.get(OPEN_STORY, timeout=TIMEOUT, catch_response=True) as page:
            page.success()
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        if found:
            return found[1]
        time.sleep(0.5)


class Poster(HttpUser):
    fixed_count = POSTERS
    wait_time = constant(0)
    csrf = None

    def on_start(self):
        self.csrf = story_form(self)

    @task
    def post_comment(self):
        text = f"Soak comment {uuid.uuid4().hex}."
        fields = comment_fields(self.csrf, text, author_name="Soak")
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


class Attacker(HttpUser):
    """What a hostile visitor sends (README, "Threat model"), from SOAK_ATTACK_AT on:
    random query strings, fake session and messages cookies, poisoned Host headers,
    comments imitating placeholders, a search flood and a report storm. All come from
    the loopback, one network, as the readers do: limits per network apply to them."""

    fixed_count = ATTACKERS
    wait_time = constant(0)
    csrf = None

    def on_start(self):
        time.sleep(max(0.0, ATTACK_AT - time.time()))
        self.csrf = story_form(self)

    def attack(self, kind: str, method: str, path: str, **options):
        with self.client.request(
            method,
            path,
            timeout=TIMEOUT,
            catch_response=True,
            allow_redirects=False,
            name=f"attack: {kind}",
            **options,
        ) as response:
            response.success()
        attacks[kind][response.status_code] += 1
        return response

    @task(3)
    def random_query(self):
        path = random.choice([OPEN_STORY, OPEN_STORY, *LISTINGS])
        self.attack("random query string", "GET", f"{path}?x={uuid.uuid4().hex}")

    @task(3)
    def fake_cookies(self):
        fake = {"sessionid": uuid.uuid4().hex, "messages": f"{uuid.uuid4().hex}:forged"}
        self.attack("fake sessionid/messages", "GET", OPEN_STORY, cookies=fake)

    @task(2)
    def poisoned_host(self):
        port = random.choice([1, 80, 443, 8080, random.randrange(1024, 65536)])
        self.attack("poisoned Host", "GET", OPEN_STORY, headers={"Host": f"127.0.0.1:{port}"})

    @task(1)
    def search_flood(self):
        self.attack("search flood", "GET", f"/search/?q={uuid.uuid4().hex[:8]}")

    @task(1)
    def marker_comment(self):
        text = f"Soak attack {uuid.uuid4().hex} {random.choice(MARKERS)}"
        fields = comment_fields(self.csrf, text, author_name="Soak attacker")
        response = self.attack(
            "marker comment", "POST", f"/comments/post/{OPEN_STORY_PK}/", data=fields
        )
        location = response.headers.get("Location") or ""
        comments.append(
            {
                "text": text,
                "status": response.status_code,
                "location": location,
                "acknowledged": response.status_code == 302 and "#comment-" in location,
                "attack": True,
            }
        )

    @task(2)
    def report_storm(self):
        # Many reports on one comment, each from a new reader: the reader and messages
        # cookies are dropped every time (the CSRF cookie is kept, or the post is refused).
        if not stormed:
            with self.client.get(OPEN_STORY, timeout=TIMEOUT, catch_response=True) as page:
                page.success()
                found = re.search(r'action="/comments/(\d+)/report/"', page.text or "")
            if not found:
                return
            stormed.add(int(found[1]))
        target = min(stormed)
        for name in ("reader", "messages"):
            self.client.cookies.pop(name, None)
        self.attack(
            "report storm",
            "POST",
            f"/comments/{target}/report/",
            data={"csrfmiddlewaretoken": self.csrf, "reason": "spam"},
        )
