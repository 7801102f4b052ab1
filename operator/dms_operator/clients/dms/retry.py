"""Short in-client retries of DMS requests that are safe to repeat.

Only idempotent requests are retried: GET, PUT, DELETE, and the login and token renewal
POSTs. A POST that creates something is never repeated here, because DMS may have acted
on it before the failure (see `DMSError.outcome_unknown`).

The wait before retry n is drawn uniformly from [0, min(cap, base * 2^(n-1))] ("full
jitter"), so clients that failed together do not retry together. A `Retry-After` from
the server replaces that wait. If it requests a longer wait than the cap, the error is
raised at once with its `retry_after`, so the caller can reschedule instead of blocking.
These waits use `asyncio.sleep` and stay short; longer waits are the caller's job.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from dms_operator.clients.dms.errors import DMSError
from dms_operator.settings import OperatorSettings

_log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `attempts` counts the first attempt too."""

    attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 10.0
    # Jitter is not security-relevant, so a non-cryptographic generator is fine.
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def from_settings(cls, settings: OperatorSettings) -> "RetryPolicy":
        """Read the retry settings of the DMS client."""
        return cls(
            attempts=settings.dms_retry_attempts,
            backoff_base=settings.dms_retry_backoff_base_seconds,
            backoff_max=settings.dms_retry_backoff_max_seconds,
        )

    def backoff(self, retry_number: int) -> float:
        """Draw the wait in seconds before retry `retry_number` (1 for the first retry)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (retry_number - 1))
        return self.rng.uniform(0.0, ceiling)

    def delay_for(self, error: DMSError, retry_number: int) -> float | None:
        """Return the wait before retrying after `error`, or `None` not to retry."""
        if not error.retryable or retry_number >= self.attempts:
            return None
        if error.retry_after is not None:
            if error.retry_after > self.backoff_max:
                return None
            return error.retry_after
        return self.backoff(retry_number)


async def call_with_retries(
    operation: str,
    send: Callable[[], Awaitable[ResultT]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
) -> ResultT:
    """Await `send()` until it succeeds, fails with a non-retryable error or runs out.

    Raises the last `DMSError`. `operation` names the request in log lines.
    """
    retry_number = 1
    while True:
        try:
            return await send()
        except DMSError as exc:
            delay = policy.delay_for(exc, retry_number)
            if delay is None:
                raise
            _log.info(
                "Retrying DMS %s in %.2f s (retry %d of %d) after: %s",
                operation,
                delay,
                retry_number,
                policy.attempts - 1,
                exc,
            )
            await sleep(delay)
            retry_number += 1
