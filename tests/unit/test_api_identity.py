"""Who may ask the API: the caller map checked at start-up, and the identity of a request in Azure and locally."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from function_app.config import DEFAULT_API_CALLERS, ConfigError, load_settings
from function_app.domain.api.callers import Caller, CallerKind, CallerMapError, parse_callers
from function_app.domain.api.identity import (
    DEV_HEADER,
    PRINCIPAL_HEADER,
    Headers,
    NotACaller,
    NotAuthenticated,
    client_id_from_principal,
    identify,
)

CALLERS = parse_callers({"11111111-2222-3333-4444-555555555555": {"dealer_code": "D10442"},
                         "lender-app": {"lienholder_code": "FPCU"}})


def principal(*claims: tuple[str, str]) -> str:
    """The header as App Service writes it (learn.microsoft.com, "Decode the client principal header")."""
    body = {"auth_typ": "aad", "claims": [{"typ": t, "val": v} for t, v in claims], "name_typ": "name",
            "role_typ": "roles"}
    return base64.b64encode(json.dumps(body).encode()).decode()


def headers(**values: str) -> dict[str, str]:
    return {k.replace("_", "-").lower(): v for k, v in values.items()}


def lookup(given: dict[str, str]) -> Headers:
    return lambda name: given.get(name.lower())


def test_the_map_gives_each_client_one_dealer_or_lienholder() -> None:
    assert CALLERS["lender-app"] == Caller("lender-app", CallerKind.LENDER, "FPCU")
    assert CALLERS["11111111-2222-3333-4444-555555555555"].dealer_code == "D10442"


@pytest.mark.parametrize(("raw", "named"), [
    ({"app-1": {"dealer_code": "D10442", "lienholder_code": "FPCU"}}, "app-1: give exactly one"),
    ({"app-2": {}}, "app-2: give exactly one"),
    ({"app-3": {"dealer_code": "d1"}}, "app-3: dealer_code must match"),
    ({"app-4": {"lienholder_code": 7}}, "app-4: lienholder_code must match"),
    ({"app-5": {"dealer": "D10442"}}, "app-5: unknown field 'dealer'"),
    ({"app-6": "D10442"}, "app-6: expected an object"),
    ({"bad id\n": {"dealer_code": "D10442"}}, "client id 'bad id\\n'"),
    ([], "expected a JSON object"),
])
def test_a_mistake_in_the_map_names_the_client_id_and_field(raw: object, named: str) -> None:
    with pytest.raises(CallerMapError, match=re.escape(named)):
        parse_callers(raw)


def test_start_up_refuses_a_wrong_caller_file_naming_the_setting(tmp_path: Path) -> None:
    wrong = tmp_path / "callers.json"
    wrong.write_text(json.dumps({"app-1": {"dealer_code": "D10442", "lienholder_code": "FPCU"}}))
    with pytest.raises(ConfigError, match=r"API_CALLERS .*app-1: give exactly one"):
        load_settings({"API_CALLERS": str(wrong)})
    with pytest.raises(ConfigError, match="API_CALLERS: cannot read"):
        load_settings({"API_CALLERS": str(tmp_path / "absent.json")})


def test_the_shipped_file_maps_development_callers_and_azure_is_recognised() -> None:
    settings = load_settings({})
    assert DEFAULT_API_CALLERS.exists()
    assert settings.api_callers["dev-dealer-d10442"].dealer_code == "D10442"
    assert not settings.in_azure
    assert load_settings({"WEBSITE_INSTANCE_ID": "abc123"}).in_azure


def test_in_azure_the_caller_is_the_application_named_in_the_principal() -> None:
    for claim in ("azp", "appid"):
        given = headers(**{PRINCIPAL_HEADER: principal(("aud", "api://x"), (claim, "lender-app"))})
        assert identify(lookup(given), CALLERS, in_azure=True).code == "FPCU"


def test_in_azure_the_development_identity_is_refused() -> None:
    given = headers(**{DEV_HEADER: "lender-app", PRINCIPAL_HEADER: principal(("azp", "lender-app"))})
    with pytest.raises(NotAuthenticated, match="refused"):
        identify(lookup(given), CALLERS, in_azure=True)


def test_locally_the_principal_header_is_not_trusted_and_the_development_identity_is() -> None:
    with pytest.raises(NotAuthenticated):
        identify(lookup(headers(**{PRINCIPAL_HEADER: principal(("azp", "lender-app"))})), CALLERS, in_azure=False)
    assert identify(lookup(headers(**{DEV_HEADER: "lender-app"})), CALLERS, in_azure=False).code == "FPCU"


def test_an_application_outside_the_map_is_not_a_caller() -> None:
    with pytest.raises(NotACaller):
        identify(lookup(headers(**{DEV_HEADER: "someone-else"})), CALLERS, in_azure=False)
    with pytest.raises(NotACaller):
        identify(lookup(headers(**{PRINCIPAL_HEADER: principal(("azp", "other"))})), CALLERS, in_azure=True)


@pytest.mark.parametrize("encoded", ["", "not base64!", base64.b64encode(b"[1]").decode(),
                                     base64.b64encode(b'{"claims": "x"}').decode(), principal(("oid", "u1"))])
def test_a_principal_without_a_client_application_names_nobody(encoded: str) -> None:
    assert client_id_from_principal(encoded) is None
    with pytest.raises(NotAuthenticated):
        identify(lookup(headers(**{PRINCIPAL_HEADER: encoded})), CALLERS, in_azure=True)
