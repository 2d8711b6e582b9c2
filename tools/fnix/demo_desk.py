"""`./dev demo`'s desk: after the day's events, dealers and a lender use the API and the hubs the way their systems
would, and the back office reports a refund paid, all over the same storage as the day:

- a dealer asks for a cancellation quote over HTTP, then sends the cancellation with the same values on the
  `cancellations` hub: the quote and the feedback's refund side by side, and whether they agree to the cent;
- a contract of a customer in a state whose (example) rule caps the fee: the catalogue's figures (the refund
  function with no state rules) against the quote's, which names the rule;
- the lender of the shipped partner file quotes a repossession as a lender and sends it from `urn:lender:<code>`;
  the night's delivery that follows puts it in that lender's file (`show_in_lender_file`);
- that state-ruled cancellation's refund is still unpaid after the rule's `refund_due_days`: reconciliation, run
  with a clock moved past the due date, reports REFUND_OVERDUE; the back office's `contracts` row on the change
  feed (Debezium's default encoding) reports it paid, and the next run resolves it.

The desk's contracts are its own (sold months before the day by the dealers of the caller map, reaching the exchange
on the day as back-office catch-up), so that every figure printed here comes from a contract the scene controls."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fnix.commands import write_feedback
from function_app.bootstrap import Exchange, bootstrap
from function_app.domain.api.callers import Caller, CallerKind
from function_app.domain.api.identity import DEV_HEADER
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.feedback import Refund
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.kernel.partners import Partner
from function_app.domain.kernel.vin import with_check_digit
from function_app.domain.realtime.decisions import ContractBook
from function_app.domain.realtime.envelope import CANCEL_REQUESTED, CONTRACT_SUBMITTED
from function_app.domain.realtime.parsing import CHANGE_FEED_HUB
from function_app.domain.realtime.payloads import CancellationRequest
from function_app.domain.reconciliation.model import BreakKind, ReconciliationReport
from function_app.service_layer.realtime.report import BatchReport

SOLD_DAYS_BEFORE = 120  # the desk's contracts were sold four months before the day: past every free look
MILES_A_DAY = 40
FIGURES = ("method", "gross_refund", "cancellation_fee", "customer_refund", "payee", "state_rule")


@dataclass(frozen=True)
class _Sale:
    """One of the desk's contracts: who sold it, to a customer of which state, financed by whom."""

    number: str
    dealer: Caller
    product: tuple[str, str, int, int | None]  # code, type, term months, term miles
    retail: str
    cost: str
    state: str
    postal_code: str
    lender: tuple[str, str] | None = None  # name, code


@dataclass
class DeskResult:
    """What the rest of the demo needs from the desk: its decisions of the day (for the day's totals and feedback
    file), and the repossession the night's lender file should hold."""

    report: BatchReport = field(default_factory=BatchReport)
    repossession: str | None = None
    lender_partner: str | None = None


def run_desk(exchange: Exchange, day: date, tag: str, *, after: datetime, sequences: Mapping[str, int],
             feedback: Path) -> DeskResult:
    """The desk's scenes; `after` is when the day's last event reached its hub, `sequences` the last sequence number
    of each hub's partition, so the desk's messages come after the day's."""
    import httpx

    from fnix.serve import served_in_thread

    result = DeskResult()
    callers = exchange.settings.api_callers
    dealers = [c for c in callers.values() if c.kind is CallerKind.DEALER]
    print("\nAt the desk: dealers and a lender ask the API, then cancel on the hub (the same values)")
    if not dealers:
        print("  (API_CALLERS names no dealer, so no dealer can ask: skipped)")
        return result
    lender, partner = _lender(exchange)
    sales = _sales(exchange, tag, dealers, lender, partner)
    hub = _Hub(exchange, day, after, sequences, result, feedback)
    accepted = hub.send("contracts", [_submission(sale, day, hub.stamp()) for sale in sales.values()])
    print(f"  {len(sales)} contracts sold {SOLD_DAYS_BEFORE} days before the day reach the exchange (back-office "
          "catch-up):")
    for sale in sales.values():
        financed = f", financed by {sale.lender[1]}" if sale.lender else ""
        print(f"    {sale.number:<16} {sale.product[0]:<12} dealer {sale.dealer.code}, customer in {sale.state}"
              f"{financed}: {accepted[sale.number]}")
    with (served_in_thread(exchange, callers) as url, httpx.Client(base_url=url, timeout=30) as client):
        def quote(sale: _Sale, caller: Caller, values: dict[str, Any]) -> dict[str, Any] | None:
            answer = client.post(f"/api/contracts/{sale.number}/cancellation-quote", json=values,
                                 headers={DEV_HEADER: caller.client_id})
            if answer.status_code != 200:
                print(f"     the quote was refused: HTTP {answer.status_code} {answer.json().get('detail', '')}")
                return None
            body: dict[str, Any] = answer.json()
            return body

        _dealer_scene(hub, quote, sales["dealer"], day)
        _state_rule_scene(exchange, hub, quote, sales["state"], day)
        if lender is not None and "lender" in sales:
            result.repossession = _lender_scene(hub, quote, sales["lender"], lender, day)
            result.lender_partner = partner.id if partner is not None else None
    _overdue_scene(exchange, sales["state"].number)
    return result


