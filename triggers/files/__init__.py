"""Files: wait for a file or a glob to match, woken by one inotify watcher shared per event loop."""

from triggers.files.check import FileCheck
from triggers.files.pattern import FilePattern, FileStat
from triggers.files.trigger import FileWatchTrigger

__all__ = ["FileCheck", "FilePattern", "FileStat", "FileWatchTrigger"]
