"""The web console for auditors, operators and the centre head, served by the API process under
`/console`: server-rendered pages in Russian, their stylesheet shipped in the
package, nothing from a CDN and no script or style inline, so that a strict
Content-Security-Policy holds on every response under `/console`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.console import bulk, incidents, operations
from api.console.pages import PageError, build_router, day, role_title, when
from api.console.session import CsrfError, SignedOutError, forget

PREFIX = "/console"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would send `Origin: null`
    (b"cache-control", b"no-store"),
]
"""Sent with every console response (its pages show what only the signed-in may see)."""


class ConsoleHeaders:
    """ASGI middleware: the console's security headers on every response under `/console`
    (the pages, the stylesheet, the redirects and every error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + HEADERS
            await send(message)

        await self.app(scope, receive, sending)


def install(app: FastAPI) -> None:
    """Serve the console on `app`: its pages, its stylesheet and its headers."""
    templates = Environment(
        loader=PackageLoader("api.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.globals["role_title"] = role_title
    templates.filters["when"] = when
    templates.filters["day"] = day
    app.state.console_templates = templates

    async def signed_out(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignedOutError)
        response = RedirectResponse(f"{PREFIX}/login?reason={error.reason}", 303)
        forget(response, request)
        return response

    async def refused(_request: Request, _error: Exception) -> Response:
        message = "Форма отклонена: она отправлена не со страницы консоли (нет метки CSRF)."
        html = templates.get_template("error.html").render(message=message, session=None)
        return HTMLResponse(html, status_code=403)

    async def failed(_request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        html = templates.get_template("error.html").render(message=error.message, session=None)
        return HTMLResponse(html, status_code=error.status)

    app.add_exception_handler(SignedOutError, signed_out)
    app.add_exception_handler(CsrfError, refused)
    app.add_exception_handler(PageError, failed)
    static = StaticFiles(packages=[("api.console", "static")])
    app.mount(f"{PREFIX}/static", static, name="console-static")
    router = build_router()
    operations.add_routes(router)
    bulk.add_routes(router)
    incidents.add_routes(router)
    app.include_router(router)
    app.add_middleware(ConsoleHeaders)
