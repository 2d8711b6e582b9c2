"""Which caller a request comes from (spec/API.md "Who may ask").

In Azure, App Service authentication (Entra ID) sits in front of the app: it validates the bearer token and passes
its claims in `X-MS-CLIENT-PRINCIPAL`, base64 of `{"auth_typ", "claims": [{"typ", "val"}, ...], "name_typ",
"role_typ"}`; requests from outside cannot set that header (App Service removes it). Source:
https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities ("Decode the client principal
header"). An application calling with client credentials is named by the `azp` claim in v2.0 access tokens and
`appid` in v1.0 ones: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference.

Locally nothing sits in front, so the principal header could be forged: there the development identity
`X-Fnix-Dev-Client: <client id>` stands in, and the principal header is ignored. In Azure (WEBSITE_INSTANCE_ID is
set on every App Service instance) it is the other way round: the development header is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from function_app.domain.api.callers import Caller, CallerMap

PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"
DEV_HEADER = "X-Fnix-Dev-Client"
CLIENT_ID_CLAIMS = ("azp", "appid")  # v2.0 tokens, then v1.0
MAX_PRINCIPAL = 64 * 1024

Headers = Callable[[str], str | None]  # a case-insensitive header lookup


class NotAuthenticated(Exception):
    """No identity the app may trust: 401."""


class NotACaller(Exception):
    """An authenticated application that the caller map does not name: 403."""


def identify(header: Headers, callers: CallerMap, *, in_azure: bool) -> Caller:
    if in_azure:
        if header(DEV_HEADER) is not None:
            raise NotAuthenticated(f"the development identity ({DEV_HEADER}) is refused when the app runs in Azure")
        client_id = client_id_from_principal(header(PRINCIPAL_HEADER) or "")
        if client_id is None:
            raise NotAuthenticated("no Entra ID client application in the request; call with a bearer token")
    else:
        client_id = (header(DEV_HEADER) or "").strip()
        if not client_id:
            raise NotAuthenticated(f"locally, name a client id of the caller map in the {DEV_HEADER} header")
    caller = callers.get(client_id)
    if caller is None:
        raise NotACaller("this client application is not a caller of the API (API_CALLERS)")
    return caller


def client_id_from_principal(encoded: str) -> str | None:
    """The calling application's client id from App Service's principal header, or None when it names none."""
    if not encoded or len(encoded) > MAX_PRINCIPAL:
        return None
    try:
        principal = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    claims = principal.get("claims") if isinstance(principal, dict) else None
    if not isinstance(claims, list):
        return None
    found = {c.get("typ"): c.get("val") for c in claims if isinstance(c, dict)}
    for name in CLIENT_ID_CLAIMS:
        value = found.get(name)
        if isinstance(value, str) and value:
            return value
    return None