def show_in_lender_file(exchange: Exchange, day: date, desk: DeskResult) -> None:
    """The line of the lender's file of the night that holds the desk's repossession."""
    if desk.repossession is None or desk.lender_partner is None:
        return
    for partner, feed in exchange.delivery.feeds():
        if partner.id != desk.lender_partner:
            continue
        for record in exchange.deliveries.files(partner.id, feed.name):
            if record.business_date != day:
                continue
            lines = exchange.partner_files.read(partner.id, record.blob_name).decode("utf-8").splitlines()
            held = [line for line in lines if desk.repossession in line]
            if held:
                print(f"\nThe desk's repossession in {partner.id}'s file {record.blob_name}:")
                print(f"  {lines[0]}")
                for line in held:
                    print(f"  {line}")
                return
    print(f"\nThe desk's repossession {desk.repossession} is in no file of {desk.lender_partner} for {day}")


# ---- the scenes ----------------------------------------------------------------------------------------------------

Quote = Callable[[_Sale, Caller, dict[str, Any]], dict[str, Any] | None]


def _dealer_scene(hub: _Hub, quote: Quote, sale: _Sale, day: date) -> None:
    values = _values(day, "CUSTOMER_REQUEST")
    print(f"\n  1. Dealer {sale.dealer.code} asks what cancelling {sale.number} today would refund, over HTTP:\n"
          f"     POST /api/contracts/{sale.number}/cancellation-quote {json.dumps(values)}\n"
          "     then sends that cancellation on the `cancellations` hub")
    quoted = quote(sale, sale.dealer, values)
    if quoted is not None:
        refund = hub.cancel(sale, values)
        side_by_side(quoted, refund)


def _state_rule_scene(exchange: Exchange, hub: _Hub, quote: Quote, sale: _Sale, day: date) -> None:
    values = _values(day, "CUSTOMER_REQUEST")
    rule = exchange.settings.state_rules.applying_to(sale.state, ProductType(sale.product[1]))
    shown = "no rule" if rule is None else ", ".join(
        f"{name} {value}" for name, value in vars(rule.terms).items() if value is not None)
    print(f"\n  2. A state rule changes the fee: {sale.number}'s customer lives in {sale.state}; the example rule "
          f"for {sale.state}\n     (config/state_rules.json, not legal advice): {shown}. Dealer {sale.dealer.code} "
          "asks for a quote:")
    quoted = quote(sale, sale.dealer, values)
    if quoted is None:
        return
    catalogue = _catalogue_only(exchange, sale.number, values)
    rows = (("the catalogue alone, no state rules", catalogue), ("the quote, under the state rules", quoted))
    print(f"     {'':<36}{'gross_refund':>14}{'cancellation_fee':>18}{'customer_refund':>17}  state_rule")
    for label, figures in rows:
        print(f"     {label:<36}{figures['gross_refund']:>14}{figures['cancellation_fee']:>18}"
              f"{figures['customer_refund']:>17}  {_shown(figures['state_rule'])}")
    refund = hub.cancel(sale, values)
    print("     the dealer then cancels it on the hub with the same values:")
    side_by_side(quoted, refund)


def _lender_scene(hub: _Hub, quote: Quote, sale: _Sale, lender: Caller, day: date) -> str | None:
    values = _values(day, "REPOSSESSION")
    print(f"\n  3. Lender {lender.code} repossessed the vehicle of {sale.number}, which it finances: it asks for a "
          f"REPOSSESSION quote\n     as a lender ({DEV_HEADER}: {lender.client_id}), then sends the cancellation "
          f"from urn:lender:{lender.code}\n     with lienholder_code {lender.code}")
    quoted = quote(sale, lender, values)
    if quoted is None:
        return None
    refund = hub.cancel(sale, values, lender=lender.code)
    side_by_side(quoted, refund)
    return sale.number if refund is not None else None


