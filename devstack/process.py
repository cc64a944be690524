"""Subprocess plumbing for the dev stack: spawning, process trees, log tails, free ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of a text file ('' if it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * lines))
            data = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def _children_map() -> dict[int, list[int]]:
    """Return {ppid: [pid, ...]} for every process visible in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def descendants(pid: int) -> set[int]:
    """Return the pids of all living descendants of ``pid`` (not including ``pid``)."""
    tree = _children_map()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Return True if ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2 :].split()[0] != "Z"


def _signal(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


@dataclass
class Component:
    """One running Airflow component (a subprocess and its log file)."""

    name: str
    kind: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes]
    known_pids: set[int] = field(default_factory=set)
    expected_exit: bool = False

    @property
    def pid(self) -> int:
        """Return the pid of the component's main process."""
        return self.popen.pid

    def running(self) -> bool:
        """Return True while the main process has not exited."""
        return self.popen.poll() is None

    def refresh_tree(self) -> set[int]:
        """Record and return the living descendants seen so far (task runners re-group themselves)."""
        self.known_pids = {pid for pid in self.known_pids if _alive(pid)}
        if self.running():
            self.known_pids |= descendants(self.pid)
        return self.known_pids

    def signal_tree(self, sig: int) -> None:
        """Send ``sig`` to the main process, its process group and every known descendant."""
        self.refresh_tree()
        if self.running():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)
        _signal(self.known_pids, sig)

    def kill_task_processes(self) -> None:
        """SIGKILL descendants that left the component's process group (task runners do)."""
        for pid in self.refresh_tree():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(pid) != self.pid:
                    os.kill(pid, signal.SIGKILL)


def spawn(name: str, kind: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path) -> Component:
    """Start ``argv`` in a new session with stdout+stderr appended to ``log_path``; return it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n===== {time.strftime('%H:%M:%S')} start {name}: {' '.join(argv)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Component(name=name, kind=kind, argv=list(argv), log_path=log_path, popen=popen)


def stop_all(components: Sequence[Component], grace: float = 10.0, task_grace: float = 3.0) -> None:
    """SIGTERM every component tree and wait up to ``grace`` seconds, then SIGKILL what is left.

    Task processes ignore SIGTERM while their operator runs and the scheduler waits for them,
    so they are SIGKILLed after ``task_grace`` seconds.
    """
    for comp in components:
        comp.signal_tree(signal.SIGTERM)
    start = time.monotonic()
    tasks_killed = False
    while time.monotonic() - start < grace:
        for comp in components:
            comp.refresh_tree()
        if not any(comp.running() for comp in components) and not any(
            _alive(pid) for comp in components for pid in comp.known_pids
        ):
            break
        if not tasks_killed and time.monotonic() - start > task_grace:
            tasks_killed = True
            for comp in components:
                comp.kill_task_processes()
        time.sleep(0.2)
    for comp in components:
        comp.signal_tree(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            comp.popen.wait(timeout=5)
