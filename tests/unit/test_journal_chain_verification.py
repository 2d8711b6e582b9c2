"""The nightly chain verification, pure: the journal of a date against its seal and the manifests' journal_chain.
Each edited, removed, inserted or forged fact is one break keyed by its position and naming its contract; a
manifest no fact explains is one break naming its file; a clean day gives none, and no detail holds a value."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from function_app.domain.kernel.chain import ChainSeal, genesis, links
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.reconciliation.journal_chain import SCOPE, QuotedChain, chain_breaks
from function_app.domain.reconciliation.model import Break, BreakKind

DAY = date(2026, 3, 2)
SEALED_AT = datetime(2026, 3, 3, 2, tzinfo=UTC)
SETTLE = timedelta(minutes=15)
NAME, VIN, POSTAL = "Williams", "1HGCM82633A004352", "90210"


def position(n: int, hour: int = 15) -> str:
    return f"20260302T{hour:02d}00{n:02d}000000Z-contracts-0000-{n:020d}"


def fact(n: int, hour: int = 15, contract: str | None = None) -> JournalFact:
    data = {"customer": {"last_name": NAME, "postal_code": POSTAL}, "vehicle": {"vin": VIN},
            "contract": {"pricing": {"retail_price": f"{n}00.00"}}}
    return JournalFact(DAY, position(n, hour), FactKind.CONTRACT_ACCEPTED, contract or f"C{n:05d}", 1, "D1", "VSC",
                       None, "ADM1", f"e{n}", "urn:dealer:D1", data)


FACTS = [fact(n) for n in range(1, 11)]
SEAL = ChainSeal.of(DAY, FACTS, SEALED_AT)
LINKS = {item.position: item.value for item in links(DAY, FACTS)}
# two files of one feed (a micro-batch cut after the 4th fact, the rest later) and a daily file of another feed
MANIFESTS = [
    QuotedChain("adm-01:outbound/micro/a_001.csv", position(4), LINKS[position(4)]),
    QuotedChain("adm-01:outbound/micro/a_002.csv", position(9), LINKS[position(9)]),
    QuotedChain("dlr-02:outbound/daily/b_001.csv", position(10), LINKS[position(10)]),
]


def verify(facts: list[JournalFact], seal: ChainSeal | None = SEAL,
           quoted: list[QuotedChain] | None = None) -> list[Break]:
    found = chain_breaks(DAY, facts, seal, MANIFESTS if quoted is None else quoted, SETTLE)
    assert all(b.kind is BreakKind.JOURNAL_CHAIN and b.scope == SCOPE for b in found)
    for b in found:  # the details name positions, contracts and files, never a personal value
        assert NAME not in b.detail and VIN not in b.detail and POSTAL not in b.detail
    return found


def keyed(found: list[Break]) -> list[tuple[str, str | None]]:
    return [(b.key, b.contract_number) for b in found]


def edited(n: int) -> JournalFact:
    original = FACTS[n - 1]
    return replace(original, data={**original.data, "contract": {"pricing": {"retail_price": "1.00"}}})


def test_a_clean_day_gives_no_break() -> None:
    assert verify(FACTS) == []
    assert verify(FACTS, seal=None) == []
    assert verify(FACTS, quoted=[]) == []


def test_an_empty_day_and_a_file_without_facts_quote_the_genesis() -> None:
    empty = ChainSeal.of(DAY, [], SEALED_AT)
    assert verify([], empty, [QuotedChain("p:outbound/f/x_001.csv", "20260302T235959999999Z~", genesis(DAY))]) == []


def test_an_edited_fact_is_one_break_naming_its_position_contract_and_the_evidence() -> None:
    facts = list(FACTS)
    facts[4] = edited(5)
    [found] = verify(facts)
    assert keyed([found]) == [(position(5), "C00005")]
    assert "differs from the seal of 2026-03-02" in found.detail and "edited" in found.detail
    # the files quoting the chain at or after the fact contradict it too; the one before it does not
    assert "a_002.csv" in found.detail and "b_001.csv" in found.detail and "a_001.csv" not in found.detail


def test_each_of_two_edits_is_named_although_every_link_after_the_first_differs() -> None:
    facts = list(FACTS)
    facts[2], facts[7] = edited(3), edited(8)
    assert keyed(verify(facts)) == [(position(3), "C00003"), (position(8), "C00008")]


def test_a_removed_fact_is_named_with_the_contract_the_seal_holds() -> None:
    [found] = verify(FACTS[:5] + FACTS[6:])
    assert keyed([found]) == [(position(6), "C00006")] and "removed" in found.detail


def test_an_inserted_fact_is_named_with_its_contract() -> None:
    inserted = replace(fact(5), position=position(5)[:-1] + "X", contract_number="C09999", event_id="x")
    [found] = verify(sorted([*FACTS, inserted], key=lambda f: f.position))
    assert keyed([found]) == [(inserted.position, "C09999")] and "inserted or forged" in found.detail


def test_a_forged_fact_under_a_real_contract_is_named_at_its_position() -> None:
    forged = replace(fact(7), position=position(7)[:-1] + "Y", kind=FactKind.CONTRACT_CANCELLED, event_id="forged")
    [found] = verify(sorted([*FACTS, forged], key=lambda f: f.position))
    assert keyed([found]) == [(forged.position, "C00007")]


def test_a_fact_moved_to_another_contract_says_both() -> None:
    facts = list(FACTS)
    facts[1] = replace(FACTS[1], contract_number="C07777")
    [found] = verify(facts)
    assert keyed([found]) == [(position(2), "C00002")] and "now under C07777" in found.detail


def test_two_facts_swapped_are_two_breaks() -> None:
    facts = list(FACTS)
    facts[2] = replace(FACTS[3], position=FACTS[2].position)
    facts[3] = replace(FACTS[2], position=FACTS[3].position)
    assert keyed(verify(facts)) == [(position(3), "C00003"), (position(4), "C00004")]


def test_a_fact_decided_after_the_seal_is_not_judged_by_it() -> None:
    late = fact(11, hour=23)
    assert verify([*FACTS, late], replace(SEAL, sealed_at=datetime(2026, 3, 2, 23, 10, tzinfo=UTC))) == []
    assert keyed(verify([*FACTS, late])) == [(late.position, "C00011")]  # sealed hours after it: it was inserted


def test_without_a_seal_a_contradicted_manifest_names_its_file_and_where_the_chain_still_agrees() -> None:
    facts = list(FACTS)
    facts[5] = edited(6)
    found = verify(facts, seal=None)
    assert [b.key for b in found] == ["adm-01:outbound/micro/a_002.csv", "dlr-02:outbound/daily/b_001.csv"]
    assert all(b.contract_number is None for b in found)
    assert f"after {position(4)}, where the chain still agrees" in found[0].detail


def test_a_tamper_before_the_seal_is_still_contradicted_by_the_manifests() -> None:
    facts = list(FACTS)
    facts[5] = edited(6)
    found = verify(facts, seal=ChainSeal.of(DAY, facts, SEALED_AT))
    assert [b.key for b in found] == ["adm-01:outbound/micro/a_002.csv", "dlr-02:outbound/daily/b_001.csv"]
    assert f"after {position(4)}, where the chain still agrees" in found[0].detail  # the seal sealed the tamper


def test_a_manifest_whose_journal_chain_matches_nothing_is_a_break_naming_the_file() -> None:
    forged = QuotedChain("adm-01:outbound/micro/a_003.csv", position(10), "0" * 64)
    moved = QuotedChain("adm-01:outbound/micro/a_004.csv", position(10), LINKS[position(8)])
    found = verify(FACTS, quoted=[*MANIFESTS, forged, moved])
    assert [b.key for b in found] == [forged.file, moved.file]
    assert "no fact of the date gives it" in found[0].detail and f"the link at {position(8)}" in found[1].detail


def test_break_keys_are_stable_across_runs() -> None:
    facts = list(FACTS)
    facts[4] = edited(5)
    later = replace(SEAL, sealed_at=SEALED_AT)
    assert [b.identity for b in verify(facts)] == [b.identity for b in verify(list(facts), later)]


def test_a_date_is_sealed_only_once_it_has_ended_in_the_business_zone_and_settled() -> None:
    from zoneinfo import ZoneInfo

    from function_app.service_layer.reconciliation.sealing import settled

    chicago = ZoneInfo("America/Chicago")
    ended = datetime(2026, 3, 3, 6, tzinfo=UTC)  # midnight in Chicago
    assert not settled(DAY, chicago, SETTLE, ended + SETTLE - timedelta(microseconds=1))
    assert settled(DAY, chicago, SETTLE, ended + SETTLE)
