"""Plotly figures, built server-side and handed to templates as plain JSON-ready dicts.

Templates embed a figure with the json_script filter and static/js/charts.js draws it with
the plotly.js bundle from our own static files. Every page also shows the same numbers in
a table, so nothing is lost without JavaScript.
"""

import html
import json
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from leaderboard.standings.breakdown import Breakdown
from leaderboard.standings.profiles import Profile
from leaderboard.standings.queries import LeaderboardTable, ProblemProfile
from leaderboard.standings.stats import WinRates

_LAYOUT = {
    # "none" keeps plotly's default theme (several kB a figure) out of the page.
    "template": "none",
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "margin": {"l": 60, "r": 20, "t": 30, "b": 60},
}


def _label(text: str) -> str:
    # plotly.js renders a subset of HTML in labels: escaped, a model named "<b>…" shows as is.
    return html.escape(text, quote=False)


def _figure(fig: go.Figure, **layout) -> dict:
    fig.update_layout(**_LAYOUT, **layout)
    return json.loads(fig.to_json())


def _percent(values: Sequence[float | None]) -> list[float | None]:
    return [None if value is None else round(100 * value, 2) for value in values]


def _top(*series: Sequence[float | None]) -> float:
    """The upper end of a percent axis or colour scale: 100, or the largest value if above.

    Code faster than the expert reference scores above 100%: a fixed 0-100 range would cut
    those points off.
    """
    return max([100.0] + [value for values in series for value in values if value is not None])


def _range(*series: Sequence[float | None]) -> list[float]:
    top = _top(*series)
    return [0, top * 1.05]


def tag_heatmap(table: LeaderboardTable) -> dict | None:
    """Models x tags, eff@1 in percent: where each model is efficient."""
    if not table.rows or not table.tags:
        return None
    z = [_percent([score.eff1 for score in row.tags]) for row in table.rows]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[_label(tag.name) for tag in table.tags],
            y=[_label(row.name) for row in table.rows],
            zmin=0,
            zmax=_top(*z),
            colorscale="Viridis",
            colorbar={"title": {"text": "eff@1 %"}},
            hovertemplate="%{y}<br>%{x}: eff@1 %{z:.1f}%<extra></extra>",
            texttemplate="%{z:.0f}",
        )
    )
    return _figure(
        fig,
        height=max(260, 120 + 24 * len(table.rows)),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"automargin": True, "tickangle": -40},
    )


def win_rate_heatmap(names: Sequence[str], result: WinRates) -> dict | None:
    """Row model's wins (ties half) over the column model, on problems both solve."""
    if len(names) < 2:
        return None
    labels = [_label(name) for name in names]
    z = [[None if np.isnan(rate) else round(100 * rate, 1) for rate in row] for row in result.rates]
    losses = result.common - result.wins - result.ties
    details = np.dstack([result.wins, result.ties, losses, result.common,
                         np.round(100 * np.nan_to_num(result.low), 1),
                         np.round(100 * np.nan_to_num(result.high), 1)])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            customdata=details.tolist(),
            zmin=0,
            zmax=100,
            colorscale="RdBu",
            colorbar={"title": {"text": "win %"}},
            hovertemplate=(
                "%{y} against %{x}: %{z:.1f}% (95% interval %{customdata[4]}–%{customdata[5]}%)"
                "<br>%{customdata[0]} wins, %{customdata[1]} ties, %{customdata[2]} losses"
                " of %{customdata[3]} problems<extra></extra>"
            ),
            texttemplate="%{z:.0f}",
        )
    )
    # Rows stay 28 px high whatever room the long rotated column labels take below them.
    longest = min(max(len(name) for name in names), 60)
    return _figure(
        fig,
        height=120 + 28 * len(names) + 5 * longest,
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"automargin": True, "tickangle": -40},
    )


