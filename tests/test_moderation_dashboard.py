"""The moderators' dashboard: seven days of comments, holds, removals, reports and times
to a decision, per section or story, drawn as SVG on the server with surge markers."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from comments.models import Comment, CommentReport, ModerationEvent, SectionPolicy, Thread
from moderation import charts
from moderation.dashboard import duration
from tests.conftest import page_text
from tests.factories import force_login_verified, make_article, make_section, make_staff
from tests.test_moderation_queues import moderator_without_stories, unpublished_stories

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
URL = "/moderation/dashboard/"


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment `day_offset` days from the frozen today (0 today, -1 yesterday), local."""
    today = timezone.localdate()
    return timezone.make_aware(datetime(today.year, today.month, today.day, hour, minute)) + (
        timedelta(days=day_offset)
    )


@pytest.fixture(autouse=True)
def frozen_clock():
    """Wednesday 11 March 2026, 15:30 in the newsroom's time zone: days and hours known."""
    moment = timezone.make_aware(datetime(2026, 3, 11, 15, 30))
    with time_machine.travel(moment, tick=False):
        yield moment


def comment(story, at: datetime, **fields) -> Comment:
    thread, _ = Thread.objects.get_or_create(article=story)
    return Comment.objects.create(
        thread=thread, author_name="Reader", body="Words.", created_at=at, **fields
    )


def report(comment_: Comment, at: datetime, reader: str) -> CommentReport:
    return CommentReport.objects.create(
        comment=comment_, reason="spam", reporter_key=reader, created_at=at
    )


@pytest.fixture
def newsroom():
    """Two stories in two sections with a known week."""
    politics, sport = (
        make_section(name="Politics", slug="politics"),
        make_section(name="Sport", slug="sport"),
    )
    vote = make_article(headline="The vote", section=politics)
    match = make_article(headline="The match", section=sport)
    removed_fast = comment(
        vote,
        local(0, 10, 5),
        status=Comment.Status.REMOVED,
        decided_at=local(0, 10, 15),
        held_reason="watched word: fool",
    )
    comment(vote, local(0, 10, 20), decided_at=local(0, 10, 50))
    comment(vote, local(0, 10, 40), status=Comment.Status.REMOVED, decided_at=local(0, 11, 40))
    comment(vote, local(0, 14, 10), status=Comment.Status.PENDING, held_reason="new commenter")
    comment(vote, local(-2, 9))
    comment(vote, local(-2, 9, 30))
    comment(vote, local(-8, 9), status=Comment.Status.REMOVED, decided_at=local(-8, 10))
    for minute in range(5):
        comment(match, local(-1, 20, minute))
    report(removed_fast, local(0, 10, 6), "reader:a")
    report(removed_fast, local(0, 10, 7), "reader:b")
    report(Comment.objects.filter(thread__article=match).first(), local(-1, 21), "reader:a")
    return vote, match


@pytest.fixture
def moderator_client(client):
    force_login_verified(client, make_staff("mod", "Moderators"))
    return client


def svgs(response) -> dict[str, ET.Element]:
    """Every chart on the page, parsed as XML (a malformed one fails here), by id."""
    found = re.findall(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="chart".*?</svg>', page(response), re.S
    )
    parsed = [ET.fromstring(markup) for markup in found]
    return {svg.get("id"): svg for svg in parsed}


def page(response) -> str:
    return response.content.decode()


def bar_titles(svg: ET.Element) -> list[str]:
    return [rect.find(f"{SVG}title").text for rect in svg.iter(f"{SVG}rect")]


