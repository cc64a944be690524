"""The Sensors page: filters, the waits in progress, charts, and the history table, as one HTML string."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from dashboard.charts import attempt_timeline, interval_chart, interval_points
from dashboard.model import FinishedWait, LiveWait, TaskRef, summarise
from dashboard.queries import Filters, adaptive_histories, finished_waits, live_waits, sensor_kinds
from triggers.adaptive.store import SensorHistory

OUTCOMES = ("met", "failed", "timeout", "not_yet")
MAX_CHARTS = 6
WAITS_PER_CHART = 100  # the newest; an interval chart of a task's whole history would be a smear
STYLE = """
body{font-family:system-ui,sans-serif;margin:12px;color:#212121;font-size:13px}
table{border-collapse:collapse;margin:6px 0 16px}th,td{border-bottom:1px solid #e0e0e0;padding:3px 8px;text-align:left}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.outcome-met{color:#2e7d32}.outcome-failed{color:#c62828}.outcome-timeout{color:#6a1b9a}
h2{font-size:15px;margin:14px 0 4px}form{margin-bottom:8px}.empty{color:#757575}
"""


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _clock(epoch: float | None) -> str:
    return "—" if epoch is None else time.strftime("%H:%M:%S", time.gmtime(epoch))


def _task_link(task: TaskRef) -> str:
    label = f"{task.task_id}" + (f"[{task.map_index}]" if task.map_index >= 0 else "")
    return f'<a class="ti-link" href="{escape(task.link)}" target="_top">{escape(label)}</a>'


def _head(*names: str) -> str:
    return "<tr>" + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"


def _select(name: str, chosen: str | None, options: Sequence[str]) -> str:
    items = ['<option value="">all</option>'] + [
        f'<option value="{escape(o)}"{" selected" if o == chosen else ""}>{escape(o)}</option>' for o in options
    ]
    return f'<label>{name} <select name="{name}" onchange="this.form.submit()">{"".join(items)}</select></label> '


def _filters_form(filters: Filters, dag_ids: Sequence[str], kinds: Sequence[str]) -> str:
    return (
        '<form id="filters" method="get">'
        + _select("dag_id", filters.dag_id, dag_ids)
        + _select("kind", filters.kind, kinds)
        + _select("outcome", filters.outcome, OUTCOMES)
        + '<noscript><button type="submit">Filter</button></noscript></form>'
    )


def _live_table(waits: Sequence[LiveWait], now: float) -> str:
    if not waits:
        return '<p class="empty" id="now-empty">No sensor of this library is deferred.</p>'
    head = _head(
        "DAG",
        "task",
        "run",
        "kind",
        "waits on",
        "waited s",
        "attempts",
        "last outcome",
        "error",
        "next check",
        "breaker",
        "interval s",
    )
    rows = []
    for wait in waits:
        snap = wait.snapshot
        cells = [
            escape(wait.task.dag_id),
            _task_link(wait.task),
            escape(wait.task.run_id),
            escape(wait.task.kind),
            escape(snap.what if snap else "(no progress published yet)"),
            f'<span class="num">{_seconds(wait.waited(now))}</span>',
            str(snap.attempts) if snap else "—",
            escape((snap.outcome or "") + (f": {snap.reason}" if snap and snap.reason else "")) if snap else "—",
            escape(snap.error or "") if snap else "",
            _clock(snap.next_at) if snap else "—",
            escape(snap.breaker) if snap else "—",
            _seconds(snap.interval) if snap else "—",
        ]
        rows.append('<tr class="live-row">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table id="now"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _history_table(waits: Sequence[FinishedWait]) -> str:
    if not waits:
        return '<p class="empty" id="history-empty">No finished waits match.</p>'
    head = _head(
        "DAG",
        "task",
        "run",
        "kind",
        "outcome",
        "waited s",
        "attempts",
        "detection gap s",
        "last interval s",
        "success rate",
        "conditions ready (s)",
        "ended",
    )
    rows = []
    for wait in waits:
        ready = ", ".join(f"{name} {_seconds(at)}" for name, at in wait.ready)
        rate = "—" if wait.success_rate is None else f"{wait.success_rate:.0%}"
        cells = [
            ("", escape(wait.task.dag_id)),
            ("", _task_link(wait.task)),
            ("", escape(wait.task.run_id)),
            ("", escape(wait.task.kind)),
            (f"outcome-{escape(wait.outcome)}", escape(wait.outcome)),
            ("num waited", _seconds(wait.waited)),
            ("num attempts", str(wait.attempts)),
            ("num", _seconds(wait.detection_gap)),
            ("num", _seconds(wait.interval)),
            ("num", rate),
            ("", escape(ready)),
            ("", _clock(wait.finished_at)),
        ]
        task = wait.task
        data = f'data-dag="{escape(task.dag_id)}" data-task="{escape(task.task_id)}" data-run="{escape(task.run_id)}"'
        rows.append(
            f'<tr class="history-row" {data}>' + "".join(f'<td class="{c}">{v}</td>' for c, v in cells) + "</tr>"
        )
    return f'<table id="history"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _summary_table(waits: Sequence[FinishedWait]) -> str:
    rows = "".join(
        f'<tr class="summary-row"><td>{escape(s.dag_id)}</td><td>{escape(s.task_id)}</td><td>{escape(s.kind)}</td>'
        f'<td class="num">{s.waits}</td><td class="num">{s.met}</td><td class="num">{s.mean_waited:.1f}</td>'
        f'<td class="num">{s.mean_attempts:.1f}</td></tr>'
        for s in summarise(waits)
    )
    head = _head("DAG", "task", "kind", "waits", "met", "mean waited s", "mean attempts")
    return f'<table id="summary"><thead>{head}</thead><tbody>{rows}</tbody></table>' if rows else ""


def _interval_charts(waits: Sequence[FinishedWait], learned: Mapping[tuple[str, str], SensorHistory]) -> str:
    """One chart per AdaptiveFileSensor task: its stored history's attempts when the Variable holds one
    (what the rule learns from, across runs), else its newest reports' attempts."""
    by_task: dict[tuple[str, str], list[FinishedWait]] = {}
    for wait in waits:
        if wait.task.kind == "AdaptiveFileSensor":
            by_task.setdefault((wait.task.dag_id, wait.task.task_id), []).append(wait)
    charts = []
    for key, group in list(by_task.items())[:MAX_CHARTS]:
        intervals, rates = interval_points(group[:WAITS_PER_CHART])
        title = ".".join(key)
        stored = learned.get(key)
        if stored is not None and stored.attempts:
            intervals = [(a.at, a.interval) for a in stored.attempts if a.interval is not None]
            met = sum(a.succeeded for a in stored.attempts)
            title += (
                f" (history Variable: {len(stored.attempts)} attempts, success rate {met / len(stored.attempts):.0%})"
            )
        charts.append(interval_chart(title, intervals, rates))
    return "".join(charts) or '<p class="empty">No AdaptiveFileSensor waits in this view.</p>'


def render(
    *,
    live: Sequence[LiveWait],
    history: Sequence[FinishedWait],
    filters: Filters,
    dag_ids: Sequence[str],
    kinds: Sequence[str],
    now: float,
    elapsed_ms: float,
    learned: Mapping[tuple[str, str], SensorHistory] | None = None,
) -> str:
    """Return the whole page."""
    query = urlencode({k: v for k, v in vars(filters).items() if v and k != "limit"})
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Sensors</title>'
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Sensors</h1>{_filters_form(filters, dag_ids, kinds)}"
        f"<h2>Now <small>({len(live)} deferred)</small></h2>{_live_table(live, now)}"
        f"<h2>Attempts per wait <small>(newest first)</small></h2>{attempt_timeline(history)}"
        f"<h2>Interval over time (AdaptiveFileSensor)</h2>{_interval_charts(history, learned or {})}"
        f"<h2>Per sensor task</h2>{_summary_table(history)}"
        f'<h2>History <small id="history-count">({len(history)} finished waits)</small></h2>{_history_table(history)}'
        f'<p class="empty">Queried in {elapsed_ms:.0f} ms. JSON: <a href="api/history?{escape(query)}">history</a>, '
        f'<a href="api/now?{escape(query)}">now</a>.</p></body></html>'
    )


def build_page(session: Session, dags: set[str], filters: Filters, *, now: float | None = None) -> tuple[str, int]:
    """Query what ``dags`` show under ``filters`` and render the page; return its HTML and history rows.

    The page states how long its queries and rendering took (``now`` fixes the clock, for tests).
    """
    began = time.monotonic()
    live = live_waits(session, dags, filters)
    history = finished_waits(session, dags, filters)
    adaptive = {(w.task.dag_id, w.task.task_id) for w in history if w.task.kind == "AdaptiveFileSensor"}
    html = render(
        live=live,
        history=history,
        filters=filters,
        dag_ids=sorted(dags),
        kinds=sensor_kinds(session, dags),
        now=time.time() if now is None else now,
        elapsed_ms=(time.monotonic() - began) * 1000,
        learned=adaptive_histories(session, adaptive),
    )
    return html, len(history)
