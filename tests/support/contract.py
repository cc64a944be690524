"""The trigger contract, as assertions reusable on any trigger class.

Every trigger this package ships must pass all of them (tests/triggers/test_contract.py), and
tests/triggers/test_contract_catches.py shows that each assertion fails on a trigger that
breaks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from airflow.triggers.base import BaseEventTrigger, BaseTrigger

#: asyncio debug mode reports a callback slower than this; Airflow's own watchdog warns at 0.2 s.
SLOW_CALLBACK_SECONDS = 0.05


def assert_round_trips(trigger: BaseTrigger) -> None:
    """serialise -> JSON -> rebuild from the classpath gives a trigger with equal kwargs."""
    classpath, kwargs = trigger.serialize()
    decoded = json.loads(json.dumps(kwargs))
    assert decoded == kwargs, "kwargs change through JSON: keep them to JSON types"
    module_name, _, class_name = classpath.rpartition(".")
    rebuilt_class = getattr(importlib.import_module(module_name), class_name)
    assert rebuilt_class is type(trigger), f"{classpath} does not import to {type(trigger).__qualname__}"
    rebuilt = rebuilt_class(**decoded)
    assert rebuilt.serialize() == (classpath, kwargs)


def assert_rejects_unknown_keyword(trigger_class: type[BaseTrigger], kwargs: Mapping[str, Any]) -> None:
    """A misspelt keyword must fail, not vanish into a ``**kwargs`` catch-all."""
    with pytest.raises(TypeError):
        trigger_class(**kwargs, definitely_not_an_argument=1)


#: Values a trigger may be rebuilt with by another release, a hand-edited row or a bug: each replaces
#: one kwarg (and one parameter of the check) in turn.
ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    -1,
    0,
    2**70,
    -1.5,
    "",
    "x",
    [],
    [{}],
    {},
    {"kind": "from_another_release"},
    {"kind": "fixed"},
    [{"at": "noon"}],
)


def odd_kwargs(kwargs: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (what changed, kwargs) for every odd value of every kwarg and of every check parameter."""
    for key in kwargs:
        for value in ODD_VALUES:
            yield f"{key}={value!r}", {**kwargs, key: value}
    check = kwargs.get("check")
    if isinstance(check, Mapping):
        for param in check:
            for value in ODD_VALUES:
                yield f"check.{param}={value!r}", {**kwargs, "check": {**check, param: value}}


def assert_survives_odd_kwargs(trigger_class: type[BaseTrigger], kwargs: Mapping[str, Any]) -> int:
    """Build the trigger from every :func:`odd_kwargs`; return how many variants were tried.

    The constructor may raise TypeError and nothing else (Airflow's triggerer stops on anything
    else). A trigger that reports a ``problem`` must serialise the kwargs it was given and yield
    one failed event naming the problem at once.
    """
    tried = 0
    idle_checked = False
    for changed, odd in odd_kwargs(kwargs):
        tried += 1
        try:
            trigger = trigger_class(**odd)
        except TypeError:
            continue
        except Exception as error:  # the point of the test: nothing else may escape
            pytest.fail(f"{trigger_class.__qualname__}({changed}) raised {type(error).__name__}: {error}")
        problem = getattr(trigger, "problem", None)
        if problem is None:
            continue
        serialised = trigger.serialize()[1]
        assert {k: serialised.get(k) for k in odd} == odd, f"{changed}: serialise what was given"
        if isinstance(trigger, BaseEventTrigger):
            # A watcher that ended would stop watching, and a "failed" event would start a DAG
            # run: an unusable watcher logs its problem and stays idle (checked once, it is slow).
            if not idle_checked:
                idle_checked = True
                assert asyncio.run(_events_within(trigger, 0.5)) == [], f"{changed}: an unusable watcher emits nothing"
            continue
        events = asyncio.run(asyncio.wait_for(_all_events(trigger), 5))
        assert len(events) == 1, f"{changed}: expected one event, got {events}"
        assert events[0].payload["outcome"] == "failed", f"{changed}: {events[0].payload}"
        assert events[0].payload["reason"] == problem
    return tried


async def _all_events(trigger: BaseTrigger) -> list[Any]:
    return [event async for event in trigger.run()]


async def _events_within(trigger: BaseTrigger, seconds: float) -> list[Any]:
    """Return the events ``trigger.run()`` yields within ``seconds`` (then it is cancelled)."""
    events: list[Any] = []

    async def collect() -> None:
        async for event in trigger.run():
            events.append(event)

    task = asyncio.ensure_future(collect())
    await asyncio.wait({task}, timeout=seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return events


def assert_never_blocks(make: Callable[[], BaseTrigger], *, run_for: float = 1.0, tries: int = 3) -> None:
    """Run triggers from ``make`` under asyncio debug mode; fail if a callback held the loop in every try.

    A trigger that blocks does so in every run; a loaded machine (CI on two cores) stalls a callback
    now and then. So a slow callback counts only when each of ``tries`` fresh triggers shows one
    (fresh, because a trigger's deadline is absolute).
    """
    seen: list[str] = []
    for _ in range(tries):
        seen = _slow_callbacks(make(), run_for)
        if not seen:
            return
    raise AssertionError("blocked the event loop: " + "; ".join(seen))


def _slow_callbacks(trigger: BaseTrigger, run_for: float) -> list[str]:
    """Return asyncio debug mode's reports of callbacks slower than SLOW_CALLBACK_SECONDS."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "Executing" in record.getMessage() and "took" in record.getMessage():
                records.append(record)

    async def drive() -> None:
        asyncio.get_running_loop().slow_callback_duration = SLOW_CALLBACK_SECONDS

        async def consume() -> None:
            async for _event in trigger.run():
                return

        # A trigger that is still waiting at run_for seconds has not blocked: that is the point.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consume(), run_for)

    handler = Collect()
    asyncio_log = logging.getLogger("asyncio")
    asyncio_log.addHandler(handler)
    try:
        asyncio.run(drive(), debug=True)
    finally:
        asyncio_log.removeHandler(handler)
    return [r.getMessage()[:200] for r in records]