def _overdue_scene(exchange: Exchange, number: str) -> None:
    """A later clock over the same storage: the refund of the state-ruled cancellation is overdue, then paid."""
    stored = exchange.contracts.load([number], {}).contracts.get(number)
    cancellation = stored.record.cancellation if stored is not None else None
    if cancellation is None or cancellation.decided_on is None or cancellation.refund_due_days is None:
        print(f"\n  4. {number}'s cancellation has no refund deadline: no overdue refund to show")
        return
    due = cancellation.decided_on + timedelta(days=cancellation.refund_due_days)
    zone = exchange.settings.zone
    later = _Later(datetime.combine(due + timedelta(days=1), time(7), tzinfo=zone))
    print(f"\n  4. A refund overdue: {number}'s refund is due within {cancellation.refund_due_days} days of its "
          f"cancellation on {cancellation.decided_on}\n     (state rule {cancellation.refund.state_rule}), by {due}, "
          f"and the back office has not paid it. Reconciliation, its clock\n     moved to {later.now.date()} "
          "(the same storage), reports:")
    future = bootstrap(exchange.settings, partners=exchange.partners, clock=later)
    first = future.reconciliation.run(later.now.date())
    _print_overdue(first, number)
    paid_at = later.now.replace(hour=10)
    body = paid_row(number, paid_at.date(), paid_at)
    answered = future.realtime.process([InboundMessage(CHANGE_FEED_HUB, body, "0", 1, paid_at.astimezone(UTC))])
    shown = json.loads(body)["payload"]["after"]["refund_paid_date"]
    print(f"     the back office pays it: its `contracts` row arrives on `{CHANGE_FEED_HUB}` with refund_paid_date "
          f"{shown}\n     (Debezium's DATE, days since 1970-01-01: {paid_at.date()}); dead letters: "
          f"{len(answered.dead_letters)}")
    later.now = datetime.combine(later.now.date() + timedelta(days=1), time(7), tzinfo=zone)
    second = future.reconciliation.run(later.now.date())
    mine = [b for b in second.resolved if b.kind is BreakKind.REFUND_OVERDUE and b.key == number]
    still = [b for b in second.refunds_overdue if b.key == number]
    print(f"     the next run ({later.now.date()}): {'resolved' if mine else 'NOT resolved'} "
          f"{BreakKind.REFUND_OVERDUE.value} {number}; {len(still)} overdue break(s) left for it")


# ---- the pieces ----------------------------------------------------------------------------------------------------


class _Later:
    """A clock the scene moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


class _Hub:
    """The desk's messages on the hubs, after the day's: each decided at once by the realtime service."""

    def __init__(self, exchange: Exchange, day: date, after: datetime, sequences: Mapping[str, int],
                 result: DeskResult, feedback: Path) -> None:
        self._exchange = exchange
        self._zone = exchange.settings.zone
        end = datetime.combine(day, time(23, 59), tzinfo=self._zone).astimezone(UTC)
        self._at = min(after + timedelta(minutes=1), end - timedelta(minutes=1))
        self._sequences = dict(sequences)
        self._result = result
        self._feedback = feedback
        self._sent = 0
        self.refunds: dict[str, Refund | None] = {}

    def stamp(self) -> str:
        return self._at.astimezone(self._zone).isoformat(timespec="seconds")

    def send(self, hub: str, envelopes: Sequence[dict[str, Any]], key: str | None = None) -> dict[str, str]:
        """Each envelope's answer by contract number: ACCEPTED, or the status with its reason codes."""
        messages = []
        for envelope in envelopes:
            self._sequences[hub] = self._sequences.get(hub, 0) + 1
            self._at += timedelta(seconds=1)
            body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            messages.append(InboundMessage(hub, body, "0", self._sequences[hub], self._at, partition_key=key))
        outcome = self._exchange.realtime.process(messages)
        self._result.report.merge(outcome)
        with self._feedback.open("a", encoding="utf-8") as sink:
            write_feedback(sink, outcome.feedback)
        self.refunds = {fb.subject or "": fb.decision.refund for fb in outcome.feedback}
        return {fb.subject or "": " ".join([fb.decision.status.value, *(r.code.value for r in fb.decision.reasons)])
                for fb in outcome.feedback}

    def cancel(self, sale: _Sale, values: Mapping[str, Any], *, lender: str | None = None) -> dict[str, Any] | None:
        """The cancellation on the `cancellations` hub: the feedback's refund, or None (the answer printed)."""
        self._sent += 1
        party = {"lienholder_code": lender} if lender else {"dealer_code": sale.dealer.code}
        source = f"urn:lender:{lender}" if lender else f"urn:dealer:{sale.dealer.code}"
        data = {"contract_number": sale.number, **party, **values}
        envelope = {"specversion": "1.0", "id": f"{lender or sale.dealer.code}-{sale.number}-DESK-{self._sent}",
                    "source": source, "type": CANCEL_REQUESTED, "time": self.stamp(), "subject": sale.number,
                    "datacontenttype": "application/json", "data": data}
        answer = self.send("cancellations", [envelope], key=lender or sale.dealer.code)[sale.number]
        refund = self.refunds.get(sale.number)
        if refund is None:
            print(f"     the cancellation was answered {answer}")
            return None
        return refund.to_json()


