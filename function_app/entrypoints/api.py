"""The dealer and lender API (spec/API.md): HTTP triggers handing each request to the ASGI app
(`adapters/api/app.py`) through the Functions ASGI integration.

Auth level ANONYMOUS: in Azure, App Service authentication (Entra ID) sits in front of the app and passes the caller
in `X-MS-CLIENT-PRINCIPAL` (`domain/api/identity.py`); a function key would add nothing. FastAPI loads on the
first request, not at indexing, so the app's cold start stays where it was."""

from __future__ import annotations

import functools

import azure.functions as func

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


@functools.cache
def middleware() -> func.AsgiMiddleware:
    from function_app.adapters.api.app import create_app
    from function_app.bootstrap import exchange

    settings = exchange().settings
    app = create_app(lambda: exchange().api, settings.api_callers, in_azure=settings.in_azure)
    return func.AsgiMiddleware(app)  # type: ignore[no-untyped-call]


@blueprint.function_name("api_contracts")
@blueprint.route(route="contracts/{*path}", methods=[func.HttpMethod.GET, func.HttpMethod.POST],
                 auth_level=func.AuthLevel.ANONYMOUS)
async def api_contracts(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    response: func.HttpResponse = await middleware().handle_async(req, context)
    return response


@blueprint.function_name("api_openapi")
@blueprint.route(route="openapi.json", methods=[func.HttpMethod.GET], auth_level=func.AuthLevel.ANONYMOUS)
async def api_openapi(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    response: func.HttpResponse = await middleware().handle_async(req, context)
    return response
