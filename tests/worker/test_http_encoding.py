"""The host's HTTP encodings (http_trigger.py) against the sources it cites; no worker process needed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.worker.http_trigger import (
    HttpCall,
    NotImitated,
    P,
    application_principal,
    http_request,
    http_response,
    route_values,
)

# What azure-functions-runtime 1.3.0 answers in WorkerInitResponse (the worker tier checks it against a live worker).
RUNTIME = {"RawHttpBodyBytes": "true", "TypedDataCollection": "true", "RpcHttpBodyOnly": "true",
           "WorkerStatus": "true", "RpcHttpTriggerMetadataRemoved": "true", "SharedMemoryDataTransfer": "true"}
QUOTE = {"name": "req", "type": "httpTrigger", "direction": "IN", "route": "contracts/{contract_number}/quote",
         "methods": ["POST"], "authLevel": "ANONYMOUS"}


def strings(data: dict[str, Any]) -> dict[str, str]:
    return {k: v.string for k, v in data.items() if v.WhichOneof("data") == "string"}


@pytest.mark.parametrize(("route", "path", "values"), [
    ("contracts/{contract_number}", "/api/contracts/WKR1", {"contract_number": "WKR1"}),
    ("contracts/{n:alpha}", "/API/Contracts/a%20b", {"n": "a b"}),  # literals ignore case; values are decoded
    ("contracts/{n?}", "/api/contracts", {}),
    ("{*route}", "/api/contracts/X/cancellation-quote", {"route": "contracts/X/cancellation-quote"}),
    ("{*route}", "/api", {}),
    ("contracts/{n}", "/api/contracts/X/more", None),
    ("contracts/{n}", "/api/dealers/X", None),
    ("contracts/{n}", "/contracts/X", None),
])
def test_route_values_follow_the_template_under_the_api_prefix(route: str, path: str,
                                                                values: dict[str, str] | None) -> None:
    assert route_values(route, path) == values


def test_a_request_as_the_host_encodes_it_for_the_python_worker() -> None:
    call = HttpCall("POST", "/api/contracts/WKR1/quote?code=k&b=1&b=2&empty=",
                    headers=[("Content-Type", "application/json"), ("Accept", "a/b"), ("accept", "c/d"),
                             ("X-Empty", ""), ("X-MS-CLIENT-PRINCIPAL", "forged")],
                    body=b'{"cancel_date": "2026-03-02", "odometer": 12345, "at": "2026-03-02T15:04:05.5Z",'
                         b' "flag": true, "nothing": null, "list": [1], "obj": {"a": 1}, "b": "from body"}',
                    principal=application_principal("client-1"))
    data, metadata = http_request(call, QUOTE, RUNTIME)
    http = data.http
    assert http.method == "POST"
    assert http.url == "https://fni-exchange.azurewebsites.net/api/contracts/WKR1/quote?code=k&b=1&b=2&empty="
    assert dict(http.query) == {"code": "k", "b": "1,2"}  # joined; the empty value left out
    assert dict(http.params) == {"contract_number": "WKR1"}
    headers = dict(http.headers)
    assert all(name == name.lower() for name in headers)
    assert headers["accept"] == "a/b,c/d" and headers["x-empty"] == "" and headers["content-length"] == "159"
    assert headers["host"] == "fni-exchange.azurewebsites.net"
    principal = json.loads(base64.b64decode(headers["x-ms-client-principal"]))  # the forged one was removed
    assert {"typ": "azp", "val": "client-1"} in principal["claims"]
    assert headers["x-ms-client-principal-idp"] == "aad"
    assert not http.nullable_headers and not http.nullable_query and not http.nullable_params
    assert http.body.WhichOneof("data") == "bytes"  # RawHttpBodyBytes, whatever the content type
    assert http.body.bytes == call.body
    assert not http.HasField("rawBody")  # RpcHttpBodyOnly
    (identity,) = http.identities
    assert identity.authentication_type.value == "aad"
    assert ("azp", "client-1") in [(c.type, c.value) for c in identity.claims]

    assert "$request" not in metadata and "req" not in metadata and "sys" not in metadata
    assert strings(metadata) == {"cancel_date": "2026-03-02", "odometer": "12345", "at": "03/02/2026 15:04:05",
                                 "flag": "True", "b": "2", "empty": "", "contract_number": "WKR1"}
    assert json.loads(metadata["obj"].json) == {"a": 1}
    assert json.loads(metadata["Query"].json) == {"code": "k", "b": "2", "empty": ""}
    assert json.loads(metadata["Headers"].json)["Accept"] == "a/b,c/d"  # names as sent


def test_without_raw_bytes_the_body_is_text_and_octet_streams_stay_bytes() -> None:
    text_worker = {k: v for k, v in RUNTIME.items() if k != "RawHttpBodyBytes"}
    json_call = HttpCall("POST", "/api/contracts/X/quote", headers=[("Content-Type", "application/json")],
                         body='{"reason": "é"}'.encode())
    assert http_request(json_call, QUOTE, text_worker)[0].http.body.string == '{"reason": "é"}'
    binary = HttpCall("POST", "/api/contracts/X/quote", headers=[("Content-Type", "application/octet-stream")],
                      body=b"\xff\x00")
    assert http_request(binary, QUOTE, text_worker)[0].http.body.bytes == b"\xff\x00"
    empty = HttpCall("POST", "/api/contracts/X/quote")
    assert not http_request(empty, QUOTE, RUNTIME)[0].http.HasField("body")  # only when Content-Length > 0


def test_newer_workers_get_the_nullable_maps_and_may_drop_empty_headers() -> None:
    call = HttpCall("POST", "/api/contracts/X/quote?e=", headers=[("X-Empty", "")])
    http = http_request(call, QUOTE, RUNTIME | {"UseNullableValueDictionaryForHttp": "true"})[0].http
    assert not http.query and not http.headers and not http.params
    assert http.nullable_query["e"].value == "" and http.nullable_params["contract_number"].value == "X"
    assert http.nullable_headers["x-empty"].value == ""
    dropped = http_request(call, QUOTE, RUNTIME | {"IgnoreEmptyValuedRpcHttpHeaders": "true"})[0].http
    assert "x-empty" not in dropped.headers and "host" in dropped.headers


@pytest.mark.parametrize(("call", "capabilities"), [
    (HttpCall("POST", "/api/contracts/X/quote"), RUNTIME | {"HttpUri": "http://127.0.0.1:5000"}),
    (HttpCall("POST", "/api/contracts/X/quote"), {k: v for k, v in RUNTIME.items() if k != "RpcHttpBodyOnly"}),
    (HttpCall("GET", "/api/contracts/X/quote"), RUNTIME),  # the host answers a method not allowed itself
    (HttpCall("POST", "/api/other/X"), RUNTIME),  # and a path no function's route matches
])
def test_what_is_not_imitated_says_so(call: HttpCall, capabilities: dict[str, str]) -> None:
    with pytest.raises(NotImitated):
        http_request(call, QUOTE, capabilities)


def test_the_response_is_the_returned_rpchttp() -> None:
    returned = P.TypedData(http=P.RpcHttp(status_code="404", headers={"content-type": "application/problem+json"},
                                          body=P.TypedData(bytes=b'{"status": 404}')))
    result = http_response(returned)
    assert (result.status, result.header("Content-Type"), result.json()) == (
        404, "application/problem+json", {"status": 404})
    assert http_response(P.TypedData(http=P.RpcHttp(status_code="x", body=P.TypedData(string="t")))).status == 200
    assert http_response(P.TypedData(string="plain")).body == b"plain"
    with pytest.raises(NotImitated):
        http_response(P.TypedData(string='{"body": "x", "status": 201}'))
    with pytest.raises(NotImitated):
        http_response(P.TypedData(http=P.RpcHttp(status_code="200", enable_content_negotiation=True,
                                                 body=P.TypedData(bytes=b"x"))))
