"""The spelled-out whitespace class of checks/field_checks.py is Python's \\s, exactly: an
identifier loses the same characters as before the class replaced \\s (issue 26 item 4)."""

from __future__ import annotations

import re
import sys

import pandas as pd

from ipdemo.checks import field_checks


def test_the_class_is_every_character_python_calls_a_space_and_no_other():
    spaces = re.compile(f"[{field_checks.SPACES}]")
    python = re.compile(r"\s")
    differ = [hex(c) for c in range(sys.maxunicode + 1) if bool(spaces.match(chr(c))) != bool(python.match(chr(c)))]
    assert differ == []


def test_identifiers_lose_the_same_characters_as_with_python_s():
    values = pd.Series(
        ["CN 2021\u3000101826165", "zl\t202110182616.5\x0b", "91320509-MA1 2345\u2003X", "SR\u00a0123-456", ""],
        dtype="str",
    )
    old_cnipa = values.str.upper().str.replace(r"\s+", "", regex=True)
    assert field_checks.cnipa(values).tolist()[:2] == ["202110182616.5", "202110182616.5"]
    assert field_checks.code(values).tolist() == values.str.upper().str.replace(r"[\s\-]+", "", regex=True).tolist()
    assert old_cnipa.str.replace(r"^(?:CN|ZL)", "", regex=True).tolist()[0] == "2021101826165"
