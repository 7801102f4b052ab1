"""Identify processes recorded by pid, so that stopping one never hits a stranger.

Components started for a sandbox outlive the command that started them; their
pids are recorded in JSON files and read back by `down`. A pid can be reused
after the process exits or the machine restarts, so a record also keeps the
process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`),
and a recorded process counts as running only when both still match.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

_POLL_SECONDS = 0.05
_STOP_TIMEOUT_SECONDS = 20.0


def _stat_fields(pid: int) -> list[str] | None:
    """Return the fields of `/proc/<pid>/stat` from field 3 (the state) on."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces, so
    # split only what follows its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()


def start_time(pid: int) -> str | None:
    """Return the process's start time since boot, or None when no such process exists."""
    fields = _stat_fields(pid)
    return fields[19] if fields else None


def _reap(pid: int) -> None:
    # A child of this process stays a zombie until reaped; reaping a process
    # that is not our child raises ChildProcessError, which is fine.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def is_running(pid: int, recorded_start_time: str | None) -> bool:
    """Tell whether `pid` still runs and, when a start time was recorded, is that process."""
    _reap(pid)
    fields = _stat_fields(pid)
    if fields is None or fields[0] == "Z":  # gone, or a zombie whose parent has not reaped it
        return False
    return recorded_start_time is None or fields[19] == recorded_start_time


def stop(pid: int, recorded_start_time: str | None, first_signal: int = signal.SIGTERM) -> bool:
    """Signal the recorded process, wait for it to exit, kill it if it does not.

    Returns False, sending nothing, when the pid is gone or belongs to another process.
    """
    if not is_running(pid, recorded_start_time):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first_signal)
    deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
    while is_running(pid, recorded_start_time) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    if is_running(pid, recorded_start_time):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while is_running(pid, recorded_start_time):
            time.sleep(_POLL_SECONDS)
    return True
