"""FileWatchTrigger: wait in the triggerer for a file, woken by inotify, polling as the fallback."""

from __future__ import annotations

from typing import ClassVar

from triggers.checks import Check
from triggers.files.check import FileCheck
from triggers.poll_trigger import PollTrigger


class FileWatchTrigger(PollTrigger):
    """Poll a :class:`FileCheck` at ``cadence`` and wake at once when its directory changes.

    Takes PollTrigger's keyword arguments; ``check`` must be a FileCheck (``kind: "file"``).
    While it waits, the check's probe holds a watch on the pattern's directory through the one
    inotify instance of the triggerer's event loop (or of its nearest existing parent until the
    directory exists), so an arriving file, its marker or a settled write cuts the wait short.
    Where no event comes (network filesystems, inotify unavailable, watch limit reached) the
    cadence alone finds the file. Yields one event whose payload is a Report; the met value is
    the FileCheck's (matched paths, sizes, mtimes).
    """

    accepts: ClassVar[tuple[type[Check], ...]] = (FileCheck,)
