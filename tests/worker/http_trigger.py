"""An HTTP request as the Functions host hands it to the worker, and the response as the host reads it back.

Sources, each read for the encoding next to it (commits as fetched on 2026-12-05):
- [rpchttp] Azure/azure-functions-host 89dc438, src/WebJobs.Script.Grpc/MessageExtensions/
  GrpcMessageConversionExtensions.cs (`ToRpcHttp`, `PopulateBody`, `PopulateHttpRouteDataAsParams`): `url` is
  `{http|https}://{Host}{Path}{QueryString}`; `method` as sent; `query` one entry per name with the values joined by
  commas (`StringValues.ToString()`), empty values left out; `headers` with names lower-cased and values joined by
  commas, empty values kept unless the worker declares `IgnoreEmptyValuedRpcHttpHeaders`; the `nullable_query`,
  `nullable_headers`, `nullable_params` maps instead when it declares `UseNullableValueDictionaryForHttp`; `params`
  the route values; `identities` one RpcClaimsIdentity per identity of the request's principal; the body only when
  Content-Length > 0, and, for a worker that declares `RpcHttpBodyOnly`, as `bytes` when it declares
  `RawHttpBodyBytes` (or the content type is octet-stream or multipart) and as `string` otherwise, `rawBody` unset.
  A worker that declares `HttpUri` (HTTP streaming) gets an empty RpcHttp and the request over HTTP: not imitated.
- [capabilities] azure-functions-runtime 1.3.0 (the pinned worker library), `handle_event.worker_init_request`:
  RawHttpBodyBytes, TypedDataCollection, RpcHttpBodyOnly, RpcHttpTriggerMetadataRemoved, no nullable maps, no
  IgnoreEmptyValuedRpcHttpHeaders, HttpUri only with the HTTP streaming extension. The encoder reads the
  capabilities the worker actually answered (`WorkerHost.capabilities`), so a new worker version shows here.
- [metadata] same host commit, src/WebJobs.Script.Grpc/Extensions/ScriptInvocationContextExtensions.cs
  (`ShouldSkipBindingData`): with RpcHttpTriggerMetadataRemoved the request itself (`$request`, and `req`) is
  left out of the trigger metadata, and `sys` always; Azure/azure-webjobs-sdk-extensions 2e7550f,
  src/WebJobs.Extensions.Http/HttpTriggerAttributeBindingProvider.cs (`GetRequestBindingData`) and Utility.cs
  (`ApplyBindingData`): the rest, case-insensitively keyed, in this order: a JSON object body's top-level
  properties (objects as `json`, arrays and nulls left out, everything else as the string Newtonsoft's `(string)`
  gives: integers as written, other numbers approximately, booleans `True`/`False`, ISO date-times with seconds
  as `MM/dd/yyyy HH:mm:ss`), then the query parameters (last value wins, `code` left out), then the route
  values, then `Query` and `Headers` as JSON objects (header names as sent). The worker's HttpRequestConverter
  ignores all of it; it is here so that a function that read it would see what Azure sends.
- [identity] host src/WebJobs.Script.WebHost/Security/Authentication/Keys/AuthenticationLevelHandler.cs: with App
  Service authentication on and no function key, the principal is the Easy Auth identity alone, decoded from
  `x-ms-client-principal` (webjobs-sdk-extensions src/WebJobs.Extensions.Http/Extensions/HttpRequestExtensions.cs
  `GetAppServiceIdentity`: `{"auth_typ", "claims": [{"typ", "val"}], "name_typ", "role_typ"}`). The headers App
  Service authentication adds (X-MS-CLIENT-PRINCIPAL, -ID, -NAME, -IDP; anything a client sent under those names
  is removed): learn.microsoft.com/azure/app-service/configure-authentication-user-identities. Without an
  identity the host sends none (ASP.NET's default anonymous identity is not imitated).
- [routes] the function's `route` in its httpTrigger binding under host.json's `extensions.http.routePrefix`
  (default `api`); ASP.NET Core route templates: `{name}`, `{name:constraint}`, `{name?}`, `{*name}`; values are
  the decoded path segments.
- [response] host src/WebJobs.Script.Grpc/MessageExtensions/GrpcMessageExtensionUtilities.cs
  (`ConvertFromHttpMessageToExpando`) and src/WebJobs.Script/Binding/Http/HttpBinding.cs (`CreateResult`,
  `TryParseStatusCode`): the `$return` (or named `http` output) RpcHttp's `status_code` parsed as an integer
  (200 when it does not parse), its headers as they are, its body's bytes or string written raw
  (`enable_content_negotiation` false, as azure.functions always sends). azure.functions' HttpResponseConverter
  encodes a body always as `bytes`; a function returning a bare `str` gets `string` and status 200.
- [asgi] azure.functions 2.3.0 `_http_asgi.py` (AsgiMiddleware, AsgiRequest from WsgiRequest): the ASGI scope's
  path and query string come from `url`, headers from `headers` (lower-cased names), `scheme` from the URL, the
  body from the body datum's bytes; the app's response start and body become an HttpResponse with its status
  and headers: so what the ASGI app sees is exactly this RpcHttp.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.worker import rpc

P: Any = rpc.load()
APP_HOST = "fni-exchange.azurewebsites.net"
ROUTE_PREFIX = "api"  # host.json has no extensions.http.routePrefix: the default
_DOTNET_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_PARAMETER = re.compile(r"\{(\*{0,2})([A-Za-z_][A-Za-z0-9_]*)(:[^}?=]*)?(\?)?\}")


class NotImitated(NotImplementedError):
    """The host would do something here that this module does not imitate; a test must not rely on a guess."""


@dataclass(frozen=True)
class EasyAuthPrincipal:
    """The identity App Service authentication found in a valid bearer token, as it passes it on [identity]."""

    claims: Sequence[tuple[str, str]]
    auth_typ: str = "aad"
    name_typ: str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    role_typ: str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"

    def header(self) -> str:
        body = {"auth_typ": self.auth_typ, "claims": [{"typ": t, "val": v} for t, v in self.claims],
                "name_typ": self.name_typ, "role_typ": self.role_typ}
        return base64.b64encode(json.dumps(body, separators=(",", ":")).encode("utf-8")).decode("ascii")

    def headers(self) -> dict[str, str]:
        """The four X-MS-CLIENT-PRINCIPAL headers; -ID is the token's `oid`, -NAME its name claim (if any)."""
        found = dict(self.claims)
        oid = found.get("http://schemas.microsoft.com/identity/claims/objectidentifier", found.get("oid", ""))
        name = found.get(self.name_typ) or found.get("name") or ""
        headers = {"X-MS-CLIENT-PRINCIPAL": self.header(), "X-MS-CLIENT-PRINCIPAL-IDP": self.auth_typ,
                   "X-MS-CLIENT-PRINCIPAL-ID": oid}
        if name:
            headers["X-MS-CLIENT-PRINCIPAL-NAME"] = name
        return headers


