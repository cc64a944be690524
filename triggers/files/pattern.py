"""What a file path or glob names, and how to find it on disk without blocking the loop.

A pattern splits into its *root*, the deepest directory named without wildcards, and the parts
below it (``/data/in/*.csv`` -> root ``/data/in``, parts ``("*.csv",)``). The root is what the
inotify watcher watches; :func:`scan` lists what matches. Wildcards follow :mod:`glob`: ``*``,
``?`` and ``[...]`` within one path component, and a wildcard does not match a leading dot (so
a partner's ``.upload.tmp`` does not count). ``**`` is refused: it would need a watch on every
directory below the root.

:func:`scan` is blocking (``os.scandir`` and ``os.stat``, which can hang on a network mount):
callers run it in a worker thread. It raises TransientError or PermanentError; the mapping is
in :func:`raise_for`.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import stat
import sys
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache
from typing import NoReturn

from triggers.errors import ConfigurationError, PermanentError, TransientError

# Errors that waiting cannot fix: a path this process may not read, a symlink loop, a name the
# filesystem refuses. Everything else that is not "missing" (EIO, ESTALE on NFS, ENOMEM) may
# pass, so it is transient.
_PERMANENT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.ELOOP, errno.ENAMETOOLONG})


#: What makes a path component a glob (glob.has_magic's test, without its bytes check).
MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class FileStat:
    """A regular file that matched: its path, size in bytes, mtime (epoch seconds).

    ``marker`` says whether the marker file next to it exists (False when none is asked for).
    """

    path: str
    size: int
    mtime: float
    marker: bool = False

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape the sensor's XCom shows."""
        return {"path": self.path, "size": self.size, "mtime": self.mtime}


@dataclass(frozen=True)
class Scan:
    """What one look found: the matching regular files, and whether the root directory exists."""

    files: tuple[FileStat, ...]
    root_exists: bool
    unreadable: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)  # one per waiting file sensor: no __dict__
class FilePattern:
    """An absolute path or glob, split into its wildcard-free root and the parts below it."""

    text: str
    root: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: object, *, argument: str = "filepath") -> FilePattern:
        """Return the pattern for ``text``; raise ConfigurationError naming ``argument`` when invalid."""
        if not isinstance(text, str) or not text.strip():
            raise ConfigurationError(argument, f"must be a non-empty path, got {text!r}")
        if "\0" in text:
            raise ConfigurationError(argument, "must not contain a NUL byte")
        if not os.path.isabs(text):
            # The triggerer's working directory is not the DAG author's: a relative path would
            # be looked up somewhere nobody meant.
            raise ConfigurationError(argument, f"must be an absolute path, got {text!r}")
        normalised = os.path.normpath(text)
        components = [c for c in normalised.split(os.sep) if c]
        if text.endswith(os.sep) or not components:
            raise ConfigurationError(argument, f"must name a file, not a directory: {text!r}")
        if "**" in normalised:  # within a component: separators stay between components
            raise ConfigurationError(argument, "'**' is not supported; spell out each directory level with '*'")
        fixed = 0
        while fixed < len(components) - 1 and MAGIC.search(components[fixed]) is None:
            fixed += 1
        # interned: the waits on files in one directory share one root string, not one each
        root = sys.intern(os.sep + os.sep.join(components[:fixed]))
        return cls(text=text, root=root, parts=tuple(components[fixed:]))

    @property
    def is_glob(self) -> bool:
        return any(glob.has_magic(p) for p in self.parts)

    @property
    def exact(self) -> str:
        """The normalised path (meaningful when ``is_glob`` is False)."""
        return os.path.join(self.root, *self.parts)


@lru_cache(maxsize=1024)
def _compiled(part: str) -> re.Pattern[str]:
    return re.compile(translate(part))


def matches(part: str, name: str) -> bool:
    """Return True when ``name`` matches one glob component ``part`` (case-sensitive, glob's dot rule)."""
    if name.startswith(".") and not part.startswith("."):
        return False
    return _compiled(part).match(name) is not None


