"""Partners are configuration: the checked-in example, and a message for each kind of mistake that names the file,
the partner, the feed and the key."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from function_app.adapters.kernel.partner_config_file import PartnerConfigError, load_partner_config
from function_app.domain.delivery.records import PiiLevel
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.partner_values import iso_duration
from function_app.domain.kernel.partners import FeedFilter, PartnerConfig, partner

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "partners.json"
Config = dict[str, Any]


def feed(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "facts": ["contracts"],
        "filter": {"oems": ["TOYOTA"]},
        "format": "csv",
        "fields": ["contract_number", "product_type", "vin", "retail_price"],
        "pii": "masked",
        "sla": "P1D",
        **changes,
    }


def base_config() -> Config:
    """Mistakes are made in the second partner, so messages must name it by id, not by position."""
    return {
        "schema_version": 1,
        "partners": [
            {"id": "adm-01", "name": "Administrator ADM-01", "kind": "ADMINISTRATOR", "feeds": [feed("nightly")]},
            {
                "id": "oem-toyota",
                "name": "Toyota",
                "kind": "OEM",
                "feeds": [feed("nightly-contracts"), feed("cancellations", facts=["cancellations"])],
            },
        ],
    }


def toyota(config: Config) -> dict[str, Any]:
    partner_: dict[str, Any] = config["partners"][1]
    return partner_


def toyota_feed(config: Config) -> dict[str, Any]:
    feed_: dict[str, Any] = toyota(config)["feeds"][0]
    return feed_


def written(tmp_path: Path, config: Config) -> Path:
    path = tmp_path / "partners.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_the_example_file_loads_with_a_feed_of_every_kind_of_partner() -> None:
    config = load_partner_config(EXAMPLE)

    kinds = {p.id: p.kind for p in config.partners}
    assert kinds == {
        "oem-toyota": "OEM",
        "oem-honda": "OEM",
        "adm-01": "ADMINISTRATOR",
        "adm-02": "ADMINISTRATOR",
        "lender-fpcu": "LENDER",
    }
    feeds = {(p.id, f.name): (f.format, f.pii, f.mode) for p in config.partners for f in p.feeds}
    assert feeds == {
        ("oem-toyota", "nightly-contracts"): ("csv", PiiLevel.MASKED, "daily"),
        ("oem-honda", "nightly-contracts"): ("jsonl", PiiLevel.MASKED, "daily"),
        ("adm-01", "nightly-contracts"): ("fixed", PiiLevel.FULL, "daily"),
        ("adm-02", "intraday-contracts"): ("csv", PiiLevel.FULL, "micro"),
        ("lender-fpcu", "nightly-cancellations"): ("csv", PiiLevel.NONE, "daily"),
    }


def test_the_example_feeds_are_filtered_to_their_partners_business() -> None:
    config = load_partner_config(EXAMPLE)

    assert partner(config, "oem-toyota").feeds[0].filter == FeedFilter(oems=["TOYOTA"])
    assert partner(config, "oem-honda").feeds[0].filter == FeedFilter(oems=["HONDA", "ACURA"])
    assert partner(config, "adm-01").feeds[0].filter == FeedFilter(administrators=["ADM-01"])
    assert partner(config, "adm-02").feeds[0].filter == FeedFilter(administrators=["ADM-02"])
    assert partner(config, "lender-fpcu").feeds[0].filter == FeedFilter(lienholder_codes=["FPCU"])


def test_the_example_micro_batch_feed_has_its_sla_and_size_trigger() -> None:
    intraday = partner(load_partner_config(EXAMPLE), "adm-02").feeds[0]

    assert (intraday.sla, intraday.sla_timedelta, intraday.cut_at_records) == ("PT15M", timedelta(minutes=15), 500)
    assert partner(load_partner_config(EXAMPLE), "adm-01").feeds[0].cut_at_records == 5000


def test_the_example_feeds_receive_the_journal_kinds_of_their_facts() -> None:
    config = load_partner_config(EXAMPLE)

    contracts_and_cancellations = {"CONTRACT_ACCEPTED", "CONTRACT_REVISED", "CONTRACT_CANCELLED"}
    assert partner(config, "oem-toyota").feeds[0].fact_kinds == contracts_and_cancellations
    assert partner(config, "lender-fpcu").feeds[0].fact_kinds == {FactKind.CONTRACT_CANCELLED}


def test_the_lender_gets_refunds_and_payee_but_no_customer_fields() -> None:
    lender = partner(load_partner_config(EXAMPLE), "lender-fpcu").feeds[0]

    assert {"customer_refund", "payee", "cancel_date"} <= set(lender.fields)
    assert not [name for name in lender.fields if name.startswith("customer_") and name != "customer_refund"]


def test_back_office_and_claims_facts_map_to_their_kinds() -> None:
    config = base_config()
    toyota_feed(config)["facts"] = ["status_changes", "claims"]

    loaded = PartnerConfig.model_validate(config)

    assert loaded.partners[1].feeds[0].fact_kinds == {"STATUS_CHANGED", "CLAIM_PAID", "CLAIM_SUBMITTED"}


def test_a_filter_by_product_type_loads_from_a_file(tmp_path: Path) -> None:
    config = base_config()
    toyota_feed(config)["filter"] = {"oems": ["TOYOTA"], "product_types": ["GAP", "TIRE_WHEEL"]}

    loaded = load_partner_config(written(tmp_path, config))

    assert loaded.partners[1].feeds[0].filter.product_types == [ProductType.GAP, ProductType.TIRE_WHEEL]


def test_a_partner_is_found_by_id_and_an_unknown_id_lists_the_known_ones() -> None:
    config = PartnerConfig.model_validate(base_config())

    assert partner(config, "oem-toyota").name == "Toyota"
    with pytest.raises(KeyError, match=r"no partner 'oem-honda'.*known partners: adm-01, oem-toyota"):
        partner(config, "oem-honda")


def _set(key: str, value: object) -> Callable[[Config], None]:
    return lambda config: toyota_feed(config).__setitem__(key, value)


FEED = "partner oem-toyota, feed nightly-contracts"
PII_NONE = "a feed with PII level 'none' cannot receive"


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        pytest.param(
            _set("cut_at_record", 100),
            f"{FEED}, cut_at_record: unknown key; did you mean 'cut_at_records'?",
            id="unknown key",
        ),
        pytest.param(
            _set("filter", {"oem": ["TOYOTA"]}),
            f"{FEED}, filter.oem: unknown key; did you mean 'oems'?",
            id="unknown filter key",
        ),
        pytest.param(
            lambda config: toyota(config).__setitem__("id", "OEM_Toyota"),
            "partners[1], id: expected 3-40 lower-case letters and digits with single hyphens between them, so that "
            "partner-<id> is a valid container name (^(?=.{3,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$), got 'OEM_Toyota'",
            id="bad id pattern",
        ),
        pytest.param(
            lambda config: toyota(config).__setitem__("id", "adm-01"),
            "partner adm-01, id: partners[1] has the same id as partners[0]; ids must be unique",
            id="duplicate partner id",
        ),
        pytest.param(
            lambda config: toyota(config)["feeds"][1].__setitem__("name", "nightly-contracts"),
            f"{FEED}, name: another feed of this partner is already named 'nightly-contracts'",
            id="duplicate feed name",
        ),
        pytest.param(
            _set("facts", ["contracts", "claims-paid"]),
            f"{FEED}, facts[1]: expected 'contracts', 'cancellations', 'status_changes' or 'claims', got 'claims-paid'",
            id="unknown fact type",
        ),
        pytest.param(
            _set("facts", ["contracts", "contracts"]),
            f"{FEED}, facts[1]: 'contracts' is listed twice",
            id="repeated fact type",
        ),
        pytest.param(
            _set("format", "xlsx"),
            f"{FEED}, format: expected 'csv', 'fixed' or 'jsonl', got 'xlsx'",
            id="unknown format",
        ),
        pytest.param(
            _set("fields", ["contract_number", "retail_prce"]),
            f"{FEED}, fields[1]: unknown field 'retail_prce'; did you mean 'retail_price'?",
            id="unknown field",
        ),
        pytest.param(
            _set("fields", ["contract_number", "vin", "contract_number"]),
            f"{FEED}, fields[2]: 'contract_number' is listed twice",
            id="repeated field",
        ),
        pytest.param(
            lambda config: toyota_feed(config).update(
                pii="none", fields=["contract_number", "vin", "customer_last_name", "customer_state"]
            ),
            f"{FEED}, fields: field 'customer_last_name' is name data, which {PII_NONE}; "
            f"field 'customer_state' is customer data, which {PII_NONE}; remove them, or choose pii 'masked'",
            id="personal field with pii none",
        ),
        pytest.param(
            _set("pii", "partial"),
            f"{FEED}, pii: expected 'full', 'masked' or 'none', got 'partial'",
            id="unknown pii level",
        ),
        pytest.param(
            _set("sla", "15 minutes"),
            f"{FEED}, sla: expected an ISO 8601 duration like PT15M or P1D, got '15 minutes'",
            id="bad sla text",
        ),
        pytest.param(
            _set("sla", "PT1M"),
            f"{FEED}, sla: expected a duration from PT5M to P1D, got 'PT1M'",
            id="sla too short",
        ),
        pytest.param(
            _set("sla", "P7D"),
            f"{FEED}, sla: expected a duration from PT5M to P1D, got 'P7D'",
            id="sla too long",
        ),
        pytest.param(
            lambda config: toyota_feed(config).update(sla="PT1H", cut_at_records=0),
            f"{FEED}, cut_at_records: expected at least 1, got 0",
            id="cut_at_records 0",
        ),
        pytest.param(
            _set("cut_at_records", 1000),
            f"{FEED}, cut_at_records: applies only to micro-batch feeds (sla shorter than P1D), and this feed's sla "
            "is P1D",
            id="size trigger on a daily feed",
        ),
        pytest.param(
            _set("cut_at_records", "5000"),
            f"{FEED}, cut_at_records: expected a valid integer, got '5000'",
            id="cut_at_records as text",
        ),
        pytest.param(
            _set("filter", {"product_types": ["VSC", "WARRANTY"]}),
            f"{FEED}, filter.product_types[1]: expected 'VSC', 'GAP', 'TIRE_WHEEL', 'PPM', 'APPEARANCE' or 'KEY', "
            "got 'WARRANTY'",
            id="unknown product type",
        ),
        pytest.param(
            _set("filter", {"oems": []}),
            f"{FEED}, filter.oems: an empty list matches nothing; leave the key out (or null) to receive all",
            id="empty filter list",
        ),
        pytest.param(
            _set("filter", {"oems": ["toyota"]}),
            f"{FEED}, filter.oems[0]: expected an upper-case code as events carry it, like TOYOTA "
            "(^[A-Z0-9][A-Z0-9_-]{0,39}$), got 'toyota'",
            id="lower-case brand code",
        ),
        pytest.param(
            lambda config: toyota_feed(config).pop("filter"),
            f"{FEED}, filter: required, but missing",
            id="missing filter",
        ),
        pytest.param(
            lambda config: toyota(config).__setitem__("feeds", []),
            "partner oem-toyota, feeds: must not be empty",
            id="empty feeds",
        ),
        pytest.param(
            lambda config: toyota(config).__setitem__("kind", "DEALER"),
            "partner oem-toyota, kind: expected 'OEM', 'ADMINISTRATOR' or 'LENDER', got 'DEALER'",
            id="unknown partner kind",
        ),
        pytest.param(
            lambda config: config.__setitem__("schema_version", True),
            "schema_version: expected 1, got true",
            id="schema_version true",
        ),
    ],
)
def test_a_mistake_is_named_by_file_partner_feed_and_key(
    tmp_path: Path, mistake: Callable[[Config], object], message: str
) -> None:
    config = base_config()
    mistake(config)
    path = written(tmp_path, config)

    with pytest.raises(PartnerConfigError) as error:
        load_partner_config(path)

    assert str(error.value) == f"{path}: {message}"


def test_several_mistakes_are_reported_together_one_per_line(tmp_path: Path) -> None:
    config = base_config()
    toyota_feed(config).update(sla="daily", format="xml")
    path = written(tmp_path, config)

    with pytest.raises(PartnerConfigError) as error:
        load_partner_config(path)

    assert str(error.value).splitlines() == [
        f"{path}: {FEED}, format: expected 'csv', 'fixed' or 'jsonl', got 'xml'",
        f"{path}: {FEED}, sla: expected an ISO 8601 duration like PT15M or P1D, got 'daily'",
    ]


ID_RULE = ("expected 3-40 lower-case letters and digits with single hyphens between them, so that partner-<id> is a "
           "valid container name (^(?=.{3,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$)")


@pytest.mark.parametrize("bad_id", ["oem--toyota", "oem-toyota-", "-oem-toyota", "oe", "a" * 41, "oem_toyota",
                                    "Oem-toyota", "oem-t\u00f6y\u00f6ta", "oem-toyota\n"])
def test_a_partner_id_that_is_not_a_valid_container_name_is_named(tmp_path: Path, bad_id: str) -> None:
    config = base_config()
    toyota(config)["id"] = bad_id
    path = written(tmp_path, config)
    with pytest.raises(PartnerConfigError) as error:
        load_partner_config(path)
    assert str(error.value) == f"{path}: partners[1], id: {ID_RULE}, got {bad_id!r}"


@pytest.mark.parametrize("good_id", ["oem", "a" * 40, "oem-toyota", "adm-01-east", "123"])
def test_partner_ids_that_make_valid_container_names_load(tmp_path: Path, good_id: str) -> None:
    config = base_config()
    toyota(config)["id"] = good_id
    assert load_partner_config(written(tmp_path, config)).partners[1].id == good_id
    container = f"partner-{good_id}"
    assert 3 <= len(container) <= 63 and "--" not in container and not container.endswith("-")


def test_an_administrator_code_held_by_two_partners_names_the_second_and_the_first(tmp_path: Path) -> None:
    config = base_config()
    config["partners"][0]["administrator_code"] = "ADM-01"
    config["partners"].append({"id": "adm-02", "name": "Admin Two", "kind": "ADMINISTRATOR",
                               "administrator_code": "ADM-01", "feeds": [feed("nightly")]})
    path = written(tmp_path, config)
    with pytest.raises(PartnerConfigError) as error:
        load_partner_config(path)
    assert str(error.value) == (f"{path}: partner adm-02, administrator_code: 'ADM-01' is already the "
                                "administrator_code of partner adm-01; a code is held by one partner only")


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000, '{"schema_version": ' + "1" * 5000 + "}"],
                         ids=["nested-deep", "number-too-long"])
def test_json_the_parser_cannot_take_is_a_named_mistake(tmp_path: Path, content: str) -> None:
    path = tmp_path / "partners.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PartnerConfigError, match="not usable JSON"):
        load_partner_config(path)


def test_a_directory_instead_of_a_file_is_a_named_mistake(tmp_path: Path) -> None:
    with pytest.raises(PartnerConfigError, match="cannot read the partner configuration"):
        load_partner_config(tmp_path)


def test_a_file_that_is_not_json_is_named_with_where_it_breaks(tmp_path: Path) -> None:
    path = tmp_path / "partners.json"
    path.write_text('{"schema_version": 1,\n "partners": [,]}', encoding="utf-8")

    with pytest.raises(PartnerConfigError) as error:
        load_partner_config(path)

    assert str(error.value) == f"{path}: not JSON: Expecting value at line 2 column 15"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    with pytest.raises(PartnerConfigError) as error:
        load_partner_config(path)

    assert str(error.value) == f"{path}: partner configuration file not found"


def test_the_configuration_is_read_only() -> None:
    config = PartnerConfig.model_validate(base_config())

    with pytest.raises(ValueError, match="frozen"):
        config.partners[0].feeds[0].sla = "PT1H"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("P1D", timedelta(days=1)),
        ("PT1H", timedelta(hours=1)),
        ("PT15M", timedelta(minutes=15)),
        ("PT1H30M", timedelta(minutes=90)),
        ("PT300S", timedelta(minutes=5)),
    ],
)
def test_sla_durations(text: str, duration: timedelta) -> None:
    assert iso_duration(text) == duration


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "pt15m", "PT1.5H", "P1M", "15M", "PT15M "])
def test_sla_durations_that_are_not_understood(text: str) -> None:
    with pytest.raises(ValueError, match="expected an ISO 8601 duration"):
        iso_duration(text)


def test_an_absurdly_long_sla_is_a_mistake_not_a_crash() -> None:
    with pytest.raises(ValueError, match="at most a few years"):
        iso_duration("P99999999999D")


def fact(
    *,
    oem: str | None = "TOYOTA",
    administrator: str = "ADM-01",
    product_type: str = "VSC",
    lienholder: str | None = "FPCU",
    kind: FactKind = FactKind.CONTRACT_ACCEPTED,
) -> JournalFact:
    contract: dict[str, Any] = {"contract_number": "VSC2501150001", "oem": oem, "administrator": administrator}
    if lienholder is not None:
        contract["lienholder"] = {"name": "A lender", "code": lienholder}
    data: dict[str, Any] = {"contract": contract}
    if kind is FactKind.CONTRACT_CANCELLED:
        data["cancellation"] = {"cancel_date": "2026-03-02", "reason": "LOAN_PAYOFF"}
    return JournalFact(
        business_date=date(2026, 3, 2),
        position="20260302T150000000000Z-0000000000-abcdef12",
        kind=kind,
        contract_number="VSC2501150001",
        revision=1,
        dealer_code="D10442",
        product_type=product_type,
        oem=oem,
        administrator=administrator,
        event_id="D10442-000187",
        source="urn:dealer:D10442",
        data=data,
    )


@pytest.mark.parametrize(
    ("feed_filter", "the_fact", "matches"),
    [
        pytest.param(FeedFilter(), fact(oem=None, lienholder=None), True, id="no filter: everything"),
        pytest.param(FeedFilter(oems=["TOYOTA"]), fact(oem="TOYOTA"), True, id="brand"),
        pytest.param(FeedFilter(oems=["TOYOTA"]), fact(oem="HONDA"), False, id="other brand"),
        pytest.param(FeedFilter(oems=["TOYOTA"]), fact(oem=None), False, id="no brand on the contract"),
        pytest.param(FeedFilter(administrators=["ADM-01", "ADM-03"]), fact(administrator="ADM-03"), True, id="admin"),
        pytest.param(FeedFilter(administrators=["ADM-01"]), fact(administrator="ADM-02"), False, id="other admin"),
        pytest.param(FeedFilter(product_types=[ProductType.GAP]), fact(product_type="GAP"), True, id="product type"),
        pytest.param(FeedFilter(product_types=[ProductType.GAP]), fact(product_type="VSC"), False, id="other type"),
        pytest.param(FeedFilter(lienholder_codes=["FPCU"]), fact(lienholder="FPCU"), True, id="financed contract"),
        pytest.param(
            FeedFilter(lienholder_codes=["FPCU"]),
            fact(lienholder="FPCU", kind=FactKind.CONTRACT_CANCELLED),
            True,
            id="cancellation of a financed contract",
        ),
        pytest.param(FeedFilter(lienholder_codes=["FPCU"]), fact(lienholder="PSAF"), False, id="other lender"),
        pytest.param(FeedFilter(lienholder_codes=["FPCU"]), fact(lienholder=None), False, id="cash deal"),
        pytest.param(
            FeedFilter(oems=["TOYOTA"], product_types=[ProductType.VSC]),
            fact(oem="TOYOTA", product_type="GAP"),
            False,
            id="every key must match",
        ),
    ],
)
def test_feed_filter_matches(feed_filter: FeedFilter, the_fact: JournalFact, matches: bool) -> None:
    assert feed_filter.matches(the_fact) is matches
