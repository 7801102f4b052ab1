"""Stopping a recorded process never signals a process that reused its pid."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dms_testenv import processes
from dms_testenv.databases import stop_recorded


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def test_start_time_of_missing_pid() -> None:
    assert processes.start_time(2**22 + 12345) is None


def test_stop_skips_other_start_time(sleeper: subprocess.Popen[bytes]) -> None:
    recorded = processes.start_time(sleeper.pid)
    assert recorded is not None
    stranger = str(int(recorded) + 1)

    assert processes.stop(sleeper.pid, stranger) is False
    assert sleeper.poll() is None

    assert processes.stop(sleeper.pid, recorded) is True
    assert sleeper.wait(timeout=10) is not None


def test_stop_recorded_leaves_reused_pid(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    # A record whose pid now belongs to another process, as after a reboot.
    record = {"pid": sleeper.pid, "startTime": "1", "signal": 15}
    (tmp_path / "server.json").write_text(json.dumps(record))

    assert stop_recorded(tmp_path, "server") is False
    assert sleeper.poll() is None
    assert not (tmp_path / "server.json").exists()
