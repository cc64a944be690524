"""Gather waits, run through the GatherTrigger's poll loop: modes, concurrency, timeouts, latching."""

import asyncio
import dataclasses
import logging
import time

import pytest

from tests.support.checks import CALLS, WAKEUPS, NeverCheck, SlowCheck, script
from triggers.cadence import Fixed
from triggers.errors import PermanentError, TransientError
from triggers.gather import AllOf, AnyOf, AtLeast, Gather, GatherTrigger
from triggers.orders import JsonOrderCheck
from triggers.outcomes import Failed, Met, NotYet
from triggers.report import Report

STATUS_FIELDS = {
    "name",
    "what",
    "state",
    "attempts",
    "value",
    "reason",
    "error",
    "ready_at",
    "checked_at",
    "duration",
    "checking_since",
    "deadline",
    "timed_out",
    "repeats",
    "detail",
}


async def wait_for(gather: Gather, *, interval: float = 0.02, within: float = 20.0) -> Report:
    """Run ``gather`` through a GatherTrigger's loop, as the triggerer would."""
    trigger = GatherTrigger(check=gather.to_dict(), cadence=Fixed(interval).to_dict(), deadline=time.time() + within)
    return await trigger.make_loop().run()


def conditions(report: Report) -> dict:
    return report.detail["conditions"]


@pytest.mark.parametrize(
    ("make", "outcome", "ready"),
    [
        pytest.param(AllOf, "met", {"a", "b", "c"}, id="all"),
        pytest.param(AnyOf, "met", {"a"}, id="any-first"),
        pytest.param(lambda checks: AtLeast(2, checks), "met", {"a", "b"}, id="two-of-three"),
    ],
)
async def test_modes_end_when_enough_conditions_are_ready(make, outcome, ready) -> None:
    checks = {
        "a": script("mode-a", Met("a")),
        "b": script("mode-b", NotYet("later"), Met("b")),
        "c": script("mode-c", NotYet("later"), NotYet("later"), Met("c")),
    }
    report = await wait_for(make(checks))
    assert report.outcome == outcome
    assert set(report.value) == ready
    assert {name for name, s in conditions(report).items() if s["state"] == "ready"} == ready


async def test_a_5s_condition_does_not_hold_up_a_01s_one() -> None:
    fast = script("fast", NotYet("not yet"), NotYet("not yet"), Met("fast"))
    gather = AllOf({"slow": SlowCheck(5), "fast": fast}, round_wait=0.2)
    report = await wait_for(gather, interval=0.05)
    slow, quick = conditions(report)["slow"], conditions(report)["fast"]
    # The fast one was asked three times and was ready while the slow one's single attempt ran.
    assert (quick["attempts"], slow["attempts"]) == (3, 1)
    assert quick["ready_at"] < slow["ready_at"]
    assert slow["duration"] > 1


async def test_any_mode_ends_with_the_fast_condition_without_waiting_for_the_slow_one() -> None:
    gather = AnyOf({"slow": SlowCheck(5), "fast": script("fast-any", Met("fast"))}, round_wait=10)
    report = await wait_for(gather)
    assert report.value == {"fast": "fast"}
    slow = conditions(report)["slow"]
    assert (slow["state"], slow["attempts"]) == ("pending", 0)
    assert slow["checking_since"] is not None  # it was asked, concurrently, and never answered


async def test_each_condition_has_its_own_attempt_timeout() -> None:
    gather = AnyOf({"hung": SlowCheck(60), "quick": script("quick", NotYet("no"), NotYet("no"), Met("q"))})
    report = await wait_for(dataclasses.replace(gather, attempt_timeout=0.05, round_wait=1))
    hung = conditions(report)["hung"]
    assert hung["error"] == "TimeoutError"
    assert report.value == {"quick": "q"}


async def test_all_mode_fails_at_once_naming_the_condition_that_timed_out() -> None:
    gather = AllOf({"logs": script("logs", Met("logs")), "inventory": NeverCheck()}, timeouts={"inventory": 0.2})
    # An hour between rounds: only the condition's deadline can end this wait early.
    report = await wait_for(gather, interval=3600, within=7200)
    assert report.outcome == "failed"
    assert report.reason.startswith("condition 'inventory' timed out: not ready within 0.2s")
    assert "last answer: never" in report.reason
    inventory = conditions(report)["inventory"]
    assert (inventory["state"], inventory["timed_out"]) == ("timed_out", True)
    assert report.attempts == 2  # the first round, then the round the deadline woke


async def test_any_mode_goes_on_after_a_condition_times_out() -> None:
    late = script("late", NotYet("no"), NotYet("no"), NotYet("no"), NotYet("no"), Met("late"))
    gather = AnyOf({"never": NeverCheck(), "late": late}, timeouts={"never": 0.01})
    report = await wait_for(gather)
    assert report.outcome == "met"
    assert report.value == {"late": "late"}
    assert conditions(report)["never"]["timed_out"] is True


async def test_any_mode_fails_when_no_condition_can_still_be_ready() -> None:
    gather = AnyOf({"a": NeverCheck(), "b": script("b-fails", NotYet("no"), Failed("cancelled"))}, timeouts={"a": 0.1})
    report = await wait_for(gather)
    assert report.outcome == "failed"
    assert report.reason.startswith("only 0 of 2 conditions can still be ready, need 1")
    assert "condition 'a' timed out" in report.reason
    assert "condition 'b' failed: cancelled" in report.reason


