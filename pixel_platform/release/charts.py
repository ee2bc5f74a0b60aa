"""HTML bar charts and tables for ``report.html``: plain elements and CSS, no script, no font or
image to fetch, so the page is one file that opens anywhere.

Every bar carries its number as text (a page people screenshot and print must not need hovering),
and every bar row carries ``data-chart``, ``data-label``, ``data-series`` and ``data-value``, so a
test can read the numbers back. Labels are family names, codes and bin names; callers never pass
conversation text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

SPLIT_COLOURS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}
PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3")
BAR_SPAN = 78.0  # % of the track the longest bar takes: its number fits beside it
PERCENT = re.compile(r"^-?[\d,.]+%$")

CHART_STYLE = """
.chart{margin:1.2em 0 2em}.chart h3{font-size:15px;margin:0 0 .4em}
.chart .note{color:#555;font-size:13px;margin:0 0 .5em}
.legend{font-size:13px;margin:0 0 .4em}.legend i{display:inline-block;width:11px;height:11px;
margin:0 4px 0 12px;vertical-align:-1px}.legend i:first-child{margin-left:0}
.row{display:grid;grid-template-columns:230px 1fr;align-items:center;font-size:13px;
min-height:20px}.row .label{padding-right:10px;text-align:right;overflow-wrap:anywhere}
.track{display:flex;align-items:center;border-left:1px solid #999;min-height:20px}
.bar{display:inline-block;height:15px}.bars{display:flex;flex-direction:column;width:100%}
.value{padding-left:6px;white-space:nowrap;font-variant-numeric:tabular-nums}
.value b{font-weight:600}.group{padding:3px 0;border-bottom:1px solid #eee}
th.up{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;text-align:left;
vertical-align:bottom;padding:6px 3px;font-weight:600}
"""
WIDE = 6  # a cross table with more columns than this gets upright (rotated) column names


class Html(str):
    """Markup made here from escaped parts: a table puts it in a cell as it is."""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def number(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _width(value: int, largest: int) -> str:
    return f"{BAR_SPAN * value / largest:.2f}%" if largest else "0%"


def _attrs(chart: str, label: str, series: str, value: int) -> str:
    return (
        f'data-chart="{esc(chart)}" data-label="{esc(label)}" data-series="{esc(series)}"'
        f' data-value="{value}"'
    )


def _legend(colours: Mapping[str, str]) -> str:
    keys = "".join(f'<i style="background:{c}"></i>{esc(name)}' for name, c in colours.items())
    return f'<div class="legend">{keys}</div>'


def _frame(chart: str, title: str, note: str, body: list[str], legend: str = "") -> str:
    lead = f'<p class="note">{esc(note)}</p>' if note else ""
    rows = "".join(body) or '<p class="note">none</p>'
    return (
        f'<figure class="chart" id="chart-{esc(chart)}"><h3>{esc(title)}</h3>{lead}{legend}'
        f"{rows}</figure>"
    )


def bar_chart(
    chart: str,
    title: str,
    values: Mapping[str, int],
    *,
    note: str = "",
    names: Mapping[str, str] | None = None,
    shares: bool = False,
    colour: str = PALETTE[0],
) -> str:
    """One bar per label, in the order given, with its number (and share of all, ``shares``).
    ``names`` gives a display name for a label (the data attribute keeps the label itself)."""
    largest = max(values.values(), default=0)
    whole = sum(values.values())
    body = []
    for label, value in values.items():
        share = f" ({percent(value, whole)})" if shares else ""
        body.append(
            f'<div class="row" {_attrs(chart, label, "", value)}>'
            f'<span class="label">{esc((names or {}).get(label, label))}</span>'
            f'<span class="track"><span class="bar" style="width:{_width(value, largest)};'
            f'background:{colour}"></span><span class="value">{number(value)}{share}</span>'
            "</span></div>"
        )
    return _frame(chart, title, note, body)


def stacked_chart(
    chart: str,
    title: str,
    table: Mapping[str, Mapping[str, int]],
    colours: Mapping[str, str],
    *,
    note: str = "",
) -> str:
    """One bar per row of ``table``, a segment per part (``colours`` gives parts and order);
    beside it the total and each part's number in the part's colour."""
    totals = {label: sum(parts.get(p, 0) for p in colours) for label, parts in table.items()}
    largest = max(totals.values(), default=0)
    body = []
    for label, parts in table.items():
        segments, numbers = [], []
        for part, colour in colours.items():
            value = int(parts.get(part, 0))
            segments.append(
                f'<span class="bar" {_attrs(chart, label, part, value)} title="{esc(part)}"'
                f' style="width:{_width(value, largest)};background:{colour}"></span>'
            )
            numbers.append(f'<span style="color:{colour}">{number(value)}</span>')
        body.append(
            f'<div class="row"><span class="label">{esc(label)}</span><span class="track">'
            f'{"".join(segments)}<span class="value"><b>{number(totals[label])}</b>'
            f' ({" | ".join(numbers)})</span></span></div>'
        )
    return _frame(chart, title, note, body, _legend(colours))


def grouped_chart(
    chart: str,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Mapping[str, int]],
    *,
    note: str = "",
    keep_zeros: bool = False,
) -> str:
    """One group per category, a bar per series (its number beside it); a series with nothing
    in a category gets no bar there unless ``keep_zeros``."""
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    largest = max((v for values in series.values() for v in values.values()), default=0)
    body = []
    for category in categories:
        bars = []
        for name, values in series.items():
            value = int(values.get(category, 0))
            if value == 0 and not keep_zeros:
                continue
            shown = f"{number(value)} {name}" if len(series) > 1 else number(value)
            bars.append(
                f'<span class="track" {_attrs(chart, category, name, value)}><span class="bar"'
                f' style="width:{_width(value, largest)};background:{colours[name]}"></span>'
                f'<span class="value">{esc(shown)}</span></span>'
            )
        inner = "".join(bars) or '<span class="track"><span class="value">0</span></span>'
        body.append(
            f'<div class="row group"><span class="label">{esc(category)}</span>'
            f'<span class="bars">{inner}</span></div>'
        )
    legend = _legend(colours) if len(series) > 1 else ""
    return _frame(chart, title, note, body, legend)


def _cell(tag: str, value: Any) -> str:
    if isinstance(value, Html):
        return f"<{tag}>{value}</{tag}>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<{tag} class="num">{number(value)}</{tag}>'
    if isinstance(value, str) and PERCENT.match(value):
        return f'<{tag} class="num">{esc(value)}</{tag}>'
    return f"<{tag}>{esc('-' if value is None else value)}</{tag}>"


def table(
    headers: Sequence[str] | None,
    rows: Sequence[Sequence[Any]],
    *,
    table_id: str = "",
    footer: Sequence[Any] | None = None,
    upright: bool = False,
) -> str:
    """A table (no header row with ``headers=None``); numbers and percentages are right-aligned,
    numbers printed with thousands separators. ``upright``: column names after the first are
    rotated, so that many narrow columns fit."""
    up = ' class="up"' if upright else ""
    head = "".join(
        f"<th{up if i else ''}>{esc(h)}</th>" for i, h in enumerate(headers or ())
    )
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    body = "".join("<tr>" + "".join(_cell("td", c) for c in row) + "</tr>" for row in rows)
    foot = ""
    if footer is not None:
        foot = "<tfoot><tr>" + "".join(_cell("th", c) for c in footer) + "</tr></tfoot>"
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (
        f'<div class="scroll"><table{ident}>{thead}<tbody>{body}</tbody>{foot}</table></div>'
    )


def cross_table(
    table_id: str, row_name: str, cells: Mapping[str, Mapping[str, int]], total_name: str = "all"
) -> str:
    """``{row: {column: n}}`` as a table with a total per row and per column; an empty cell
    is blank, so the counts stand out."""
    cells = {r: {c: n for c, n in v.items() if n} for r, v in cells.items()}
    cells = {r: v for r, v in cells.items() if v}
    if not cells:
        return '<p class="note">none</p>'
    columns = sorted({c for values in cells.values() for c in values})
    rows = []
    for label in sorted(cells):
        values = cells[label]
        rows.append(
            [label, *(values.get(c) or "" for c in columns), sum(values.values())]
        )
    footer = [
        total_name,
        *(sum(v.get(c, 0) for v in cells.values()) for c in columns),
        sum(sum(v.values()) for v in cells.values()),
    ]
    return table(
        [row_name, *columns, "total"],
        rows,
        table_id=table_id,
        footer=footer,
        upright=len(columns) > WIDE,
    )