def application_principal(client_id: str, *, tenant_id: str = "72f988bf-0000-4000-8000-2d7cd011db47",
                          object_id: str = "5b0d4c3e-0000-4000-8000-6a2f1e9d7c11", version: str = "2.0",
                          audience: str = "api://fni-exchange") -> EasyAuthPrincipal:
    """A client-credentials (app-only) access token's claims: `azp` names the application in v2.0 tokens, `appid`
    in v1.0 ones (learn.microsoft.com/entra/identity-platform/access-token-claims-reference); App Service passes
    `oid` and `tid` under their long claim-type URIs."""
    client = ("azp", client_id) if version == "2.0" else ("appid", client_id)
    return EasyAuthPrincipal(claims=[
        ("aud", audience), ("iss", f"https://login.microsoftonline.com/{tenant_id}/v2.0"), client,
        ("http://schemas.microsoft.com/identity/claims/objectidentifier", object_id),
        ("http://schemas.microsoft.com/identity/claims/tenantid", tenant_id), ("ver", version),
    ])


@dataclass(frozen=True)
class HttpCall:
    """One request as it arrives at the host: after TLS, after App Service authentication added its headers."""

    method: str
    target: str  # path and query as on the request line, e.g. /api/contracts/X?verbose=1
    headers: Sequence[tuple[str, str]] = ()  # as sent, repeated names allowed
    body: bytes = b""
    principal: EasyAuthPrincipal | None = None
    host: str = APP_HOST
    https: bool = True

    def all_headers(self) -> list[tuple[str, str]]:
        replaced = ("host", "content-length")  # the connection's own; App Service removes the principal headers sent
        sent = [(k, v) for k, v in self.headers
                if k.lower() not in replaced and not k.lower().startswith("x-ms-client-principal")]
        extra = list(self.principal.headers().items()) if self.principal else []
        length = [("Content-Length", str(len(self.body)))] if self.body else []
        return [("Host", self.host), *sent, *length, *extra]


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def http_binding(raw_bindings: Sequence[str]) -> dict[str, Any]:
    """The function's httpTrigger binding from the metadata the worker reported."""
    (trigger,) = [b for b in map(json.loads, raw_bindings) if b.get("type") == "httpTrigger"]
    return dict(trigger)


