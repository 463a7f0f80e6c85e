"""Charts drawn on the server as SVG: no script, no library, nothing fetched from elsewhere.

A chart is a pure function of numbers and labels that returns markup for a template,
every label escaped. Each is an image with a name and a description for screen readers
(role="img", aria-labelledby its <title> and <desc>), and each bar and marker carries a
<title> of its own that browsers show on hover. It scales to its container (a viewBox,
width 100%) and is drawn for a phone's width, so its text stays readable at 375 px.
Colours come from the stylesheet by class (static/moderation/dashboard.css, on the
admin's colour variables, dark mode included): nothing here writes a style attribute,
which the CSP would refuse.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 400, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 18, 26
FONT_SIZE = 12
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Bars this few are labelled with their values; more would crowd each other.
LABELLED_BARS = 12


@dataclass(frozen=True)
class Bar:
    value: float
    title: str  # what the bar says on hover: "Tue 3 Dec, 14:00: 87 comments"


@dataclass(frozen=True)
class Tick:
    """A label under the x axis, centred at `position` (in bars: 0 is the first bar's
    left edge); `divider` draws a faint line at its left edge too."""

    position: float
    label: str
    divider: bool = False


@dataclass(frozen=True)
class Marker:
    """A moment on the x axis (in bars), drawn as a flagged vertical line of the class
    `marker-<kind>`."""

    position: float
    title: str
    kind: str


@dataclass(frozen=True)
class Threshold:
    """A horizontal line at `value`, with a short label at its right end."""

    value: float
    label: str
    title: str


def _n(number: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{number:.2f}".rstrip("0").rstrip(".")


def nice_ceiling(value: float) -> float:
    """The top of the y axis: the smallest of 2, 4, 10, 20, 50, 100, 200, 500... at or
    above `value`, so that the gridline at its half is a whole number too."""
    for top in (2, 4):
        if value <= top:
            return top
    top = 10
    while True:
        for factor in (1, 2, 5):
            if value <= top * factor:
                return top * factor
        top *= 10


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    ticks: Sequence[Tick] = (),
    markers: Sequence[Marker] = (),
    threshold: Threshold | None = None,
    axis_label: Callable[[float], str] = lambda value: f"{value:,.0f}",
) -> SafeString:
    """One series of bars over a y axis from 0 (gridlines at half and top, labelled by
    `axis_label`), ticks under the x axis, markers over it and an optional threshold."""
    count = max(len(bars), 1)
    top = nice_ceiling(max([bar.value for bar in bars] + [threshold.value if threshold else 0]))
    slot = PLOT_WIDTH / count
    width = min(slot * 0.8, 36) if count <= LABELLED_BARS else max(slot - 0.4, 0.6)
    bottom = TOP + PLOT_HEIGHT

    def y(value: float) -> float:
        return bottom - PLOT_HEIGHT * value / top

    def x(position: float) -> float:
        return LEFT + slot * position

    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{}" role="img" '
            'viewBox="0 0 {} {}" width="100%" font-size="{}" aria-labelledby="{}-title {}-desc">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            chart_id,
            WIDTH,
            HEIGHT,
            FONT_SIZE,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            description,
        )
    ]
    # The y axis: gridlines at 0, half and the top, each labelled.
    parts.append(
        format_html_join(
            "",
            '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text class="axis" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">'
            "{}</text>",
            (
                (LEFT, WIDTH - RIGHT, _n(y(value)), _n(y(value)), LEFT - 4, _n(y(value)), label)
                for value, label in ((v, axis_label(v)) for v in (0, top / 2, top))
            ),
        )
    )
    parts.append(
        format_html_join(
            "",
            '<line class="divider" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            (
                (_n(x(tick.position - 0.5)), _n(x(tick.position - 0.5)), TOP, bottom)
                for tick in ticks
                if tick.divider
            ),
        )
    )
    parts.append(
        format_html_join(
            "",
            '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
            ((_n(x(tick.position)), HEIGHT - 8, tick.label) for tick in ticks),
        )
    )
    # The bars (none drawn for a zero: the table under the chart has every value).
    parts.append(
        format_html_join(
            "",
            '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            (
                (
                    _n(x(index + 0.5) - width / 2),
                    _n(y(bar.value)),
                    _n(width),
                    _n(bottom - y(bar.value)),
                    bar.title,
                )
                for index, bar in enumerate(bars)
                if bar.value > 0
            ),
        )
    )
    if len(bars) <= LABELLED_BARS:
        parts.append(
            format_html_join(
                "",
                '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>',
                (
                    (_n(x(index + 0.5)), _n(y(bar.value) - 4), axis_label(bar.value))
                    for index, bar in enumerate(bars)
                    if bar.value > 0
                ),
            )
        )
    if threshold is not None:
        line_y = _n(y(threshold.value))
        parts.append(
            format_html(
                '<g class="threshold"><title>{}</title>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text x="{}" y="{}" text-anchor="end">{}</text></g>',
                threshold.title,
                LEFT,
                WIDTH - RIGHT,
                line_y,
                line_y,
                WIDTH - RIGHT,
                _n(y(threshold.value) - 4),
                threshold.label,
            )
        )
    # Markers: a line across the plot with a flag above it.
    parts.append(
        format_html_join(
            "",
            '<g class="marker marker-{}"><title>{}</title>'
            '<line x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<path d="M{},{} h8 l-8,6 z"/></g>',
            (
                (marker.kind, marker.title, px, px, TOP - 6, bottom, px, TOP - 8)
                for marker in markers
                for px in [_n(x(min(max(marker.position, 0), count)))]
            ),
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))
