"""The task runner: DMS's asynchronous operations as master tasks.

With `task_seconds == 0` a task ends before the request that started it
returns. Otherwise a background asyncio job raises `percent` in `task_steps`
steps and ends the task after `task_seconds`. Unfinished tasks found in the
state file at start-up resume where they stood. The control API can make a
running task, or the next task of a type, fail with a chosen message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from dms_simulator import operations
from dms_simulator.backends import Backend, BackendError
from dms_simulator.config import SimulatorConfig
from dms_simulator.errors import invalid_state
from dms_simulator.records import (
    TASK_FAILED,
    TASK_IN_PROGRESS,
    TASK_SUCCESS,
    Database,
    StateEntry,
    Task,
    TaskErrorInfo,
    TaskTarget,
    new_id,
)
from dms_simulator.store import Store

logger = logging.getLogger("dms_simulator")


@dataclass(frozen=True)
class FailRule:
    message: str
    status: str = TASK_FAILED


class TaskRunner:
    """Creates, advances, ends and resumes tasks."""

    def __init__(self, config: SimulatorConfig, store: Store, backends: dict[str, Backend]) -> None:
        self.config = config
        self.store = store
        self.backends = backends
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._fail_next: dict[str, FailRule] = {}

    async def submit(
        self,
        task_type: str,
        user_email: str,
        database: Database,
        new_status: str,
        params: dict[str, object] | None = None,
        secret_params: dict[str, str] | None = None,
    ) -> Task:
        """Move `database` to `new_status`, record a task for it and start it."""
        task = Task(
            id=new_id(),
            taskType=task_type,
            userName=user_email,
            tenantId=database.tenantId,
            targetDetails=TaskTarget(id=database.id, name=database.instanceName),
            dbDetails={"id": database.id},
            params=dict(params or {}),
            secretParams=dict(secret_params or {}),
            previousStatus=database.status,
            stateHistory=[StateEntry(state=TASK_IN_PROGRESS)],
        )
        rule = self._fail_next.pop(task_type, None)
        if rule is not None:
            task.failMessage = rule.message
            task.failStatus = rule.status
        database.status = new_status
        self.store.state.tasks[task.id] = task
        self.store.save()
        logger.info("task %s %s started for database %s", task.id, task_type, database.id)
        if self.config.task_seconds == 0:
            await self._finish(task)
        else:
            self._spawn(task)
        return task

    def fail_next(self, task_type: str, rule: FailRule) -> None:
        self._fail_next[task_type] = rule

    def clear_fail_next(self) -> None:
        self._fail_next.clear()

    def pending_fail_rules(self) -> dict[str, FailRule]:
        return dict(self._fail_next)

    def fail_running(self, task_id: str, rule: FailRule) -> Task:
        """Make a running task end now with `rule`'s status and message."""
        task = self.store.task(task_id)
        if task.finished:
            raise invalid_state(f"task '{task_id}' has already ended with {task.status}")
        task.failMessage = rule.message
        task.failStatus = rule.status
        self.store.save()
        wakeup = self._wakeups.get(task_id)
        if wakeup is not None:
            wakeup.set()
        return task

    async def resume(self) -> None:
        """Restart the tasks that the state file records as running."""
        for task in list(self.store.state.tasks.values()):
            if task.finished:
                continue
            logger.info("resuming task %s %s at %d%%", task.id, task.taskType, task.percent)
            if self.config.task_seconds == 0:
                await self._finish(task)
            else:
                self._spawn(task)

    async def shutdown(self) -> None:
        """Stop the background jobs; their tasks stay recorded as running."""
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job

    def _spawn(self, task: Task) -> None:
        job = asyncio.create_task(self._advance(task), name=f"dms-task-{task.id}")
        self._jobs[task.id] = job
        job.add_done_callback(lambda _: self._forget(task.id))

    def _forget(self, task_id: str) -> None:
        self._jobs.pop(task_id, None)
        self._wakeups.pop(task_id, None)

    async def _advance(self, task: Task) -> None:
        steps = self.config.task_steps
        step_seconds = self.config.task_seconds / steps
        wakeup = self._wakeups.setdefault(task.id, asyncio.Event())
        while task.failMessage is None:
            done_steps = task.percent * steps // 100
            if done_steps >= steps - 1:
                # The last step ends the task instead of raising percent.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), timeout=step_seconds)
                break
            # Simulated work: the wait ends early when the control API fails the task.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=step_seconds)
            wakeup.clear()
            if task.failMessage is not None:
                break
            task.percent = (done_steps + 1) * 100 // steps
            self.store.save()
        await self._finish(task)

    async def _finish(self, task: Task) -> None:
        if task.failMessage is not None:
            self._fail(task, task.failMessage, task.failStatus or TASK_FAILED, "INJECTED_FAILURE")
            return
        try:
            await operations.complete(self.store, self.backends, task)
        except BackendError as error:
            self._fail(task, str(error), TASK_FAILED, "BACKEND_ERROR")
            return
        except Exception as error:
            logger.exception("task %s %s failed unexpectedly", task.id, task.taskType)
            self._fail(task, f"internal error: {type(error).__name__}", TASK_FAILED, "INTERNAL")
            return
        task.status = TASK_SUCCESS
        task.percent = 100
        task.secretParams = {}
        task.stateHistory.append(StateEntry(state=TASK_SUCCESS))
        self.store.save()
        logger.info("task %s %s succeeded", task.id, task.taskType)

    def _fail(self, task: Task, message: str, status: str, code: str) -> None:
        operations.revert(self.store, task)
        task.status = status
        task.secretParams = {}
        task.taskErrorInfo = TaskErrorInfo(errorMessage=message, errorCode=code)
        task.stateHistory.append(StateEntry(state=status, errorEvent=True))
        self.store.save()
        logger.warning("task %s %s ended with %s: %s", task.id, task.taskType, status, message)
