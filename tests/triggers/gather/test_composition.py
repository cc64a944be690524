"""Composition: AllOf / AnyOf / AtLeast / Not as checks, the & | ~ operators, nesting, serialisation."""

import json
import time

import pytest

from tests.support.checks import CALLS, NeverCheck, script
from triggers.cadence import Fixed
from triggers.checks import Check, check_once
from triggers.errors import ConfigurationError
from triggers.gather import AllOf, AnyOf, AtLeast, GatherTrigger, Not
from triggers.gather.composition import negate
from triggers.outcomes import Failed, Met, NotYet


async def wait_for(check: Check, within: float = 10.0):
    trigger = GatherTrigger(check=check.to_dict(), cadence=Fixed(0.02).to_dict(), deadline=time.time() + within)
    return await trigger.make_loop().run()


async def test_a_and_b_or_c_waits_for_both_of_a_and_b() -> None:
    a = script("nest-a", Met("a"))
    b = script("nest-b", NotYet("no"), NotYet("no"), Met("b"))
    c = NeverCheck()
    report = await wait_for((a & b) | c)
    assert report.outcome == "met"
    inner = report.value["all of (scripted nest-a, scripted nest-b)"]
    assert inner == {"scripted nest-a": "a", "scripted nest-b": "b"}
    # The nested gather's own per-condition status is in its condition's detail; a is latched.
    nested = report.detail["conditions"]["all of (scripted nest-a, scripted nest-b)"]["detail"]["conditions"]
    assert (nested["scripted nest-a"]["attempts"], nested["scripted nest-b"]["attempts"]) == (1, 3)
    assert CALLS["nest-a"] == 1


async def test_a_and_b_or_c_ends_with_c_alone() -> None:
    report = await wait_for((NeverCheck() & NeverCheck()) | script("nest-c", NotYet("no"), Met("c")))
    assert report.value == {"scripted nest-c": "c"}


def test_operators_build_the_gathers_and_chains_flatten() -> None:
    a, b, c = script("op-a", Met(1)), script("op-b", Met(2)), script("op-c", Met(3))
    assert a & b & c == AllOf(a, b, c)
    assert a | b | c == AnyOf(a, b, c)
    assert (a & b) | c == AnyOf(AllOf(a, b), c)
    assert ~a == Not(a)
    assert ~~a == a


def test_a_gather_with_settings_of_its_own_is_nested_not_extended() -> None:
    a, b, c = script("keep-a", Met(1)), script("keep-b", Met(2)), script("keep-c", Met(3))
    timed = AllOf({"a": a, "b": b}, timeouts={"a": 5})
    assert timed & c == AllOf(timed, c)


def test_the_same_check_twice_gets_distinct_names() -> None:
    a = script("twice", Met(1))
    assert list(AllOf(a, a).conditions) == ["scripted twice", "scripted twice #2"]


def test_nested_gathers_round_trip_through_json() -> None:
    a, b = script("rt-a", Met(1)), script("rt-b", Met(2))
    check = AtLeast(2, {"both": a & b, "not-b": ~b, "never": NeverCheck()}, timeouts={"never": 30}, latch=False)
    rebuilt = Check.from_dict(json.loads(json.dumps(check.to_dict())))
    assert rebuilt == check
    assert isinstance(rebuilt, AtLeast)
    assert rebuilt.need == 2


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        pytest.param(Met(1), NotYet("x holds"), id="met-becomes-not-yet"),
        pytest.param(NotYet("pending"), Met(True, detail={"negated": "pending"}), id="not-yet-becomes-met"),
        pytest.param(NotYet("refused", error="ConnectionRefusedError"), None, id="an-error-says-nothing"),
        pytest.param(Failed("broken"), None, id="failed-stays-failed"),
    ],
)
def test_not(inner, expected) -> None:
    assert negate(inner, "x") == (inner if expected is None else expected)


async def test_not_looks_through_its_conditions_probe() -> None:
    assert isinstance(await check_once(Not(script("not-shipped", NotYet("pending"))), None), Met)
    assert isinstance(await check_once(Not(script("shipped", Met(1))), None), NotYet)


async def test_a_gather_checked_once_runs_one_round() -> None:
    outcome = await check_once(AllOf(script("once-a", Met(1)), script("once-b", NotYet("pending"))), None)
    assert isinstance(outcome, NotYet)
    assert outcome.reason == "1 of 2 ready, need 2; waiting for scripted once-b"


def test_for_wait_stamps_every_nested_gather_and_keeps_their_own_settings() -> None:
    a, b = script("fw-a", Met(1)), script("fw-b", Met(2))
    check = AnyOf({"inner": AllOf(a, b, round_wait=9), "negated": Not(AnyOf(a))})
    stamped = check.for_wait(started_at=100.0, round_wait=5.0, attempt_timeout=2.0)
    inner = stamped.conditions["inner"]
    negated = stamped.conditions["negated"]
    assert (stamped.started_at, stamped.round_wait, stamped.attempt_timeout) == (100.0, 5.0, 2.0)
    assert (inner.started_at, inner.round_wait, inner.attempt_timeout) == (100.0, 9, 2.0)
    assert negated.condition.started_at == 100.0


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        pytest.param(lambda a: AllOf(), "conditions", id="empty"),
        pytest.param(lambda a: AllOf({"a": a, "b": "not a check"}), "conditions", id="not-a-check"),
        pytest.param(lambda a: AllOf({"a": a}, {"a": a}), "conditions", id="name-twice"),
        pytest.param(lambda a: AllOf({"a": a}, timeouts={"b": 5}), "condition_timeouts", id="timeout-unknown-name"),
        pytest.param(lambda a: AllOf({"a": a}, timeouts={"a": 0}), r"condition_timeouts\['a'\]", id="timeout-zero"),
        pytest.param(lambda a: AtLeast(2, {"a": a}), "min_ready", id="more-than-there-are"),
        pytest.param(lambda a: AtLeast(0, {"a": a}), "min_ready", id="zero"),
        pytest.param(lambda a: AllOf(a, latch="yes"), "latch", id="latch"),
        pytest.param(lambda a: AllOf(a, round_wait=-1), "round_wait", id="round-wait"),
        pytest.param(lambda a: Not("a"), "conditions", id="not-of-a-string"),
    ],
)
def test_bad_compositions_fail_at_construction_naming_the_argument(build, argument) -> None:
    with pytest.raises(ConfigurationError, match=f"^{argument}:"):
        build(script("bad", Met(1)))


def test_an_unknown_parameter_in_a_gather_dict_is_refused() -> None:
    data = {**AllOf(script("u", Met(1))).to_dict(), "requir_all": True}
    with pytest.raises(ConfigurationError, match="bad parameters"):
        Check.from_dict(data)
