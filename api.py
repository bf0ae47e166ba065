"""The FastAPI app: settings, error handlers and the feature routers."""

from __future__ import annotations

import asyncio
import gc
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from approval.access.endpoints import router as keys_router
from approval.access.gate import RequestGate, checks_key
from approval.bundles.endpoints import router as bundles_router
from approval.catalog.endpoints import router as catalog_router
from approval.context import AppContext, build_context
from approval.deadlines.endpoints import router as deadlines_router
from approval.endpoints import check_adapters
from approval.errors import ApprovalError
from approval.feedback.endpoints import router as feedback_router
from approval.filings.worker import start_filing
from approval.intake.endpoints import audit_router
from approval.intake.endpoints import router as intake_router
from approval.licences.endpoints import router as licences_router
from approval.name_checks.endpoints import router as names_router
from approval.objections.endpoints import router as objections_router
from approval.openapi import Operation, complete
from approval.privacy import redact
from approval.problems import field_problems
from approval.review.endpoints import router as review_router
from approval.rules.endpoints import router as rules_router
from approval.rules.live import LiveRules
from approval.settings import Settings, get_settings
from approval.stats.endpoints import router as stats_router
from approval.supervision.dispatcher import start_dispatch
from approval.supervision.endpoints import router as supervision_router
from approval.verification.endpoints import metrics_router
from approval.verification.endpoints import router as data_access_router
from approval.verification.worker import start_verification

logger = logging.getLogger("miaopi")
PROBLEM_JSON = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"urn:miaopi:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _approval_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApprovalError)
    return problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)


async def _request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_problems(exc.errors())
    return problem(
        422,
        "invalid_request",
        "请求内容不符合要求",
        errors[0]["message"] if len(errors) == 1 else "请按提示修改后重新提交",
        errors=errors,
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "未找到", 405: "不支持该请求方法"}
    title = titles.get(exc.status_code, "请求有误")
    return problem(exc.status_code, f"http_{exc.status_code}", title, title)


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # nothing was promised: the applicant retries, and the Idempotency-Key makes that safe
    return problem(
        500,
        "internal_error",
        "服务内部错误",
        "服务出现错误，请稍后使用相同的 Idempotency-Key 重试",
    )


class _LogUnhandledErrors:
    """The outermost layer: each unhandled error is logged here, once, redacted.

    Starlette's ServerErrorMiddleware answers with the ``Exception`` handler's 500 and then
    re-raises for the server to log; uvicorn would log it again, unredacted ("Exception in ASGI
    application"). Here it ends: logged with its traceback redacted (exception messages quote
    applicants' data), and answered 500 if nothing was answered yet.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            logger.error(
                "unhandled error answering %s %s\n%s",
                scope["method"],
                scope["path"],
                redact("".join(traceback.format_exception(exc))).rstrip("\n"),
            )
            if not started:
                await (await _unexpected_error(Request(scope), exc))(scope, receive, send)


class _App(FastAPI):
    """FastAPI with ``_LogUnhandledErrors`` around everything, whatever middleware is added,
    and an OpenAPI document completed with what the routes alone do not say."""

    def build_middleware_stack(self) -> ASGIApp:
        return _LogUnhandledErrors(super().build_middleware_stack())

    _completed: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        document = super().openapi()  # written anew when routes were added
        if document is not self._completed:
            operations = [
                Operation(route.path_format, method.lower(), checks_key(route.dependant))
                for route in iter_route_contexts(self.routes)
                if isinstance(route.original_route, APIRoute)
                and route.include_in_schema
                and route.path_format is not None
                for method in route.methods or ()
            ]
            self._completed = complete(document, operations)
        return document


# Swagger UI and Redoc as a package ships them: the docs work without the internet
DOCS_ASSETS = "/docs-assets"
_DOCS_ASSETS_DIR = str(files("fastapi_offline") / "static")


def _add_docs(app: FastAPI) -> None:
    app.mount(DOCS_ASSETS, StaticFiles(directory=_DOCS_ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            # no badge fetched from the public validator
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} – API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


async def _checkpoint_regularly(context: AppContext, every_seconds: float = 1.0) -> None:
    """Fold the SQLite WAL back into the database outside the requests' commits.

    The bulk is copied on a worker thread while requests go on. Then the few pages written
    meanwhile are copied on the event loop, where no write of this process can run: the
    checkpoint completes, and the next write starts the WAL afresh instead of growing it.
    """
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await asyncio.to_thread(context.db.checkpoint)
            context.db.checkpoint()
        except Exception:  # a busy database is checkpointed next time
            logger.warning("WAL checkpoint skipped", exc_info=True)


class EchoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=0)
    text: str = Field(max_length=20)


def create_app(settings: Settings | None = None, context: AppContext | None = None) -> FastAPI:
    """The app; ``context`` lets tests bring their own adapters (e.g. unavailable registries)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = context or build_context(settings or get_settings())
        check_adapters(app.state.context)
        gc.collect()
        gc.freeze()  # the start-up heap never needs another full collection
        checkpoints = asyncio.create_task(_checkpoint_regularly(app.state.context))
        dispatch = start_dispatch(app.state.context)  # outbox → supervising departments
        # the active ruleset version lives in the database; every process follows it
        app.state.rules_live = LiveRules(app.state.context)
        app.state.rules_live.start()
        rules_poll = asyncio.create_task(
            app.state.rules_live.run(app.state.context.settings.rules_poll_seconds)
        )
        verification = start_verification(app.state.context)
        filing = start_filing(app.state.context)  # registrations → the market registry
        try:
            yield
        finally:
            if dispatch is not None:
                await dispatch.stop()
            if filing is not None:
                await filing.stop()
            await verification.stop()  # closes the registry clients, the filer's too
            checkpoints.cancel()
            rules_poll.cancel()
            app.state.rules_live.close()
            app.state.context.close()

    app = _App(
        title="Miaopi 秒批",
        version="0.1.0",
        description="个体工商户登记秒批：提交申请，当场得到决定与电子营业执照。",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    _add_docs(app)
    # authentication, media type and size are settled before a request body is read
    app.add_middleware(RequestGate)
    app.add_exception_handler(ApprovalError, _approval_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.include_router(intake_router)
    app.include_router(names_router)
    app.include_router(catalog_router)
    app.include_router(bundles_router)
    app.include_router(deadlines_router)
    app.include_router(feedback_router)
    app.include_router(stats_router)
    app.include_router(licences_router)
    app.include_router(supervision_router)
    app.include_router(review_router)
    app.include_router(objections_router)
    app.include_router(audit_router)
    app.include_router(rules_router)
    app.include_router(data_access_router)
    app.include_router(keys_router)
    app.include_router(metrics_router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        ruleset_version: str = app.state.context.ruleset.version
        return {"status": "ok", "ruleset_version": ruleset_version}

    @app.post("/v1/echo", tags=["operations"], include_in_schema=False)
    async def echo(body: EchoIn) -> dict[str, Any]:
        """A trivial endpoint: the baseline the submit path is benchmarked against."""
        return {"number": body.number, "text": body.text}

    return app
