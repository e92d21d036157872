"""``create_app(settings)``: the FastAPI application with 1NCE's error shapes everywhere.

Validation problems are 400s (never FastAPI's 422), unknown paths 404s and unexpected failures
500s, all with 1NCE's error bodies, so that no input can make the emulator answer in a shape the
real API would not use.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .delivery import DeliveryEngine, Sender
from .deps import EmulatorState
from .errors import ApiError, TokenError, error_response, status_phrase, validation_errors
from .faults import FaultStore
from .gateway import API_PREFIX, Gateway
from .journal import Journal
from .routes import admin, auth, webhooks
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)
THREADS = 200


class QuietErrors:
    """Outermost middleware: an unexpected exception becomes a 500 and is logged by type only.

    Starlette's handler for ``Exception`` answers and then re-raises, and uvicorn logs the whole
    traceback, whose messages could quote header values; here nothing escapes the application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("unexpected error while serving a request: %s", type(exc).__name__)
            if not started:
                await error_response(500, status_phrase(500))(scope, receive, send)


def create_app(settings: Settings, *, sender: Sender | None = None) -> FastAPI:
    """Build one emulator; ``sender`` replaces the HTTPS sender (for in-process tests)."""
    store = Store(settings.data_dir)
    faults = FaultStore()
    calls = Journal(limit=100_000)
    delivery = DeliveryEngine(store, settings, sender)
    state = EmulatorState(
        settings=settings, store=store, faults=faults, calls=calls, delivery=delivery
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Route handlers run in worker threads; test and restart may wait up to the delivery
        # timeout there, so allow more of them than the default 40 to keep the API responsive.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        delivery.start()
        try:
            yield
        finally:
            delivery.stop()
            store.close()

    app = FastAPI(
        title="1NCE Management API emulator",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/_emulator/openapi.json",
        docs_url=None,
        redoc_url=None,
        # 1NCE answers no redirects: a trailing slash is an unknown path (404), not a 307.
        redirect_slashes=False,
    )
    app.state.emulator = state

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(TokenError)
    async def _token_error(_request: Request, exc: TokenError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, errors=validation_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(404, f"No resource at {request.url.path}")
        if exc.status_code == 405:
            return error_response(
                405, f"Method {request.method} is not allowed here", headers=exc.headers
            )
        return error_response(exc.status_code, "Request failed")

    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(webhooks.router, prefix=API_PREFIX)
    app.include_router(admin.router)
    app.add_middleware(Gateway, faults=faults, calls=calls)
    app.add_middleware(QuietErrors)  # added last: outside the gateway, which logs the 500
    return app