async def test_a_rebuilt_trigger_keeps_the_deadlines_of_the_original_start() -> None:
    # The first triggerer started this wait 60 s ago and died; the condition had 50 s.
    gather = AllOf({"inventory": NeverCheck()}, timeouts={"inventory": 50}, started_at=time.time() - 60)
    report = await wait_for(gather)
    assert report.outcome == "failed"
    assert conditions(report)["inventory"]["attempts"] == 0


@pytest.mark.parametrize(
    ("raised", "state", "error"),
    [
        pytest.param(ConnectionRefusedError("refused"), "ready", "ConnectionRefusedError", id="connection-transient"),
        pytest.param(TransientError("503"), "ready", "TransientError", id="transient"),
        pytest.param(PermanentError("401"), "failed", "PermanentError", id="permanent"),
        pytest.param(KeyError("version"), "failed", "KeyError", id="unexpected-is-permanent"),
    ],
)
async def test_a_condition_that_raises(raised, state, error) -> None:
    name = f"raises-{type(raised).__name__}"
    gather = AnyOf({"source": script(name, raised, Met("back")), "other": NeverCheck()})
    report = await wait_for(gather, within=0.5)
    source = conditions(report)["source"]
    assert source["state"] == state
    if state == "ready":
        assert source["attempts"] == 2  # the error was a "not yet": it was asked again
    else:
        assert (source["attempts"], source["error"]) == (1, error)
        assert report.outcome == "timeout"  # any-mode: the other condition went on


async def test_a_permanent_error_fails_an_all_mode_wait_at_once_naming_the_condition() -> None:
    gather = AllOf({"catalog": script("revoked", PermanentError("401 unauthorized")), "other": NeverCheck()})
    report = await wait_for(gather)
    assert (report.outcome, report.reason) == ("failed", "condition 'catalog' failed: 401 unauthorized")


async def test_a_latched_condition_is_not_asked_again() -> None:
    flapping = script("latched", Met("once"), NotYet("gone again"))
    gather = AllOf({"flapping": flapping, "later": script("later-l", NotYet("no"), NotYet("no"), Met("x"))})
    report = await wait_for(gather)
    assert report.outcome == "met"
    assert CALLS["latched"] == 1
    assert conditions(report)["flapping"]["value"] == "once"


async def test_an_unlatched_condition_counts_only_while_its_latest_answer_is_met() -> None:
    flapping = script("unlatched", Met("1"), NotYet("gone"), NotYet("gone"), Met("2"))
    other = script("other-u", NotYet("no"), Met("x"))
    report = await wait_for(AllOf({"flapping": flapping, "other": other}, latch=False))
    assert report.outcome == "met"
    # met at round 1 and 4 only; "other" is ready from round 2, so the wait ended at round 4
    assert CALLS["unlatched"] == 4
    assert report.value == {"flapping": "2", "other": "x"}


async def test_the_report_carries_every_conditions_status() -> None:
    gather = AllOf({"a": script("status-a", Met({"v": 1})), "b": script("status-b", NotYet("pending"), Met(2))})
    report = await wait_for(gather)
    assert report.detail["mode"] == "all"
    assert report.detail["need"] == 2
    for status in conditions(report).values():
        assert set(status) == STATUS_FIELDS
    b = conditions(report)["b"]
    assert (b["state"], b["attempts"], b["value"], b["what"]) == ("ready", 2, 2, "scripted status-b")
    assert b["ready_at"] >= b["checked_at"] - 1e-3


async def test_a_timeout_report_shows_what_each_condition_last_said() -> None:
    gather = AllOf({"done": script("t-done", Met(1)), "stuck": script("t-stuck", NotYet("status is pending"))})
    report = await wait_for(gather, within=0.2)
    assert report.outcome == "timeout"
    assert conditions(report)["stuck"]["reason"] == "status is pending"
    assert conditions(report)["done"]["state"] == "ready"


async def test_a_conditions_own_wakeup_cuts_the_sleep_short() -> None:
    WAKEUPS["woken-child"] = asyncio.Event()
    gather = AllOf({"woken": script("woken-child", NotYet("pending"), Met("shipped"))})
    run = asyncio.ensure_future(wait_for(gather, interval=3600, within=7200))
    await asyncio.sleep(0.05)
    WAKEUPS["woken-child"].set()
    report = await asyncio.wait_for(run, 5)
    assert (report.outcome, report.attempts) == ("met", 2)


async def test_each_change_is_logged_once_not_every_round(caplog) -> None:
    steps = [NotYet("pending")] * 4 + [Met(1)]
    with caplog.at_level(logging.INFO, logger="triggers.gather"):
        await wait_for(AllOf({"order": script("logged", *steps)}))
    lines = [r.getMessage() for r in caplog.records if r.name == "triggers.gather"]
    assert lines == [
        "condition 'order' not ready: pending (attempt 1)",
        "condition 'order' ready on attempt 5 (value 1)",
    ]


async def test_an_orders_file_that_stays_torn_fails_its_condition_after_max_parse_failures(tmp_path) -> None:
    """The run of unparsable reads is counted in the condition's status, as a wait's state counts it."""
    (tmp_path / "orders.json").write_text("[{")
    orders = JsonOrderCheck(order_ids=(1,), expected_status="shipped", db_path=str(tmp_path), max_parse_failures=3)
    report = await wait_for(AllOf({"orders": orders, "later": script("torn-later", NotYet("not yet"))}))
    status = conditions(report)["orders"]
    assert (report.outcome, status["state"], status["attempts"]) == ("failed", "failed", 3)
    assert "could not be parsed on 3 consecutive checks" in report.reason
