"""The domain of reconciling everything: which blobs of a partner's outbound/ the exchange wrote, where a file's
bytes first differ from their rendering, a manifest field by field, a delivery record against its file."""

from __future__ import annotations

from datetime import date

from function_app.domain.reconciliation.delivery_records import FileFigures, record_differences
from function_app.domain.reconciliation.file_contents import first_difference
from function_app.domain.reconciliation.inventory import PartnerOutbound, dated, inventory_breaks
from function_app.domain.reconciliation.manifests import field_differences

DAY = date(2026, 3, 2)
DATA = "outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.txt"
CUT = "outbound/nightly/2026/03/02/adm-01_nightly_20260302_002.txt"
RESULTS = "outbound/claims-results/c1.results.csv"
OUTBOUND = PartnerOutbound("adm-01", frozenset({"nightly"}), frozenset({DATA}), frozenset({CUT}), frozenset(),
                           frozenset({"outbound/nightly/layout.json"}), frozenset({RESULTS}))


def test_a_blob_is_dated_by_its_path_only_when_that_is_a_real_date() -> None:
    assert dated(DATA) == DAY
    assert dated("outbound/nightly/2026/02/30/x.txt") is None
    assert dated("outbound/readme.txt") is None


def test_only_blobs_the_exchange_wrote_are_accounted_for() -> None:
    names = [DATA, DATA + ".manifest.json", "outbound/nightly/layout.json", RESULTS, RESULTS + ".manifest.json",
             CUT, CUT + ".manifest.json", "outbound/nightly/2026/03/02/extra.csv", "outbound/x.txt",
             "outbound/nightly/2026/03/01/other-day.csv", "inbound/ack/x.ack", "outbound/nightly/layout.json.bak"]
    found = {(b.kind.value, b.key, b.scope) for b in inventory_breaks(OUTBOUND, names, DAY)}
    assert found == {
        ("DELIVERY_RECORD_MISMATCH", CUT, "adm-01/nightly"),
        ("UNKNOWN_FILE", "outbound/nightly/2026/03/02/extra.csv", "adm-01/nightly"),
        ("UNKNOWN_FILE", "outbound/x.txt", "adm-01/outbound"),
        ("UNKNOWN_FILE", "outbound/nightly/layout.json.bak", "adm-01/nightly"),
    }, "another date's blob waits for that date's run; inbound/ is the partner's"


def test_the_first_difference_says_where_and_how_never_what() -> None:
    clean = b"H|adm-01|20260302\nD|Williams|1\nD|Garcia|2\nT|2\n"
    assert first_difference(clean, clean, "fixed") is None
    assert first_difference(clean, clean.replace(b"\n", b"\r\n"), "fixed") == (
        "line 1 (the header record) ends in CRLF; the exchange ends every line in LF")
    reordered = b"H|adm-01|20260302\nD|Garcia|2\nD|Williams|1\nT|2\n"
    assert first_difference(clean, reordered, "fixed") == "its lines are in another order from line 2"
    trailer = first_difference(clean, clean.replace(b"T|2", b"T|3"), "fixed")
    assert trailer == "line 4 (the trailer record) differs from byte 3"
    edited = first_difference(clean, clean.replace(b"Williams", b"WilliamsX"), "fixed")
    assert edited == "line 2 differs from byte 11 (it is 13 bytes, not 12)" and "Williams" not in edited
    assert "byte-order mark" in str(first_difference(clean, b"\xef\xbb\xbf" + clean, "fixed"))
    assert first_difference(clean, clean + b"D|x\n", "fixed") == (
        "it has 5 lines, the exchange wrote 4 lines; the first difference is at line 5")


def test_a_manifest_differs_by_field_type_value_and_key_without_quoting_what_was_found() -> None:
    recorded = {"sequence": 1, "sha256": "ab", "control_totals": {"retail_price": "10.00"}, "journal_chain": "c1",
                "lineage": {"first_position": "p1"}}
    assert list(field_differences(recorded, recorded)) == []
    found = {"sequence": "1", "sha256": "Williams", "control_totals": {"retail_price": "10.0", "x": "1"},
             "lineage": {"first_position": "p1"}, "extra": True, "journal_chain": "c2"}
    differences = dict(field_differences(recorded, found))
    assert differences == {
        "sequence": "is a JSON string, the exchange writes a integer",
        "sha256": 'is not "ab", what the exchange recorded',
        "control_totals.retail_price": 'is not "10.00", what the exchange recorded',
        "control_totals.x": "is not a field the exchange writes",
        "extra": "is not a field the exchange writes",
    }, "journal_chain is verified against the chain elsewhere: only its presence counts here"
    assert dict(field_differences(recorded, {k: v for k, v in recorded.items() if k != "journal_chain"})) == {
        "journal_chain": "is absent"}


def test_a_delivery_record_is_compared_figure_by_figure() -> None:
    rendered = FileFigures("ab" * 32, 100, 3, {"retail_price": "10.00"})
    assert record_differences(rendered, rendered) == []
    edited = FileFigures("ab" * 32, 101, 3, {"retail_price": "11.00"})
    assert record_differences(edited, rendered) == ["bytes 101 in the record, 100 rendered",
                                                    "control_totals.retail_price 11.00 in the record, 10.00 rendered"]