def side_by_side(quoted: Mapping[str, Any], refund: Mapping[str, Any] | None) -> None:
    if refund is None:
        return
    rows = [(label, [_shown(figures[name]) for name in FIGURES])
            for label, figures in (("quote (API)", quoted), ("refund (feedback)", refund))]
    widths = [max(len(name), *(len(values[i]) for _, values in rows)) + 2 for i, name in enumerate(FIGURES)]
    print(f"     {'':<18}" + "".join(f"{name:>{width}}" for name, width in zip(FIGURES, widths, strict=True)))
    for label, values in rows:
        print(f"     {label:<18}" + "".join(f"{value:>{width}}" for value, width in zip(values, widths, strict=True)))
    differing = sorted(name for name in refund if quoted.get(name) != refund[name])
    verdict = "agree to the cent, every figure" if not differing else f"DISAGREE on {', '.join(differing)}"
    print(f"     quote and refund {verdict} (payee {refund['payee']})")


def _shown(value: object) -> str:
    return "-" if value is None else str(value)


def _catalogue_only(exchange: Exchange, number: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The refund the domain's one refund function gives this contract with the catalogue and no state rules."""
    record = exchange.contracts.load([number], {}).contracts[number].record
    assert record.submission is not None
    request = CancellationRequest.model_validate(
        {"contract_number": number, "dealer_code": record.submission.dealer_code, **values})
    return ContractBook(exchange.settings.catalogue).quote(record, request).to_json()


def _values(day: date, reason: str) -> dict[str, Any]:
    return {"cancel_date": day.isoformat(), "odometer": 18_000 + SOLD_DAYS_BEFORE * MILES_A_DAY, "reason": reason}


def _lender(exchange: Exchange) -> tuple[Caller | None, Partner | None]:
    """A lender of the caller map with a partner feed of its own, and that partner."""
    for caller in exchange.settings.api_callers.values():
        if caller.kind is not CallerKind.LENDER:
            continue
        for partner, feed in exchange.delivery.feeds():
            if partner.kind == "LENDER" and caller.code in (feed.filter.lienholder_codes or ()):
                return caller, partner
    return None, None


def _sales(exchange: Exchange, tag: str, dealers: Sequence[Caller], lender: Caller | None,
           partner: Partner | None) -> dict[str, _Sale]:
    """The desk's three contracts: a cash deal, a customer in a state whose rule caps the fee and sets a refund
    deadline, and a contract financed by the lender. The other two customers live in a state without a rule, so the
    desk leaves no refund owed once its back office has paid the one it shows overdue (whatever the demo's date,
    the day's own reconciliation then has no overdue refund of the desk's)."""
    capped = next((r.state for r in exchange.settings.state_rules.rules if r.terms.max_fee is not None
                   and r.terms.refund_due_days is not None and r.product_types is None and r.state != "TX"), "TX")
    first, second = dealers[0], dealers[-1]
    vsc = ("VSC-GOLD-60", "VSC", 60, 60_000)
    sales = {
        "dealer": _Sale(f"VSC-{tag}-DESK1", first, vsc, "1795.00", "790.00", "OK", "73102"),
        "state": _Sale(f"VSC-{tag}-DESK2", second, vsc, "1795.00", "790.00", capped, _POSTAL.get(capped, "00000")),
    }
    if lender is not None and partner is not None:
        sales["lender"] = _Sale(f"GAP-{tag}-DESK3", first, ("GAP-PLUS-60", "GAP", 60, None), "895.00", "410.00",
                                "OK", "74103", (partner.name, lender.code))
    return sales


_POSTAL = {"TX": "75201", "CA": "94538", "NY": "10001"}


def _submission(sale: _Sale, day: date, stamp: str) -> dict[str, Any]:
    sold = day - timedelta(days=SOLD_DAYS_BEFORE)
    code, product_type, months, miles = sale.product
    serial = sum(ord(c) * 31**i for i, c in enumerate(sale.number)) % 1_000_000
    data: dict[str, Any] = {
        "contract_number": sale.number, "revision": 1, "dealer_code": sale.dealer.code,
        "product": {"code": code, "type": product_type}, "term_months": months, "term_miles": miles,
        "sale_date": sold.isoformat(), "effective_date": sold.isoformat(),
        "vehicle": {"vin": with_check_digit(f"4T1B11HK0{_year_code(sold.year - 2)}U{serial:06d}"),
                    "year": sold.year - 2, "make": "Toyota", "model": "Camry", "odometer": 18_000,
                    "condition": "USED"},
        "customer": {"first_name": "Desk", "last_name": "Customer", "state": sale.state,
                     "postal_code": sale.postal_code},
    }
    if sale.lender is not None:
        data["lienholder"] = {"name": sale.lender[0], "code": sale.lender[1]}
    data |= {"pricing": {"retail_price": sale.retail, "dealer_cost": sale.cost, "currency": "USD"},
             "oem": "TOYOTA", "administrator": "ADM-01"}
    return {"specversion": "1.0", "id": f"{sale.dealer.code}-{sale.number}-r1",
            "source": f"urn:dealer:{sale.dealer.code}", "type": CONTRACT_SUBMITTED, "time": stamp,
            "subject": sale.number, "datacontenttype": "application/json", "data": data}


def _year_code(year: int) -> str:
    return "ABCDEFGHJKLMNPRSTVWXY123456789"[(year - 1980) % 30]


def paid_row(number: str, paid: date, at: datetime) -> bytes:
    """The back office's `contracts` row as a default Debezium SQL Server connector writes it (JSON converter with
    schemas): `refund_paid_date` an `io.debezium.time.Date`, days since the epoch."""
    ms = int(at.timestamp() * 1000)
    lsn = "0000002a:00000a10:0003"
    columns = [{"type": "string", "optional": False, "field": "contract_number"},
               {"type": "string", "optional": False, "field": "status"},
               {"type": "int32", "optional": True, "name": "io.debezium.time.Date", "version": 1,
                "field": "refund_paid_date"}]
    topic = "policyadmin.policyadmin.dbo.contracts"  # <topic.prefix>.<database>.<schema>.<table>
    value = {"type": "struct", "fields": columns, "optional": True, "name": f"{topic}.Value"}
    schema = {"type": "struct", "name": f"{topic}.Envelope", "optional": False,
              "fields": [{**value, "field": "before"}, {**value, "field": "after"},
                         {"type": "struct", "optional": False, "field": "source",
                          "name": "io.debezium.connector.sqlserver.Source"},
                         {"type": "string", "optional": False, "field": "op"},
                         {"type": "int64", "optional": True, "field": "ts_ms"}]}
    before = {"contract_number": number.ljust(20), "status": "CANCELLED", "refund_paid_date": None}
    after = dict(before, refund_paid_date=(paid - date(1970, 1, 1)).days)
    source = {"version": "3.1.2.Final", "connector": "sqlserver", "name": "policyadmin", "ts_ms": ms,
              "snapshot": "false", "db": "policyadmin", "schema": "dbo", "table": "contracts",
              "change_lsn": lsn, "commit_lsn": lsn, "event_serial_no": 1}
    payload = {"before": before, "after": after, "source": source, "op": "u", "ts_ms": ms + 350}
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":")).encode("utf-8")


def _print_overdue(report: ReconciliationReport, number: str) -> None:
    overdue = [b for b in report.refunds_overdue if b.kind is BreakKind.REFUND_OVERDUE]
    mine = [b for b in overdue if b.key == number]
    for item in mine:
        print(f"     {item.kind.value}  {item.detail}")
    if not mine:
        print(f"     no {BreakKind.REFUND_OVERDUE.value} break for {number}")
    if len(overdue) > len(mine):
        others = len(overdue) - len(mine)
        print(f"     ({others} other unpaid refund{'' if others == 1 else 's'} on this storage, not the desk's, "
              f"{'is' if others == 1 else 'are'} overdue by then too)")
