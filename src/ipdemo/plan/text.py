"""Text every output can hold: the one rule of the characters XML 1.0 cannot hold.

XML 1.0 (and so lxml, openpyxl and python-docx: every xlsx and docx ipdemo writes) holds tab, LF,
CR, U+0020..U+D7FF, U+E000..U+FFFD and U+10000..U+10FFFF. Anything else — the other C0 controls,
lone surrogates, the non-characters U+FFFE and U+FFFF — makes lxml raise. Where they are caught:

- targets.yaml (plan/yaml_source.py): a plan error at the key path (YAML lets a quoted string
  write them as escapes, "\\uFFFE");
- ledger values (checks/field_checks.py check_text): refused at import, flagged by validate with file,
  line, field and position;
- a hand-edited ledger that still carries one (validate said so, the user went on): renderers
  write `escape_xml` of every text, so report and archive show `\\uFFFE` instead of failing.
"""

from __future__ import annotations

import re

# For Python's re: what XML 1.0 cannot hold.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The same for Arrow's RE2 (ledger columns): Arrow strings are valid UTF-8, so no surrogates.
XML_ILLEGAL_UTF8 = r"[\x00-\x08\x0b\x0c\x0e-\x1f" + "\ufffe\uffff]"
# Of those, what checks/field_checks.py's older control-character check (bad_text) does not already catch.
NONCHARACTERS_UTF8 = "[\ufffe\uffff]"


def first_xml_illegal(text: str) -> int | None:
    """The index of the first character XML 1.0 cannot hold, else None."""
    found = XML_ILLEGAL.search(text)
    return found.start() if found else None


def char_name(char: str) -> str:
    """U+FFFE, U+0001: how a message names an invisible character."""
    return f"U+{ord(char):04X}"


def escape_xml(text: str) -> str:
    """`text` with every character XML cannot hold written as a visible escape (\\uFFFE, \\x01)."""
    if XML_ILLEGAL.search(text) is None:  # the usual answer, one scan
        return text
    return XML_ILLEGAL.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04X}"
