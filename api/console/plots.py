"""A chart drawn: PNG for the page and the download, SVG for print, CSV for a spreadsheet.

Drawn with matplotlib's object API (a `Figure` per drawing, no pyplot and its global state, so
two requests draw at once safely), in the DejaVu Sans that ships with matplotlib (Cyrillic
included: nothing is looked up on the machine or fetched). Months run along the horizontal axis
as stacked columns; every other chart lists its categories down the side as horizontal bars, so
long names (schools, competences) stay readable; a norm (the last series of a `bars_and_line`
chart) is drawn as a line over the bars. SVG keeps its text as text and carries no date or
random id: the same figures give the same file.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from projections.charts import Chart

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType as RcKey

Format = Literal["png", "svg"]
MEDIA: Final[dict[str, str]] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv; charset=utf-8",
}
_STYLE: Final[dict[RcKey, Any]] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "none",
    "svg.hashsalt": "iom",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_COLOURS: Final = (
    "#1f5fa8", "#e07b00", "#2e8b3d", "#b8322a", "#6c4fa3", "#7d5a3c", "#c2478f", "#5f6b73"
)  # fmt: skip
_METADATA: Final = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


@functools.lru_cache(maxsize=64)
def drawn(chart: Chart, form: Format) -> bytes:
    """The chart as a PNG or an SVG file. Drawing takes a few hundred milliseconds of CPU and
    the same figures always give the same file: the last 64 drawings are kept, keyed by the
    chart itself (its figures, day and projection position), so a chart is drawn again only
    when what it shows has changed."""
    with rc_context(_STYLE):
        figure = Figure(figsize=(9, 4.8 if chart.kind == "stacked" else _height(chart)), dpi=100)
        axes = figure.add_subplot()
        if not chart.categories:
            axes.set_axis_off()
            axes.text(0.5, 0.5, "Нет данных", ha="center", va="center", fontsize=14)
        elif chart.kind == "stacked":
            _columns(axes, chart)
        else:
            _bars(axes, chart)
        axes.set_title(chart.title, loc="left", fontsize=12)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format=form, metadata=_METADATA[form])
    return out.getvalue()


def drawn_as(form: str) -> Callable[[Chart], bytes]:
    """The drawing of a chart in `form` ("png" or "svg")."""
    chosen: Format = "svg" if form == "svg" else "png"
    return lambda chart: drawn(chart, chosen)


def table_csv(chart: Chart) -> bytes:
    """The chart's figures as CSV."""
    return csv_of(chart.rows())


def csv_of(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV (`;`-separated, with a BOM: what a Russian Excel opens)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _height(chart: Chart) -> float:
    rows = len(chart.categories) * max(1, len(chart.series) - (chart.kind == "bars_and_line"))
    return min(12.0, 1.6 + 0.28 * max(rows, 3))


def _top(values: list[float]) -> float:
    """The value axis's end: a little past the largest value, 1 when every value is 0."""
    return max(values, default=0.0) * 1.08 or 1.0


def _columns(axes: Axes, chart: Chart) -> None:
    places = range(len(chart.categories))
    bottoms = [0.0] * len(chart.categories)
    for index, series in enumerate(chart.series):
        colour = _COLOURS[index % len(_COLOURS)]
        axes.bar(places, series.values, bottom=bottoms, label=series.name, color=colour)
        bottoms = [b + v for b, v in zip(bottoms, series.values, strict=True)]
    axes.set_xticks(list(places), chart.categories, rotation=45, ha="right")
    axes.set_ylim(0, _top(bottoms))
    axes.set_ylabel(chart.unit)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def _bars(axes: Axes, chart: Chart) -> None:
    bars = chart.series[:-1] if chart.kind == "bars_and_line" else chart.series
    count = len(chart.categories)
    width = 0.8 / len(bars)
    for index, series in enumerate(bars):
        offset = -0.4 + width * (index + 0.5)
        places = [place + offset for place in range(count)]
        colour = _COLOURS[index % len(_COLOURS)]
        axes.barh(places, series.values, height=width, label=series.name, color=colour)
    if chart.kind == "bars_and_line":
        norm = chart.series[-1]
        axes.plot(norm.values, range(count), color="#b8322a", marker="|", label=norm.name)
    axes.set_yticks(list(range(count)), chart.categories)
    axes.set_xlim(0, _top([value for series in chart.series for value in series.values]))
    axes.invert_yaxis()  # the first category on top, as the table lists it
    axes.set_xlabel(chart.unit)
    if len(chart.series) > 1:
        axes.legend(fontsize=8, loc="lower right")
