"""The kopf pieces in `dms_operator.main`: the storages keep the user annotations in the
diff, and the log filter keeps retries out of Events."""

from __future__ import annotations

import logging

import kopf

from dms_operator.main import DiffBaseStorage, HandlerOutcomeFilter, ProgressStorage

PREFIX = "dms.tanzu.community"


def essence(annotations: dict[str, str]) -> object:
    diff_base = DiffBaseStorage(prefix=PREFIX, key="last-handled-configuration")
    progress = ProgressStorage(prefix=PREFIX)
    body = kopf.Body({"metadata": {"name": "x", "annotations": annotations}, "spec": {"cpu": 2}})
    return progress.clear(essence=diff_base.build(body=body))


def test_user_annotations_are_part_of_the_diff() -> None:
    built = essence(
        {
            "dms.tanzu.community/paused": "true",
            "dms.tanzu.community/adopt": "true",
            "dms.tanzu.community/reconcile-interval": "60",
        }
    )

    assert built == {
        "spec": {"cpu": 2},
        "metadata": {
            "annotations": {
                "dms.tanzu.community/paused": "true",
                "dms.tanzu.community/adopt": "true",
                "dms.tanzu.community/reconcile-interval": "60",
            }
        },
    }


def test_operator_annotations_are_not_part_of_the_diff() -> None:
    built = essence(
        {
            "dms.tanzu.community/kopf-managed": "yes",
            "dms.tanzu.community/create-requested-at": "2026-01-01T00:00:00Z",
            "dms.tanzu.community/reconcile-create": '{"retries": 1}',
            "dms.tanzu.community/last-handled-configuration": "{}",
        }
    )

    assert built == {"spec": {"cpu": 2}}


def record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("kopf.objects", level, __file__, 1, message, None, None)


def test_retry_lines_are_logged_but_not_posted() -> None:
    line = record("Handler 'reconcile-create' failed temporarily: DMS unavailable")

    assert HandlerOutcomeFilter().filter(line) is True
    assert line.k8s_skip is True
    assert line.levelno == logging.ERROR


def test_waiting_is_logged_as_info() -> None:
    line = record("Handler 'reconcile-create' failed temporarily: waiting for DMS to finish work")

    assert HandlerOutcomeFilter().filter(line) is True
    assert line.levelno == logging.INFO


def test_exceptions_still_posted() -> None:
    line = record("Handler 'reconcile-create' failed with an exception. Will retry.")

    assert HandlerOutcomeFilter().filter(line) is True
    assert getattr(line, "k8s_skip", False) is False


def test_idle_timer_lines_dropped() -> None:
    assert HandlerOutcomeFilter().filter(record("Timer 'drift' succeeded.", logging.INFO)) is False
