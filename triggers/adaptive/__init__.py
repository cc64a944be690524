"""Adaptive waiting: the seed's rule and a learned cadence, the override, the history store, the trigger."""

from triggers.adaptive.learned import Learned
from triggers.adaptive.override import LiveOverride, Overridden, parse_override
from triggers.adaptive.performance import Performance, emit_gauges, summarize
from triggers.adaptive.rule import Adaptive
from triggers.adaptive.store import AirflowVariables, Arrival, HistoryStore, SensorHistory, VariableBackend
from triggers.adaptive.trigger import AdaptiveIntervalTrigger

__all__ = [
    "Adaptive",
    "AdaptiveIntervalTrigger",
    "AirflowVariables",
    "Arrival",
    "HistoryStore",
    "Learned",
    "LiveOverride",
    "Overridden",
    "Performance",
    "SensorHistory",
    "VariableBackend",
    "emit_gauges",
    "parse_override",
    "summarize",
]
