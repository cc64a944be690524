"""Inline SVG charts drawn on the server: no JavaScript library, nothing fetched from a CDN.

Deployments are often offline, and an SVG string is easy to test: every mark carries its
numbers in ``data-*`` attributes and a ``<title>`` a person sees on hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from dashboard.model import FinishedWait

COLOURS = {"met": "#2e7d32", "not_yet": "#9e9e9e", "error": "#ef6c00", "failed": "#c62828", "timeout": "#6a1b9a"}
WIDTH = 760
LANE = 18
LEFT = 230
MAX_LANES = 25


def _colour(outcome: str, error: str | None) -> str:
    return COLOURS["error"] if outcome == "not_yet" and error else COLOURS.get(outcome, "#607d8b")


def _ticks(top: float, count: int = 5) -> list[float]:
    if top <= 0:
        return [0.0]
    return [round(top * i / count, 2) for i in range(count + 1)]


def attempt_timeline(waits: Sequence[FinishedWait]) -> str:
    """Return an SVG with one lane per wait (newest first) and a dot per attempt, at its offset in seconds."""
    shown = list(waits[:MAX_LANES])
    if not shown:
        return '<p class="empty">No finished waits yet.</p>'
    span = max(max((w.waited for w in shown), default=0.0), 1e-3)
    plot = WIDTH - LEFT - 20
    height = LANE * len(shown) + 40
    parts = [
        f'<svg class="chart timeline" role="img" aria-label="attempts per wait" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg" data-waits="{len(shown)}">'
    ]
    for lane, wait in enumerate(shown):
        y = 20 + lane * LANE
        points = wait.points
        label = f"{wait.task.dag_id}.{wait.task.task_id}"
        parts.append(
            f'<g class="lane" data-dag="{escape(wait.task.dag_id)}" data-task="{escape(wait.task.task_id)}" '
            f'data-run="{escape(wait.task.run_id)}" data-attempts="{len(points)}">'
            f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" font-size="11">{escape(label[:34])}</text>'
            f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + plot * wait.waited / span:.1f}" y2="{y}" '
            'stroke="#cfd8dc" stroke-width="2"/>'
        )
        for point in points:
            x = LEFT + plot * min(point.offset, span) / span
            said = point.outcome + (f" {point.error}" if point.error else "")
            tip = f"{said} at +{point.offset:.2f}s ({point.duration * 1000:.0f} ms)"
            parts.append(
                f'<circle class="attempt outcome-{escape(point.outcome)}" cx="{x:.1f}" cy="{y}" r="4" '
                f'fill="{_colour(point.outcome, point.error)}" data-offset="{point.offset}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        parts.append("</g>")
    axis_y = height - 12
    for tick in _ticks(span):
        x = LEFT + plot * tick / span
        parts.append(f'<text x="{x:.1f}" y="{axis_y}" font-size="10" text-anchor="middle">{tick:g}s</text>')
    parts.append("</svg>")
    return "".join(parts)


def interval_chart(title: str, points: Sequence[tuple[float, float]], rates: Sequence[tuple[float, float]] = ()) -> str:
    """Return an SVG line of the interval (seconds) over time, with the success rate (0-1) as a dashed line.

    ``points`` and ``rates`` are (epoch seconds, value), in any order.
    """
    ordered = sorted(points)
    if not ordered:
        return ""
    height, top_pad, bottom = 160, 14, 24
    plot_w, plot_h = WIDTH - 70, height - top_pad - bottom
    t0, t1 = ordered[0][0], max(ordered[-1][0], ordered[0][0] + 1e-3)
    top = max(v for _, v in ordered) or 1.0

    def xy(at: float, value: float, scale: float) -> str:
        return f"{50 + plot_w * (at - t0) / (t1 - t0):.1f},{top_pad + plot_h * (1 - value / scale):.1f}"

    line = " ".join(xy(at, v, top) for at, v in ordered)
    parts = [
        f'<svg class="chart interval" role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg" data-points="{len(ordered)}" '
        f'data-max="{top:g}" data-last="{ordered[-1][1]:g}">',
        f'<text x="50" y="11" font-size="11">{escape(title)}: interval (s), max {top:g}s'
        f"{', success rate dashed' if rates else ''}</text>",
        f'<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{line}"/>',
    ]
    for at, value in ordered:
        x, y = xy(at, value, top).split(",")
        parts.append(
            f'<circle class="interval-point" cx="{x}" cy="{y}" r="2.5" fill="#1565c0">'
            f"<title>{value:g}s</title></circle>"
        )
    if rates:
        rate_line = " ".join(xy(min(max(at, t0), t1), r, 1.0) for at, r in sorted(rates))
        parts.append(
            f'<polyline class="success-rate" fill="none" stroke="#2e7d32" stroke-dasharray="4 3" points="{rate_line}"/>'
        )
    for tick in _ticks(top, 4):
        parts.append(
            f'<text x="44" y="{top_pad + plot_h * (1 - tick / top) + 3:.1f}" font-size="9" '
            f'text-anchor="end">{tick:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def interval_points(waits: Sequence[FinishedWait]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Return every attempt's chosen interval and every wait's success rate, as (epoch seconds, value)."""
    intervals = [(w.started_at + p.offset, p.interval) for w in waits for p in w.points if p.interval is not None]
    rates = [(w.finished_at, w.success_rate) for w in waits if w.success_rate is not None]
    return intervals, rates