def test_the_week_is_counted_right_for_all_sections(moderator_client, newsroom):
    response = moderator_client.get(URL)

    assert response.status_code == 200
    week = response.context["week"]
    today, yesterday = timezone.localdate(), timezone.localdate() - timedelta(days=1)
    assert week.days[0] == today - timedelta(days=6) and week.days[-1] == today
    assert week.per_hour[today, 10] == 3
    assert week.per_hour[today, 14] == 1
    assert week.per_hour[yesterday, 20] == 5
    assert week.comments == 11, "the comment of eight days ago is not this week's"
    assert week.held[today] == 2 and sum(week.held.values()) == 2
    assert week.removed[today] == 2 and sum(week.removed.values()) == 2
    assert week.reports[today] == 2 and week.reports[yesterday] == 1
    # Decisions after 10, 30 and 60 minutes: the middle one.
    assert week.median[today] == timedelta(minutes=30)
    assert week.median_overall == timedelta(minutes=30)
    text = page_text(response)
    assert "11 comments in 7 days; busiest hour Tue 10 Mar, 20:00 (5)" in text
    assert "2 comments held in 7 days (18% of comments)" in text
    assert "2 comments rejected in 7 days" in text
    assert "3 reports in 7 days" in text
    assert "Median 30 min over 3 decisions in 7 days" in text
    hours = svgs(response)["chart-hours"]
    assert "Wed 11 Mar, 10:00: 3 comments" in bar_titles(hours)
    assert len(bar_titles(hours)) == 4, "a bar for each hour with comments, none for the rest"


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(moderator_client):
    story = make_article()
    for minutes in (10, 20, 40, 400):
        comment(story, local(0, 8), decided_at=local(0, 8) + timedelta(minutes=minutes))

    week = moderator_client.get(URL).context["week"]

    assert week.median[timezone.localdate()] == timedelta(minutes=30)


def test_a_section_shows_its_own_stories_only(moderator_client, newsroom):
    response = moderator_client.get(URL, {"section": "sport"})

    week = response.context["week"]
    assert week.comments == 5
    assert sum(week.held.values()) == sum(week.removed.values()) == 0
    assert sum(week.reports.values()) == 1
    assert week.median_overall is None
    text = page_text(response)
    assert "Dashboard: Sport" in text
    assert "No decisions in 7 days" in text
    assert '<option value="sport" selected>Sport</option>' in page(response)


def test_a_story_shows_its_own_comments_and_its_surge_threshold(moderator_client, newsroom):
    vote, _ = newsroom
    SectionPolicy.objects.create(section=vote.section, surge_comments_per_hour=120)

    response = moderator_client.get(URL, {"story": vote.pk})

    week = response.context["week"]
    assert week.comments == 6
    assert sum(week.reports.values()) == 2
    text = page_text(response)
    assert "Dashboard: The vote" in text
    assert "all of Politics" in text
    threshold = svgs(response)["chart-hours"].find(f"{SVG}g[@class='threshold']")
    assert threshold.find(f"{SVG}title").text == "Surge mode starts past 120 comments an hour"
    assert "Most commented stories" not in text, "no list of stories for one story"


def test_the_last_days_busiest_stories_link_to_their_own_dashboards(moderator_client, newsroom):
    vote, match = newsroom

    response = moderator_client.get(URL)

    # The vote's comments of two days ago are not the last 24 hours'.
    assert re.search(
        rf'<a href="{URL}\?story={match.pk}">The match</a>: 5 comments.*'
        rf'<a href="{URL}\?story={vote.pk}">The vote</a>: 4 comments',
        page(response),
        re.S,
    )


@pytest.mark.parametrize("story", [0, 1], ids=["draft", "embargoed"])
def test_an_unpublished_story_is_no_story_to_staff_who_may_not_see_it(client, story):
    unpublished = unpublished_stories()[story]
    force_login_verified(client, moderator_without_stories())

    response = client.get(URL, {"story": unpublished.pk})

    assert response.status_code == 400
    assert "There is no story with that number." in page_text(response)
    assert unpublished.headline not in page_text(response)


