"""An invalid reconcile-interval annotation is reported once per value, never silently."""

from __future__ import annotations

import logging

import kopf
import pytest

from dms_operator.handlers.common import report_invalid_interval
from dms_operator.models.common import RECONCILE_INTERVAL_ANNOTATION

LOGGER = logging.getLogger("test.interval")


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_invalid_interval_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    memo = kopf.Memo()
    annotations = {RECONCILE_INTERVAL_ANNOTATION: "5m"}

    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        report_invalid_interval(annotations, memo, LOGGER)
        report_invalid_interval(annotations, memo, LOGGER)

    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert RECONCILE_INTERVAL_ANNOTATION in warnings[0]
    assert "'5m'" in warnings[0]


def test_new_invalid_value_warned_again(caplog: pytest.LogCaptureFixture) -> None:
    memo = kopf.Memo()

    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        report_invalid_interval({RECONCILE_INTERVAL_ANNOTATION: "5m"}, memo, LOGGER)
        report_invalid_interval({RECONCILE_INTERVAL_ANNOTATION: "0"}, memo, LOGGER)

    assert len(_warnings(caplog)) == 2


def test_valid_interval_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    memo = kopf.Memo()

    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        report_invalid_interval({RECONCILE_INTERVAL_ANNOTATION: "300"}, memo, LOGGER)
        report_invalid_interval({}, memo, LOGGER)

    assert _warnings(caplog) == []
