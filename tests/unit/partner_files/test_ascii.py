"""Transliteration to ASCII for fixed-width files: letters keep their base, the rest becomes `?`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from function_app.domain.delivery.ascii import ascii_form, to_ascii, to_ascii_within


@pytest.mark.parametrize(
    ("name", "ascii"),
    [
        ("Łukasz Żółkiewski", "Lukasz Zolkiewski"),
        ("María José Núñez", "Maria Jose Nunez"),
        ("Øyvind Ærø", "Oyvind AEro"),
        ("Straße", "Strasse"),
        ("Đorđe Þórsson", "Dorde THorsson"),
        ("Œuvre", "OEuvre"),
        ("François-Noël", "Francois-Noel"),
        ("e\u0301", "e"),  # an accent as its own character
        ("O’Brien – Jr.", "O'Brien - Jr."),
        ("王小明", "???"),
        ("अमित", "???"),  # the vowel sign belongs to its consonant: no character of its own
        ("Владимир", "????????"),
        ("ﬃ", "ffi"),
        ("\U0001f600", "?"),
        ("\ud800", "?"),  # a lone surrogate, as a JSON escape can carry one
    ],
)
def test_names_in_ascii(name: str, ascii: str) -> None:
    assert to_ascii(name) == ascii


@given(st.text())
def test_the_result_is_printable_ascii_and_each_character_gives_at_most_one_in_the_short_form(text: str) -> None:
    full = to_ascii(text)
    assert all(" " <= char <= "~" for char in full)
    assert all(len(ascii_form(char)[:1]) <= 1 for char in text)
    assert len(to_ascii_within(text, len(text))) <= len(text)


def test_the_full_form_is_kept_while_it_fits() -> None:
    assert to_ascii_within("Gauß", 5) == "Gauss"
    assert to_ascii_within("Gauß", 4) == "Gaus"