def test_an_unpublished_story_has_its_dashboard_for_staff_who_may_see_it(moderator_client):
    for story in unpublished_stories():
        response = moderator_client.get(URL, {"story": story.pk})
        assert response.status_code == 200
        assert f"Dashboard: {story.headline}" in page_text(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"section": "no-such-section"}, "There is no such section: choose one from the list."),
        ({"story": "abc"}, "There is no story with that number."),
        ({"story": "99999999"}, "There is no story with that number."),
        ({"story": "1e3"}, "There is no story with that number."),
        ({"story": "9" * 30}, "There is no story with that number."),
        ({"story": "-1"}, "There is no story with that number."),
        ({"section": "x" * 5000}, "There is no such section: choose one from the list."),
        ({"story": "<script>alert(1)</script>"}, "There is no story with that number."),
    ],
)
def test_a_bad_filter_is_told_and_draws_nothing(moderator_client, query, message):
    response = moderator_client.get(URL, query)

    assert response.status_code == 400
    assert message in page_text(response)
    assert svgs(response) == {}
    assert "<script>alert(1)" not in page(response)


def test_every_chart_is_well_formed_accessible_svg_with_escaped_labels(moderator_client):
    headline = "<script>alert('x')</script> & \"Sons\""
    story = make_article(headline=headline)
    comment(story, local(0, 9))
    Thread.objects.filter(article=story).update(
        surge_started_at=local(0, 9, 30), surge_reason="<b>412</b> comments in the last hour"
    )
    ModerationEvent.objects.create(
        thread=Thread.objects.get(article=story),
        action=ModerationEvent.Action.SURGE_START,
        reason="<b>412</b> comments in the last hour",
        created_at=local(0, 9, 30),
    )

    response = moderator_client.get(URL, {"story": story.pk})

    charts_on_page = svgs(response)
    assert set(charts_on_page) == {
        "chart-hours",
        "chart-held",
        "chart-removed",
        "chart-reports",
        "chart-decisions",
    }
    for chart_id, svg in charts_on_page.items():
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert svg.get("viewBox") == "0 0 400 190" and svg.get("width") == "100%"
        assert svg.find(f"{SVG}title").get("id") == f"{chart_id}-title"
        assert svg.find(f"{SVG}title").text.endswith(f"last 7 days: {headline}")
        assert svg.find(f"{SVG}desc").text
    marker = charts_on_page["chart-hours"].find(f"{SVG}g[@class='marker marker-start']")
    assert marker.find(f"{SVG}title").text.startswith(f"Surge mode began: {headline}")
    assert "<script>alert" not in page(response)
    assert "<b>412</b>" not in page(response)
    assert "&lt;b&gt;412&lt;/b&gt; comments" in page(response)


def test_stories_in_surge_are_marked_and_their_switches_listed(moderator_client, newsroom):
    vote, match = newsroom
    thread = Thread.objects.get(article=vote)
    ModerationEvent.objects.create(
        thread=Thread.objects.get(article=match),
        action=ModerationEvent.Action.SURGE_START,
        reason="9 comments in the last hour",
        created_at=local(-1, 20, 30),
    )
    ModerationEvent.objects.create(
        thread=Thread.objects.get(article=match),
        action=ModerationEvent.Action.SURGE_END,
        reason="calm again",
        created_at=local(-1, 22),
    )
    ModerationEvent.objects.create(
        thread=thread,
        action=ModerationEvent.Action.SURGE_START,
        reason="5 comments in the last hour",
        created_at=local(0, 10, 45),
    )
    Thread.objects.filter(pk=thread.pk).update(
        surge_started_at=local(0, 10, 45), surge_reason="5 comments in the last hour"
    )

    response = moderator_client.get(URL)

    text = page_text(response)
    assert "In surge The vote since Wed 11 Mar, 10:45: 5 comments in the last hour" in " ".join(
        text.split()
    )
    assert "Surge mode began or ended 3 times in 7 days" in text
    hours = svgs(response)["chart-hours"]
    markers = hours.findall(f"{SVG}g")
    kinds = [g.get("class") for g in markers if "marker" in g.get("class")]
    assert kinds == ["marker marker-start", "marker marker-end", "marker marker-start"]
    # The flag of today's 10:45 sits three quarters into that hour's slot.
    lines = [g.find(f"{SVG}line") for g in markers if "marker" in g.get("class")]
    slot = charts.PLOT_WIDTH / 168
    assert float(lines[-1].get("x1")) == pytest.approx(charts.LEFT + slot * (6 * 24 + 10.75), 0.01)
    sport = page_text(moderator_client.get(URL, {"section": "sport"}))
    assert "No story is in surge mode now." in sport
    assert "Surge mode began or ended 2 times in 7 days" in sport