def route_values(route: str, path: str, prefix: str = ROUTE_PREFIX) -> dict[str, str] | None:
    """[routes] The values of `route` matched against a request path, or None when it does not match."""
    template = [s for s in f"{prefix}/{route}".split("/") if s]
    segments = [unquote(s) for s in path.split("/") if s]
    values: dict[str, str] = {}
    for i, part in enumerate(template):
        parameter = _PARAMETER.fullmatch(part)
        if parameter is None:
            if "{" in part:
                raise NotImitated(f"route segment {part!r}: only whole-segment parameters are imitated")
            if i >= len(segments) or segments[i].lower() != part.lower():
                return None
            continue
        catch_all, name, _constraint, optional = parameter.groups()
        if catch_all:
            if i < len(segments):
                values[name] = "/".join(segments[i:])
            return values
        if i >= len(segments):
            if optional:
                continue
            return None
        values[name] = segments[i]
    return values if len(segments) <= len(template) else None  # a missing segment was optional


def _joined(pairs: Sequence[tuple[str, str]], *, lower: bool) -> dict[str, str]:
    """One entry per name, values joined with commas (StringValues.ToString()); names compared case-insensitively,
    kept as first sent unless lower-cased."""
    out: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        key = names.setdefault(name.lower(), name.lower() if lower else name)
        out.setdefault(key, []).append(value)
    return {k: ",".join(v) for k, v in out.items()}


