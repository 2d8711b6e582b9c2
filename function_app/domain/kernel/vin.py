"""Vehicle identification numbers: 17 characters with the North American check digit (ISO 3779)."""

VIN_LENGTH = 17
_CHECK_INDEX = 8
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_LETTER_VALUES = "A1 B2 C3 D4 E5 F6 G7 H8 J1 K2 L3 M4 N5 P7 R9 S2 T3 U4 V5 W6 X7 Y8 Z9"
_VALUES = {digit: int(digit) for digit in "0123456789"} | {
    pair[0]: int(pair[1]) for pair in _LETTER_VALUES.split()
}


def vin_problem(vin: str) -> str | None:
    """None for a valid VIN, else what is wrong with it, in words a dealer can act on."""
    problem = _shape_problem(vin)
    if problem is not None:
        return problem
    expected = _check_digit(vin)
    if vin[_CHECK_INDEX] != expected:
        return f"VIN check digit (position 9) should be {expected}, got {vin[_CHECK_INDEX]}"
    return None


def vin_is_valid(vin: str) -> bool:
    return vin_problem(vin) is None


def with_check_digit(vin16_or_17: str) -> str:
    """The VIN with its check digit set: 16 characters get it inserted, 17 have position 9 replaced."""
    if len(vin16_or_17) not in (VIN_LENGTH - 1, VIN_LENGTH):
        raise ValueError(f"expected 16 or 17 characters, got {len(vin16_or_17)}")
    head, tail = vin16_or_17[:_CHECK_INDEX], vin16_or_17[-8:]
    placeholder = f"{head}0{tail}"
    problem = _shape_problem(placeholder)
    if problem is not None:
        raise ValueError(problem)
    return f"{head}{_check_digit(placeholder)}{tail}"


def _shape_problem(vin: str) -> str | None:
    if len(vin) != VIN_LENGTH:
        return f"VIN must be 17 characters, got {len(vin)}"
    for position, char in enumerate(vin, start=1):
        if char in "IOQ":
            return f"VIN must not contain I, O or Q (found {char} at position {position})"
        if char not in _VALUES:
            return f"VIN may contain only A-Z and 0-9 (found {char!r} at position {position})"
    return None


def _check_digit(vin: str) -> str:
    remainder = sum(_VALUES[char] * weight for char, weight in zip(vin, _WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)