def eff_pass_scatter(table: LeaderboardTable) -> dict | None:
    """eff@1 against pass@1: how far below correctness each model's efficiency falls."""
    if not table.rows:
        return None
    x, y = _percent([row.pass1 for row in table.rows]), _percent([row.eff1 for row in table.rows])
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            text=[_label(row.name) for row in table.rows],
            mode="markers",
            marker={"size": 9},
            hovertemplate="%{text}<br>pass@1 %{x:.1f}%<br>eff@1 %{y:.1f}%<extra></extra>",
        )
    )
    fig.add_shape(type="line", x0=0, y0=0, x1=100, y1=100, line={"dash": "dot", "width": 1})
    return _figure(
        fig,
        height=420,
        xaxis={"title": {"text": "pass@1 %"}, "range": [0, 105]},
        # Above 100%: faster than the expert reference.
        yaxis={"title": {"text": "eff@1 %"}, "range": _range(y)},
    )


def tag_bars(breakdown: Breakdown) -> dict | None:
    """eff@1 and pass@1 per tag for one submission."""
    scored = [(tag, eff, passed) for tag, eff, passed in breakdown.tags if eff is not None]
    if not scored:
        return None
    names = [_label(tag.name) for tag, _, _ in scored]
    passes, effs = _percent([p for _, _, p in scored]), _percent([e for _, e, _ in scored])
    fig = go.Figure(
        [go.Bar(name="pass@1", x=names, y=passes), go.Bar(name="eff@1", x=names, y=effs)]
    )
    return _figure(
        fig,
        barmode="group",
        height=360,
        yaxis={"title": {"text": "%"}, "range": _range(passes, effs)},
        xaxis={"automargin": True, "tickangle": -40},
    )


def level_bars(breakdown: Breakdown) -> dict | None:
    """Mean efficiency per timed level: where a model's solutions stop scaling.

    Levels that only check correctness (hardness 0) have no efficiency and are left out.
    """
    timed = [(i, value) for i, value in enumerate(breakdown.levels) if value is not None]
    if not timed:
        return None
    y = _percent([value for _, value in timed])
    fig = go.Figure(go.Bar(x=[f"level {i}" for i, _ in timed], y=y))
    return _figure(
        fig, height=300, yaxis={"title": {"text": "mean efficiency %"}, "range": _range(y)}
    )


def efficiency_boxes(names: Sequence[str], efficiencies: Sequence[Sequence[float]]) -> dict | None:
    """Per model, the distribution of its sample efficiencies on one problem (incorrect = 0)."""
    if not names:
        return None
    xs = [_percent(values) for values in efficiencies]
    fig = go.Figure(
        [
            go.Box(x=x, name=_label(name), boxpoints="all", jitter=0.3)
            for name, x in zip(names, xs, strict=True)
        ]
    )
    return _figure(
        fig,
        showlegend=False,
        height=max(260, 100 + 30 * len(names)),
        xaxis={"title": {"text": "sample efficiency %, 100 = reference"}, "range": _range(*xs)},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def _exponent(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def profile_lines(profile: ProblemProfile) -> dict | None:
    """Time against input size, log-log, per timed level: the reference and each model's
    median correct sample. A line's slope is its growth exponent."""
    lines: list[tuple[str, Profile, dict]] = []
    if profile.reference:
        lines.append(("reference", profile.reference, {"color": "#1b1f24", "dash": "dash"}))
    lines += [(model.name, model.profile, {}) for model in profile.models]
    lines = [line for line in lines if any(t is not None for t in line[1].times)]
    if not lines:
        return None
    fig = go.Figure(
        [
            go.Scatter(
                x=list(found.sizes),
                y=list(found.times),
                name=_label(f"{name} (exponent {_exponent(found.exponent)})"),
                mode="lines+markers",
                line=style,
                hovertemplate="size %{x}: %{y:.3s}s<extra>" + _label(name) + "</extra>",
            )
            for name, found, style in lines
        ]
    )
    return _figure(
        fig,
        height=420,
        xaxis={"title": {"text": "input size (level)"}, "type": "log"},
        yaxis={"title": {"text": "slowest test, seconds"}, "type": "log"},
        legend={"orientation": "h", "y": -0.25},
    )
