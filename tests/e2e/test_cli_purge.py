"""`fnix purge` on Azurite: preview first, then run; counts and dates only; misuse exits 2 with what to do."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fnix.cli import main

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings, load_settings
from function_app.domain.claims.origin import ClaimOrigin
from function_app.domain.kernel.chain import ChainSeal
from function_app.service_layer.claims.ports import AcceptedClaim
from function_app.service_layer.kernel.ports import ContractChange, StoredContract
from tests.retention import fact, record

OLD_DAY, LIVE_DAY = date(2019, 1, 15), date(2025, 1, 15)
OLD = ["VSC-OLD-0001", "VSC-OLD-0002"]


def stocked(settings: Settings) -> Exchange:
    """Two contracts whose coverage ended in 2018 on a date of their own, one live contract on a recent date."""
    exchange = bootstrap(load_settings())
    assert exchange.settings.namespace == settings.namespace
    recs = [record(n, date(2017, 1, 1), 12) for n in OLD] + [record("VSC-LIVE-001", LIVE_DAY, 60)]
    for rec in recs:
        exchange.contracts.save([ContractChange(rec.contract_number, StoredContract(type(rec)(rec.contract_number)),
                                                rec)])
    exchange.journal.append([fact(OLD_DAY, OLD[0], "p1"), fact(OLD_DAY, OLD[1], "p2"),
                             fact(LIVE_DAY, "VSC-LIVE-001", "p1")])
    exchange.storage.claims_registry.add("ADM-01", [AcceptedClaim("CLM-1", "h", ClaimOrigin.parse("f#1"), OLD[1])])
    return exchange


def test_preview_then_run_then_run_again(on_azurite: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    exchange = stocked(on_azurite)
    assert main(["purge", "--preview"]) == 0
    captured = capsys.readouterr()
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in captured.out.splitlines()[1:]}
    assert captured.out.splitlines()[0] == "kind\tcount\toldest\tnewest"
    assert rows["contracts"] == ["2", "2018-01-01", "2018-01-01"]
    assert rows["journal dates"] == ["1", "2019-01-15", "2019-01-15"] and rows["claims"] == ["1", "-", "-"]
    assert "would delete 2 contract(s)" in captured.err and "730 days" in captured.err
    assert "VSC" not in captured.out + captured.err, "no contract is named"
    assert len(list(exchange.contracts.every_record())) == 3 and exchange.storage.seals.get(OLD_DAY) is None

    assert main(["purge", "--run", "--json"]) == 0
    captured = capsys.readouterr()
    done = json.loads(captured.out)
    assert (done["contracts"], done["journal_dates"], done["journal_facts"], done["claims"]) == (2, 1, 2, 1)
    assert "purge: journal dates deleted: 1" in captured.err and "purge: contracts deleted: 2" in captured.err
    assert [r.contract_number for r in exchange.contracts.every_record()] == ["VSC-LIVE-001"]
    assert exchange.storage.seals.get(OLD_DAY) is not None and list(exchange.journal.dates()) == [LIVE_DAY]

    assert main(["purge", "--run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["contracts"] == 0


def test_a_date_whose_seal_is_contradicted_stays_and_the_run_exits_1(
    on_azurite: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    exchange = stocked(on_azurite)
    exchange.storage.seals.put(ChainSeal.of(OLD_DAY, [fact(OLD_DAY, OLD[0], "p1")], exchange.clock()))
    assert main(["purge", "--run"]) == 1
    err = capsys.readouterr().err
    assert "kept 2019-01-15: the journal no longer gives the chain sealed for this date" in err
    assert len(list(exchange.contracts.every_record())) == 3 and OLD_DAY in list(exchange.journal.dates())


@pytest.mark.parametrize("argv", [["purge"], ["purge", "--preview", "--run"]])
def test_purge_without_exactly_one_of_preview_and_run_exits_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "give --preview to see what would go (it deletes nothing), then --run to delete it" in err
    assert "fnix purge --help" in err


def test_a_bad_retention_setting_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RETENTION_DAYS_AFTER_COVERAGE", "7")
    assert main(["purge", "--preview"]) == 2
    assert "RETENTION_DAYS_AFTER_COVERAGE" in capsys.readouterr().err
