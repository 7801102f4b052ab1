"""`create_app(config)`: the simulator as an ASGI app (FastAPI)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dms_simulator import __version__, control
from dms_simulator.backends import BackendError, build_backends
from dms_simulator.config import SimulatorConfig
from dms_simulator.errors import DmsJSONResponse, install_error_handlers
from dms_simulator.faults import DroppedConnectionLogFilter, FaultMiddleware, FaultRegistry
from dms_simulator.lifecycle import TaskRunner
from dms_simulator.requestlog import RequestLog, RequestLogMiddleware
from dms_simulator.routes import build_router
from dms_simulator.runtime import Simulator
from dms_simulator.store import Store

logger = logging.getLogger("dms_simulator")


class StartupError(RuntimeError):
    """The simulator cannot start with this configuration."""


def _quiet_dropped_connections() -> None:
    server_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DroppedConnectionLogFilter) for f in server_logger.filters):
        server_logger.addFilter(DroppedConnectionLogFilter())


async def check_backends(simulator: Simulator) -> None:
    """Connect to each configured database server once; raise StartupError if one fails."""
    for backend in simulator.backends.values():
        try:
            await asyncio.to_thread(backend.check)
        except BackendError as error:
            raise StartupError(str(error)) from None
        logger.info("%s databases live on the %s", backend.engine, backend.describe())


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    """Build the simulator: load or seed its state and wire its routes.

    The backends are checked and unfinished tasks resumed when the app starts
    (ASGI lifespan)."""
    config = config or SimulatorConfig()
    store = Store.open(config)
    backends = build_backends(config)
    simulator = Simulator(
        config=config,
        store=store,
        backends=backends,
        runner=TaskRunner(config, store, backends),
        faults=FaultRegistry(),
        request_log=RequestLog(),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await check_backends(simulator)
        await simulator.runner.resume()
        yield
        await simulator.runner.shutdown()
        store.save()

    app = FastAPI(
        title="DMS simulator",
        description="A local stand-in for the Data Management for VMware Tanzu 1.0 REST API.",
        version=__version__,
        lifespan=lifespan,
        default_response_class=DmsJSONResponse,
    )
    app.state.simulator = simulator
    install_error_handlers(app)
    app.include_router(build_router())
    if config.enable_control_api:
        app.include_router(control.router)
    # The last middleware added runs first, so the request log records injected faults too.
    app.add_middleware(FaultMiddleware, registry=simulator.faults)
    app.add_middleware(RequestLogMiddleware, log=simulator.request_log)
    _quiet_dropped_connections()
    return app
