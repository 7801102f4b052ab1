"""Fixtures of the DMS client tests: a fake DMS behind httpx.MockTransport, fake time."""

from collections.abc import AsyncIterator

import pytest

from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.clients.dms.session import DMSSession
from dms_operator.settings import OperatorSettings

from .fakes import FakeClock, FakeDMS, RecordingSleep, credentials


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def fake_dms(clock: FakeClock) -> FakeDMS:
    return FakeDMS(clock=clock)


@pytest.fixture
def settings() -> OperatorSettings:
    return OperatorSettings(
        dms_path_prefix="/provider",
        dms_retry_attempts=3,
        dms_retry_backoff_base_seconds=0.5,
        dms_retry_backoff_max_seconds=10.0,
        dms_token_renew_margin_seconds=120.0,
        dms_list_page_size=20,
        dms_list_max_pages=5,
    )


@pytest.fixture
async def pool(
    fake_dms: FakeDMS, settings: OperatorSettings, clock: FakeClock, sleeps: RecordingSleep
) -> AsyncIterator[DMSClientPool]:
    pool = DMSClientPool(settings, transport=fake_dms.transport(), clock=clock, sleep=sleeps)
    yield pool
    await pool.aclose()


@pytest.fixture
def session(pool: DMSClientPool) -> DMSSession:
    return pool.session_for(credentials())
