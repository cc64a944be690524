"""FileArrivalSensor: wait for a file to arrive complete, deferred, woken by inotify.

The plain building block of the file sensors: a path or a glob, the completion rules of
:class:`~triggers.files.FileCheck`, and the shared inotify watcher in the triggerer, with
polling at ``poke_interval`` as the fallback (network filesystems send no events).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sensors.base import DeferrableSensor
from triggers.files import FileCheck, FileWatchTrigger
from triggers.poll_trigger import PollTrigger

#: Seconds a file must stay unchanged when no marker says it is complete.
DEFAULT_STABLE_FOR = 5.0


class FileArrivalSensor(DeferrableSensor):
    """Wait until a regular file matching ``filepath`` is there and complete.

    :param filepath: an absolute path or glob (``*``, ``?``, ``[...]`` within a path level);
        templated.
    :param max_age: only files modified within the last ``max_age`` seconds count.
    :param min_size: only files of at least this many bytes count.
    :param stable_for: seconds the file's size and mtime must stay unchanged before it counts.
        None (the default) means 5 s, or 0 when ``marker_suffix`` is set (the marker says
        the file is complete).
    :param marker_suffix: the file counts once ``<file><marker_suffix>`` exists (``".done"``);
        templated.
    :param watch: wake on inotify events; False polls only.
    :param share_probe: deferred waits for files directly in one directory (no wildcard above the
        file name) share one listing of it per tick in the triggerer, and a wait is judged again
        only when a name it matches changes. False lists for this sensor alone.

    Returns (XCom) ``{"pattern", "count", "files": [{"path", "size", "mtime"}, ...]}``.
    Permission denied or an exact path that is a directory fail at once; a missing file or
    directory is waited for.
    """

    template_fields: Sequence[str] = ("filepath", "marker_suffix")
    template_stand_ins = {"filepath": "/templated/path", "marker_suffix": ".done"}
    trigger_class: ClassVar[type[PollTrigger]] = FileWatchTrigger

    def __init__(
        self,
        filepath: str,
        *,
        max_age: float | None = None,
        min_size: int = 0,
        stable_for: float | None = None,
        marker_suffix: str | None = None,
        watch: bool = True,
        share_probe: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.max_age = max_age
        self.min_size = min_size
        self.stable_for = stable_for
        self.marker_suffix = marker_suffix
        self.watch = watch
        self.share_probe = share_probe
        self.validate()

    def build_check(self) -> FileCheck:
        """Return the check for the (rendered) ``filepath``; raise ConfigurationError when invalid."""
        stable_for = self.stable_for
        if stable_for is None:
            stable_for = 0.0 if self.marker_suffix is not None else DEFAULT_STABLE_FOR
        return FileCheck(
            path=self.filepath,
            max_age=self.max_age,
            min_size=self.min_size,
            stable_for=stable_for,
            marker_suffix=self.marker_suffix,
            watch=self.watch,
            share_probe=self.share_probe,
        )