def _newtonsoft_string(value: object) -> str | None:
    """[metadata] `(string)JToken` of a JSON property value as JObject.Parse read it; None when it is left out."""
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str) and _DOTNET_ISO.fullmatch(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is not None:  # RoundtripKind: UTC stays UTC, an offset becomes the host's local time (UTC)
            moment = moment.astimezone(UTC)
        return moment.strftime("%m/%d/%Y %H:%M:%S")
    return value if isinstance(value, str) else json.dumps(value)


class _Metadata(dict[str, Any]):
    """A binding data dictionary with OrdinalIgnoreCase keys: a later key replaces the value, keeps the first name."""

    def put(self, key: str, value: Any) -> None:
        existing = next((k for k in self if k.lower() == key.lower()), key)
        self[existing] = value

    def has(self, key: str) -> bool:
        return any(k.lower() == key.lower() for k in self)


def http_request(call: HttpCall, binding: Mapping[str, Any], capabilities: Mapping[str, str],
                 prefix: str = ROUTE_PREFIX) -> tuple[Any, dict[str, Any]]:
    """[rpchttp] The trigger's TypedData and [metadata] its trigger metadata, for a worker with `capabilities`."""
    if capabilities.get("HttpUri"):
        raise NotImitated("the worker asks for HTTP streaming (HttpUri): the host would proxy the request over HTTP")
    if not capabilities.get("RpcHttpBodyOnly") or not capabilities.get("RpcHttpTriggerMetadataRemoved"):
        raise NotImitated("only workers declaring RpcHttpBodyOnly and RpcHttpTriggerMetadataRemoved are imitated")
    methods = [m.upper() for m in binding.get("methods") or []]
    if methods and call.method.upper() not in methods:
        raise NotImitated(f"{call.method} is not among the function's methods {methods}: the host answers 404 itself")
    parts = urlsplit(call.target)
    route = route_values(str(binding.get("route") or binding["name"]), parts.path, prefix)
    if route is None:
        raise NotImitated(f"{parts.path} does not match the function's route: the host answers 404 itself")
    nullable = bool(capabilities.get("UseNullableValueDictionaryForHttp"))
    query_pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = _joined(query_pairs, lower=False)
    headers = _joined(call.all_headers(), lower=True)
    http = P.RpcHttp(method=call.method, url=f"{'https' if call.https else 'http'}://{call.host}{call.target}")
    if nullable:
        for target, values in ((http.nullable_query, query), (http.nullable_headers, headers),
                               (http.nullable_params, route)):
            for key, value in values.items():
                target[key].CopyFrom(P.NullableString(value=value))
    else:
        http.query.update({k: v for k, v in query.items() if v})
        skip_empty = bool(capabilities.get("IgnoreEmptyValuedRpcHttpHeaders"))
        http.headers.update({k: v for k, v in headers.items() if v or not skip_empty})
        http.params.update(route)
    if call.principal is not None:
        p = call.principal
        http.identities.append(P.RpcClaimsIdentity(
            authentication_type=P.NullableString(value=p.auth_typ), name_claim_type=P.NullableString(value=p.name_typ),
            role_claim_type=P.NullableString(value=p.role_typ),
            claims=[P.RpcClaim(type=t, value=v) for t, v in p.claims]))
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if call.body:
        as_bytes = (capabilities.get("RawHttpBodyBytes") or content_type == "application/octet-stream"
                    or content_type.startswith("multipart/"))
        http.body.CopyFrom(P.TypedData(bytes=call.body) if as_bytes else
                           P.TypedData(string=call.body.decode("utf-8", errors="replace")))
    return P.TypedData(http=http), _trigger_metadata(call, query_pairs, route)


def _trigger_metadata(call: HttpCall, query_pairs: Sequence[tuple[str, str]],
                      route: Mapping[str, str]) -> dict[str, Any]:
    data = _Metadata()
    text = call.body.decode("utf-8", errors="replace").strip()
    if call.body and ((text.startswith("{") and text.endswith("}")) or (text.startswith("[") and text.endswith("]"))):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None  # "it's not an error if the incoming message isn't JSON"
        if isinstance(parsed, dict):
            for key, value in parsed.items():
                if isinstance(value, dict):
                    data.put(key, P.TypedData(json=json.dumps(value, separators=(",", ":"))))
                elif (converted := _newtonsoft_string(value)) is not None:
                    data.put(key, P.TypedData(string=converted))
    last = {k: v for k, v in query_pairs}  # GetQueryParameterDictionary: the last value wins
    for key, value in last.items():
        if key.lower() != "code":
            data.put(key, P.TypedData(string=value))
    for key, value in route.items():
        data.put(key, P.TypedData(string=value))
    if not data.has("Query"):
        data.put("Query", P.TypedData(json=json.dumps(last, separators=(",", ":"))))
    if not data.has("Headers"):
        headers = _joined(call.all_headers(), lower=False)
        data.put("Headers", P.TypedData(json=json.dumps(headers, separators=(",", ":"))))
    return dict(data)


def http_response(data: Any) -> HttpResult:
    """[response] What the caller receives for the function's `$return` or named http output."""
    kind = data.WhichOneof("data")
    if kind == "string":
        try:
            parsed = json.loads(data.string)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and any(k.lower() == "body" for k in parsed):
            raise NotImitated("a string that reads as a response object: the host would take its body and status")
        return HttpResult(200, {}, data.string.encode("utf-8"))
    if kind != "http":
        raise NotImitated(f"an http output encoded as {kind}")
    http = data.http
    if http.enable_content_negotiation:
        raise NotImitated("content negotiation: the host would format the body itself")
    body_kind = http.body.WhichOneof("data") if http.HasField("body") else None
    if body_kind == "bytes":
        body = bytes(http.body.bytes)
    elif body_kind == "string":
        body = http.body.string.encode("utf-8")
    else:
        raise NotImitated(f"a response body encoded as {body_kind}")
    try:
        status = int(http.status_code)
    except ValueError:
        status = 200
    return HttpResult(status, dict(http.headers), body)


def call_http(host: Any, name: str, call: HttpCall) -> HttpResult:
    """Invokes the HTTP function `name` of a started WorkerHost with `call`, as the host would, and returns what
    the caller receives. The function failing is an AssertionError: the host would answer 500 with no body."""
    function = host.functions[name]
    binding = http_binding(function.raw_bindings)
    data, metadata = http_request(call, binding, host.capabilities)
    result = host.invoke(name, {binding["name"]: data}, metadata)
    assert result.succeeded, result.exception + host.stderr()
    outputs = {k: v for k, v in result.outputs.items() if k == "$return" or v.WhichOneof("data") == "http"}
    (response,) = outputs.values()
    return http_response(response)