def test_strangers_are_sent_to_sign_in_and_editors_refused(client, newsroom):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")

    force_login_verified(client, make_staff("eda", "Editors"))
    assert client.get(URL).status_code == 403


def test_the_page_is_read_only_and_never_cached(moderator_client):
    assert moderator_client.post(URL).status_code == 405
    response = moderator_client.get(URL)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert "<script>" not in page(response).split("</head>")[1], "no inline script"


def test_the_page_costs_the_same_queries_for_10_and_500_comments(
    moderator_client, assert_queries_do_not_grow
):
    section = make_section()
    stories = [make_article(section=section) for _ in range(3)]

    def setup(number):
        Comment.objects.all().delete()
        threads = [Thread.objects.get_or_create(article=story)[0] for story in stories]
        made = Comment.objects.bulk_create(
            Comment(
                thread=threads[i % 3],
                body=f"Comment {i}.",
                created_at=local(-(i % 7), i % 24),
                status=Comment.Status.REMOVED if i % 4 == 0 else Comment.Status.VISIBLE,
                held_reason="new commenter" if i % 5 == 0 else "",
                decided_at=local(-(i % 7), i % 24, 30) if i % 2 == 0 else None,
            )
            for i in range(number)
        )
        CommentReport.objects.bulk_create(
            CommentReport(
                comment=c, reason="spam", reporter_key="reader:r", created_at=c.created_at
            )
            for c in made[::3]
        )
        Thread.objects.filter(pk=threads[0].pk).update(
            surge_started_at=local(0, 1), surge_reason="Busy"
        )
        ModerationEvent.objects.bulk_create(
            ModerationEvent(thread=threads[0], action="surge-start", created_at=local(-(i % 7), 3))
            for i in range(min(number, 60))
        )
        return stories[0]

    def whole_site(number, story):
        response = moderator_client.get(URL)
        assert response.context["week"].comments == number

    def one_story(number, story):
        response = moderator_client.get(URL, {"story": story.pk})
        assert response.status_code == 200

    assert_queries_do_not_grow(setup, whole_site, one_story, budget=16)


def test_durations_read_as_people_say_them():
    assert duration(None) == "none"
    assert duration(timedelta(0)) == duration(0.0) == "0"
    assert duration(timedelta(seconds=40)) == "40 s"
    assert duration(timedelta(minutes=12, seconds=20)) == "12 min"
    assert duration(timedelta(hours=3, minutes=5)) == "3 h 5 min"
    assert duration(timedelta(hours=2)) == "2 h"
    assert duration(timedelta(days=2, hours=4)) == "2 days 4 h"
    assert duration(90.0) == "1 h 30 min", "a chart's axis value is minutes"


def test_the_y_axis_tops_at_a_round_number_with_a_whole_half():
    tops = [charts.nice_ceiling(v) for v in (0, 1, 3, 5, 10, 11, 240, 5000, 5001)]
    assert tops == [2, 2, 4, 10, 10, 20, 500, 5000, 10000]


def test_a_chart_with_no_data_is_still_a_well_formed_image():
    markup = charts.bar_chart(
        chart_id="empty",
        title="Nothing & nobody",
        description="No comments",
        bars=[charts.Bar(0, "Mon: 0")] * 7,
    )

    svg = ET.fromstring(markup)
    assert svg.find(f"{SVG}title").text == "Nothing & nobody"
    assert list(svg.iter(f"{SVG}rect")) == []
