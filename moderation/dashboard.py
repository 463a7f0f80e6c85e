"""The moderators' dashboard: the last seven days of one section, one story or the whole
site, counted in PostgreSQL and drawn as SVG on the server (moderation.charts).

What it counts, by the day (the site's time zone) or the hour:
- comments posted, whatever became of them, per hour;
- held: comments posted that day that waited for a moderator (held by the section's
  rules, their text, their author, or readers' reports: they carry a `held_reason`);
- removed: comments moderators removed that day (still removed: a restore undoes it);
- reports readers made that day;
- the median time from a comment's posting to a moderator's decision on it (approve,
  remove or restore), over the decisions made that day.
Surge mode starts and ends (comments.surge) are markers on the comments-per-hour chart.

A handful of queries whatever the data (each a GROUP BY over an index on its time:
comment_created_brin, comment_decided_idx, event_created_idx), so the page answers as fast
on a million comments as on ten.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Aggregate, Count, DurationField, F, Q
from django.db.models.functions import TruncDay, TruncHour
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe

from articles.models import Article, Section
from comments.models import Comment, CommentReport, ModerationEvent, Thread
from comments.surge import SurgeThresholds
from moderation import charts
from moderation.access import moderator_required, workspace_context
from moderation.forms import stories_for

DAYS = 7
# Surge switches drawn on the chart and listed under it: the newest, a page's worth.
SURGE_EVENTS_SHOWN = 50
BUSIEST_STORIES = 10
BUSIEST_WINDOW = timedelta(hours=24)


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the middle value, or the mean of the two."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


TIME_TO_DECISION = F("decided_at") - F("created_at")


class DashboardFilter(forms.Form):
    section = forms.ModelChoiceField(
        Section.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All sections",
        error_messages={"invalid_choice": "There is no such section: choose one from the list."},
    )
    # One story, by the links of the dashboard and the surge banner (?story=<pk>).
    story = forms.ModelChoiceField(
        Article.objects.select_related("section__comment_policy"),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "There is no story with that number."},
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["story"].queryset = stories_for(user, self.fields["story"].queryset)


@dataclass(frozen=True)
class Scope:
    """What the dashboard counts: one story, one section, or everything."""

    section: Section | None = None
    story: Article | None = None

    def of(self, path: str = "") -> Q:
        """The filter for rows reached from a comment's thread by `path`
        ("" for threads, "thread__" for comments, "comment__thread__" for reports)."""
        if self.story is not None:
            return Q(**{f"{path}article": self.story})
        if self.section is not None:
            return Q(**{f"{path}article__section": self.section})
        return Q()

    @property
    def name(self) -> str:
        if self.story is not None:
            return self.story.headline
        return self.section.name if self.section is not None else "All sections"


@dataclass(frozen=True)
class Week:
    """Seven days of one scope, as counted in PostgreSQL."""

    days: list[date]
    starts: datetime
    per_hour: dict[tuple[date, int], int]
    held: dict[date, int]
    removed: dict[date, int]
    decided: dict[date, int]
    median: dict[date, timedelta | None]
    median_overall: timedelta | None
    reports: dict[date, int]
    surge_events: list[ModerationEvent]
    surging: list[Thread]
    busiest: list[tuple[Article, int]]  # the last 24 hours' most commented stories

    @classmethod
    def of(cls, scope: Scope, now: datetime) -> "Week":
        today = timezone.localdate(now)
        days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
        starts = timezone.make_aware(datetime.combine(days[0], time.min))
        comments = Comment.objects.filter(scope.of("thread__"))
        per_hour, held = {}, dict.fromkeys(days, 0)
        hours = (
            comments.filter(created_at__gte=starts)
            .annotate(hour=TruncHour("created_at"))
            .values("hour")
            .annotate(comments=Count("pk"), held=Count("pk", filter=~Q(held_reason="")))
            .order_by()
        )
        for row in hours:
            local = timezone.localtime(row["hour"])
            day = local.date()
            # Added up: a clock put back for the winter has an hour twice.
            per_hour[day, local.hour] = per_hour.get((day, local.hour), 0) + row["comments"]
            held[day] = held.get(day, 0) + row["held"]
        decisions = comments.filter(decided_at__gte=starts)
        removed, decided, median = dict.fromkeys(days, 0), dict.fromkeys(days, 0), {}
        by_day = (
            decisions.annotate(day=TruncDay("decided_at"))
            .values("day")
            .annotate(
                decided=Count("pk"),
                removed=Count("pk", filter=Q(status=Comment.Status.REMOVED)),
                median=Median(TIME_TO_DECISION),
            )
            .order_by()
        )
        for row in by_day:
            day = timezone.localtime(row["day"]).date()
            removed[day], decided[day], median[day] = row["removed"], row["decided"], row["median"]
        reports = dict.fromkeys(days, 0)
        by_day = (
            CommentReport.objects.filter(scope.of("comment__thread__"), created_at__gte=starts)
            .annotate(day=TruncDay("created_at"))
            .values("day")
            .annotate(reports=Count("pk"))
            .order_by()
        )
        for row in by_day:
            reports[timezone.localtime(row["day"]).date()] = row["reports"]
        surge_events = ModerationEvent.objects.filter(
            scope.of("thread__"),
            created_at__gte=starts,
            action__in=[ModerationEvent.Action.SURGE_START, ModerationEvent.Action.SURGE_END],
        ).select_related("thread__article")
        surging = Thread.objects.filter(scope.of(), surge_started_at__isnull=False)
        busiest = []
        if scope.story is None:
            # Where the comments are now: the last day's (a week's would cost as much as
            # the hourly chart again), grouped by thread alone, stories joined to the ten.
            leading = list(
                comments.filter(created_at__gte=now - BUSIEST_WINDOW)
                .values("thread")
                .annotate(comments=Count("pk"))
                .order_by("-comments", "thread")[:BUSIEST_STORIES]
            )
            threads = Thread.objects.select_related("article").in_bulk(
                [row["thread"] for row in leading]
            )
            busiest = [(threads[row["thread"]].article, row["comments"]) for row in leading]
        return cls(
            days=days,
            starts=starts,
            per_hour=per_hour,
            held=held,
            removed=removed,
            decided=decided,
            median=median,
            median_overall=decisions.aggregate(median=Median(TIME_TO_DECISION))["median"],
            reports=reports,
            surge_events=list(reversed(surge_events[:SURGE_EVENTS_SHOWN])),
            surging=list(
                surging.select_related("article").order_by("-surge_started_at")[:BUSIEST_STORIES]
            ),
            busiest=busiest,
        )

    def comments_on(self, day: date) -> int:
        return sum(self.per_hour.get((day, hour), 0) for hour in range(24))

    @property
    def comments(self) -> int:
        return sum(self.per_hour.values())


def duration(value: timedelta | float | None) -> str:
    """A time to a decision as people say it: "40 s", "12 min", "3 h 5 min", "2 days 4 h"
    (a float is minutes, as on a chart's axis)."""
    if value is None:
        return "none"
    if not value:
        return "0"
    seconds = round(value * 60 if isinstance(value, int | float) else value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"


def _day(day: date) -> str:
    return date_format(day, "D j M")


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


@dataclass(frozen=True)
class Panel:
    """One chart with its totals beside it and its numbers in a table under it."""

    slug: str
    heading: str
    summary: str
    chart: SafeString
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _hours_panel(week: Week, scope: Scope) -> Panel:
    bars, rows = [], []
    for day in week.days:
        for hour in range(24):
            count = week.per_hour.get((day, hour), 0)
            label = f"{_day(day)}, {hour:02d}:00"
            bars.append(charts.Bar(count, f"{label}: {_count(count, 'comment', 'comments')}"))
        busiest = max(range(24), key=lambda hour: week.per_hour.get((day, hour), 0))
        peak = week.per_hour.get((day, busiest), 0)
        rows.append(
            (
                _day(day),
                f"{week.comments_on(day):,}",
                f"{busiest:02d}:00 ({peak:,})" if peak else "–",
            )
        )
    ticks = [
        charts.Tick(24 * index + 12, date_format(day, "D j"), divider=index > 0)
        for index, day in enumerate(week.days)
    ]
    markers = [
        charts.Marker(
            position=(event.created_at - week.starts).total_seconds() / 3600,
            title=(
                f"{event.get_action_display()}: {event.thread.article.headline}, "
                f"{_day(timezone.localdate(event.created_at))} "
                f"{timezone.localtime(event.created_at):%H:%M} ({event.reason})"
            ),
            kind="start" if event.action == ModerationEvent.Action.SURGE_START else "end",
        )
        for event in week.surge_events
    ]
    threshold = None
    if scope.story is not None:
        policy = getattr(scope.story.section, "comment_policy", None)
        rate = SurgeThresholds.of(policy).comments_per_hour
        if rate:
            threshold = charts.Threshold(
                rate, f"surge: {rate:,}", f"Surge mode starts past {rate:,} comments an hour"
            )
    total = week.comments
    busiest_hour = max(week.per_hour.items(), key=lambda item: item[1], default=None)
    summary = _count(total, "comment", "comments") + " in 7 days"
    if busiest_hour:
        (day, hour), count = busiest_hour
        summary += f"; busiest hour {_day(day)}, {hour:02d}:00 ({count:,})"
    if markers:
        summary += f"; {_count(len(markers), 'surge switch', 'surge switches')} marked"
    chart = charts.bar_chart(
        chart_id="chart-hours",
        title=f"Comments per hour, last 7 days: {scope.name}",
        description=summary,
        bars=bars,
        ticks=ticks,
        markers=markers,
        threshold=threshold,
    )
    return Panel(
        "hours", "Comments per hour", summary, chart, ("Day", "Comments", "Busiest hour"), rows
    )


def _day_ticks(week: Week) -> list[charts.Tick]:
    return [
        charts.Tick(index + 0.5, date_format(day, "D j")) for index, day in enumerate(week.days)
    ]


def _daily_panel(
    week: Week,
    scope: Scope,
    *,
    slug: str,
    heading: str,
    counts: dict[date, int],
    one: str,
    many: str,
    summary: str,
    column: str,
) -> Panel:
    bars = [
        charts.Bar(counts[day], f"{_day(day)}: {_count(counts[day], one, many)}")
        for day in week.days
    ]
    chart = charts.bar_chart(
        chart_id=f"chart-{slug}",
        title=f"{heading}, last 7 days: {scope.name}",
        description=summary,
        bars=bars,
        ticks=_day_ticks(week),
    )
    rows = [(_day(day), f"{counts[day]:,}") for day in week.days]
    return Panel(slug, heading, summary, chart, ("Day", column), rows)


def _median_panel(week: Week, scope: Scope) -> Panel:
    minutes = {
        day: (week.median[day].total_seconds() / 60 if week.median.get(day) else 0)
        for day in week.days
    }
    decided = sum(week.decided.values())
    summary = (
        f"Median {duration(week.median_overall)} over "
        f"{_count(decided, 'decision', 'decisions')} in 7 days"
        if decided
        else "No decisions in 7 days"
    )
    bars = [
        charts.Bar(
            minutes[day],
            f"{_day(day)}: median {duration(week.median.get(day))} "
            f"({_count(week.decided[day], 'decision', 'decisions')})",
        )
        for day in week.days
    ]
    chart = charts.bar_chart(
        chart_id="chart-decisions",
        title=f"Median time to a decision, last 7 days: {scope.name}",
        description=summary,
        bars=bars,
        ticks=_day_ticks(week),
        axis_label=duration,
    )
    rows = [
        (_day(day), f"{week.decided[day]:,}", duration(week.median.get(day))) for day in week.days
    ]
    return Panel(
        "decisions",
        "Median time to a decision",
        summary,
        chart,
        ("Day", "Decisions", "Median time"),
        rows,
    )


def panels(week: Week, scope: Scope) -> list[Panel]:
    held, removed, reports = (
        sum(counts.values()) for counts in (week.held, week.removed, week.reports)
    )
    share = f" ({held / week.comments:.0%} of comments)" if week.comments else ""
    return [
        _hours_panel(week, scope),
        _daily_panel(
            week,
            scope,
            slug="held",
            heading="Held for a moderator",
            counts=week.held,
            one="comment held",
            many="comments held",
            summary=f"{_count(held, 'comment', 'comments')} held in 7 days{share}",
            column="Held",
        ),
        _daily_panel(
            week,
            scope,
            slug="removed",
            # Staff say "rejected" (the queues' word); readers are told "removed".
            heading="Rejected by moderators",
            counts=week.removed,
            one="comment rejected",
            many="comments rejected",
            summary=f"{_count(removed, 'comment', 'comments')} rejected in 7 days",
            column="Rejected",
        ),
        _daily_panel(
            week,
            scope,
            slug="reports",
            heading="Reports by readers",
            counts=week.reports,
            one="report",
            many="reports",
            summary=f"{_count(reports, 'report', 'reports')} in 7 days",
            column="Reports",
        ),
        _median_panel(week, scope),
    ]


@require_safe
@moderator_required
def dashboard(request):
    form = DashboardFilter(request.GET, user=request.user)
    if not form.is_valid():
        context = workspace_context(request, "Dashboard", form=form)
        return render(request, "moderation/dashboard.html", context, status=400)
    story = form.cleaned_data["story"]
    # A story is in one section: its own.
    scope = Scope(section=story.section if story else form.cleaned_data["section"], story=story)
    week = Week.of(scope, timezone.now())
    title = f"Dashboard: {scope.name}"
    context = workspace_context(
        request, title, form=form, scope=scope, week=week, panels=panels(week, scope)
    )
    return render(request, "moderation/dashboard.html", context)