def raise_for(error: OSError, path: str) -> NoReturn:
    """Raise the library error for an OSError met while scanning ``path``.

    Raises PermanentError for permission denied, symlink loops and over-long names;
    TransientError otherwise (an I/O error or a stale NFS handle may pass).
    """
    if isinstance(error, PermissionError) or error.errno in _PERMANENT_ERRNOS:
        raise PermanentError(f"{path}: {error.strerror or type(error).__name__}") from error
    raise TransientError(f"{path}: {error.strerror or type(error).__name__}") from error


def stat_or_none(path: str) -> os.stat_result | None:
    """Return the stat of ``path`` (following symlinks), or None when it is absent.

    Raises what :func:`raise_for` makes of any other OSError.
    """
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise_for(error, path)


def _stat_file(path: str) -> os.stat_result | None:
    """Return the stat of the regular file at ``path`` (following symlinks), or None when absent.

    Raises PermanentError when ``path`` is a directory or another non-regular file.
    """
    result = stat_or_none(path)
    if result is not None:
        regular_or_raise(path, result.st_mode)
    return result


def regular_or_raise(path: str, mode: int) -> None:
    """Raise PermanentError unless ``mode`` (of the exact path ``path``) is a regular file's."""
    if stat.S_ISDIR(mode):
        raise PermanentError(f"{path} is a directory; to wait for files in it use a glob such as {path}/*")
    if not stat.S_ISREG(mode):
        raise PermanentError(f"{path} is not a regular file")


def _exists(path: str) -> bool:
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        raise_for(error, path)
    return True


def _scan_exact(pattern: FilePattern, marker_suffix: str | None) -> Scan:
    path = pattern.exact
    found = _stat_file(path)
    if found is None:
        return Scan(files=(), root_exists=os.path.isdir(pattern.root))
    marker = marker_suffix is not None and _exists(path + marker_suffix)
    return Scan(files=(FileStat(path, found.st_size, found.st_mtime, marker),), root_exists=True)


def _list(directory: str) -> list[str]:
    with os.scandir(directory) as entries:
        return [entry.name for entry in entries]


def scan(pattern: FilePattern, marker_suffix: str | None = None) -> Scan:
    """Return the regular files ``pattern`` matches now (blocking: run it in a thread).

    Directories matched by a glob are skipped, as are marker files. A missing root means
    nothing matches yet. Raises PermanentError when the root cannot be read, when an exact
    path is a directory or not a regular file; TransientError on other I/O errors.
    Subdirectories below the root that cannot be read are skipped and listed in ``unreadable``.
    """
    if not pattern.is_glob:
        return _scan_exact(pattern, marker_suffix)
    try:
        directories = [(pattern.root, _list(pattern.root))]
    except (FileNotFoundError, NotADirectoryError):
        return Scan(files=(), root_exists=False)
    except OSError as error:
        raise_for(error, pattern.root)
    unreadable: list[str] = []
    for part in pattern.parts[:-1]:
        deeper = []
        for directory, names in directories:
            chosen = [n for n in names if matches(part, n)] if glob.has_magic(part) else [part]
            for name in chosen:
                path = os.path.join(directory, name)
                try:
                    deeper.append((path, _list(path)))
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except OSError:
                    unreadable.append(path)  # glob skips unreadable directories; so do we
        directories = deeper
    files = [found for directory, names in directories for found in _files_in(directory, names, pattern, marker_suffix)]
    return Scan(files=tuple(sorted(files, key=lambda f: f.path)), root_exists=True, unreadable=tuple(unreadable))


def _files_in(directory: str, names: list[str], pattern: FilePattern, marker_suffix: str | None) -> list[FileStat]:
    last = pattern.parts[-1]
    present = set(names)
    candidates = [n for n in names if matches(last, n)] if glob.has_magic(last) else [last] if last in present else []
    found = []
    for name in candidates:
        if marker_suffix is not None and name.endswith(marker_suffix) and glob.has_magic(last):
            continue  # a marker is not a file to wait for
        path = os.path.join(directory, name)
        result = stat_or_none(path)  # None: removed between listing and stat
        if result is not None and stat.S_ISREG(result.st_mode):
            marker = marker_suffix is not None and name + marker_suffix in present
            found.append(FileStat(path, result.st_size, result.st_mtime, marker))
    return found
