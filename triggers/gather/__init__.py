"""Gathers: wait for several conditions at once (all, any, or at least N of them).

Conditions are checks, so any check this library ships can be one (files, HTTP fields, order
status, ...), as can plain functions (:class:`~triggers.callables.CallableCheck`) and gathers.

**Latching.** By default a condition that was met stays met for the rest of the wait and is not
asked again: "the behaviour logs have arrived" does not un-arrive, and asking again only costs
calls and risks flapping. With ``latch=False`` every open condition is asked each round and
counts only while its latest answer is met, for conditions that must all hold at once. Latched
statuses last for one run of the trigger (a restarted triggerer asks again) and, in poke mode,
for one task try.

**Timeouts.** A condition timeout is an absolute deadline from the start of the wait. A
condition still pending at its deadline is timed out: in all-mode the wait fails at once naming
it; otherwise the others go on, and the wait fails once too few conditions can still be met.
"""

from triggers.callables import CallableCheck
from triggers.conditions import JsonDateCheck
from triggers.gather.composition import AllOf, AnyOf, AtLeast, Gather, Not
from triggers.gather.status import ConditionStatus, Ledger
from triggers.gather.trigger import GatherTrigger

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "CallableCheck",
    "ConditionStatus",
    "Gather",
    "GatherTrigger",
    "JsonDateCheck",
    "Ledger",
    "Not",
]
