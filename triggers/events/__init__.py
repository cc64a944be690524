"""Event watchers: the library's checks as ``BaseEventTrigger`` s that start DAG runs through ``AssetWatcher`` s.

Each emits one event per change, with an idempotency key, remembered in the asset state store so
a rebuilt watcher does not emit it again (see :mod:`triggers.events.memory` for the guarantee).
"""

from triggers.events.base import Change, EventWatcher
from triggers.events.files import FileEventTrigger
from triggers.events.http import HealthEventTrigger
from triggers.events.memory import Memory
from triggers.events.orders import OrderEventTrigger

__all__ = ["Change", "EventWatcher", "FileEventTrigger", "HealthEventTrigger", "Memory", "OrderEventTrigger"]
