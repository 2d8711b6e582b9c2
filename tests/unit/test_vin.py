"""VINs: shape, the ISO 3779 / North American check digit, and the helper that sets it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function_app.domain.kernel.vin import vin_is_valid, vin_problem, with_check_digit

VIN_CHARACTERS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # check digit X (remainder 10)
        "11111111111111111",
        "1HGCM82633A004352",
        "4T1BF1FK3GU123456",  # REFUNDS.md example, weighted sum 300 -> 3
        "JTDKN3DU6A0123456",  # REFUNDS.md example, weighted sum 226 -> 6
    ],
)
def test_valid_vins(vin: str) -> None:
    assert vin_problem(vin) is None
    assert vin_is_valid(vin)


@pytest.mark.parametrize(
    ("vin", "problem"),
    [
        ("", "VIN must be 17 characters, got 0"),
        ("1M8GDM9AXKP04278", "VIN must be 17 characters, got 16"),
        ("1M8GDM9AXKP0427888", "VIN must be 17 characters, got 18"),
        ("1M8GDM9AXKP0I2788", "VIN must not contain I, O or Q (found I at position 13)"),
        ("OM8GDM9AXKP042788", "VIN must not contain I, O or Q (found O at position 1)"),
        ("1M8GDM9AXKP04278Q", "VIN must not contain I, O or Q (found Q at position 17)"),
        ("1m8GDM9AXKP042788", "VIN may contain only A-Z and 0-9 (found 'm' at position 2)"),
        ("1M8GDM9AXKP04278-", "VIN may contain only A-Z and 0-9 (found '-' at position 17)"),
        ("1M8GDM9A1KP042788", "VIN check digit (position 9) should be X, got 1"),
        ("1HGCM826X3A004352", "VIN check digit (position 9) should be 3, got X"),
        ("1HGCM826A3A004352", "VIN check digit (position 9) should be 3, got A"),
        ("4T1BF1FK3GU123457", "VIN check digit (position 9) should be 5, got 3"),
    ],
)
def test_invalid_vins_say_what_is_wrong(vin: str, problem: str) -> None:
    assert vin_problem(vin) == problem
    assert not vin_is_valid(vin)


@pytest.mark.parametrize(
    ("vin", "expected"),
    [
        ("1M8GDM9A0KP042788", "1M8GDM9AXKP042788"),
        ("1M8GDM9AKP042788", "1M8GDM9AXKP042788"),
        ("1HGCM826*3A004352", "1HGCM82633A004352"),
        ("1HGCM82633A004352", "1HGCM82633A004352"),
    ],
    ids=["replaces position 9", "inserts into 16", "position 9 may be anything", "keeps a valid VIN"],
)
def test_with_check_digit(vin: str, expected: str) -> None:
    assert with_check_digit(vin) == expected


@pytest.mark.parametrize(
    ("vin", "message"),
    [
        ("1M8GDM9AKP04278", "expected 16 or 17 characters, got 15"),
        ("1M8GDM9AXKP04278O", "VIN must not contain I, O or Q (found O at position 17)"),
        ("1M8GDM9Axkp042788", "VIN may contain only A-Z and 0-9 (found 'k' at position 10)"),
    ],
)
def test_with_check_digit_rejects_what_no_digit_can_fix(vin: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        with_check_digit(vin)

    assert str(raised.value) == message


@given(st.text(alphabet=VIN_CHARACTERS, min_size=16, max_size=16))
def test_with_check_digit_always_yields_a_valid_vin(body: str) -> None:
    vin = with_check_digit(body)

    assert vin_is_valid(vin)
    assert vin[:8] + vin[9:] == body


@given(st.text(alphabet=VIN_CHARACTERS, min_size=16, max_size=16), st.sampled_from("0123456789X"))
def test_any_other_check_digit_is_reported(body: str, digit: str) -> None:
    vin = with_check_digit(body)
    tampered = vin[:8] + digit + vin[9:]

    expected = None if digit == vin[8] else f"VIN check digit (position 9) should be {vin[8]}, got {digit}"
    assert vin_problem(tampered) == expected
