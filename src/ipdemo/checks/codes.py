"""The arithmetic of Chinese identifiers: shapes, weights, check characters. numpy only.

References: CNIPA application numbers, ZC 0006-2003; unified social credit codes, GB 32100-2015.
Shared by field_checks.py (the worded checks, on pandas) and screen.py (the fast pass, on Arrow
buffers), which therefore cannot disagree about a weight.
"""

from __future__ import annotations

import numpy as np

# Type digit → the patent type it implies. 1 invention, 2 utility model, 3 design; 8 and 9 are PCT
# international applications entering the Chinese national phase, 8 for an invention and 9 for a
# utility model. Both forms of the number use the same digits (ZC 0006-2003 for the 12-digit
# form; the 8-digit form before it: 03819495.3 is a 2003 PCT invention entry, type digit 8).
CNIPA_TYPE_DIGITS = {"1": "invention", "2": "utility_model", "3": "design", "8": "invention", "9": "utility_model"}
_TYPES = "".join(CNIPA_TYPE_DIGITS)
CNIPA_NEW = rf"^[0-9]{{4}}[{_TYPES}][0-9]{{7}}\.[0-9X]$"  # since 2003-10: YYYY T NNNNNNN . C
CNIPA_OLD = rf"^[0-9]{{2}}[{_TYPES}][0-9]{{5}}\.[0-9X]$"  # before: YY T NNNNN . C
# Check character: Σ dᵢwᵢ mod 11 over the digits before the dot (10 → X). The 8-digit form uses
# the first eight weights 2..9; the 12-digit form 2..9 then 2..5.
CNIPA_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_SHAPE = r"^[0-9A-HJ-NP-RTUWXY]{18}$"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    USCC_VALUE[ord(_c)] = _i

CNIPA_CHECK = np.frombuffer(b"0123456789X", dtype=np.uint8)


def cnipa_remainders(matrix: np.ndarray, width: int) -> np.ndarray:
    """Σ dᵢwᵢ mod 11 over the first `width` digit columns of an ASCII matrix."""
    # Column by column in int16 (the sum is at most 12·9·9): much faster than an int matmul.
    total = np.zeros(len(matrix), dtype=np.int16)
    for k in range(width):
        total += (matrix[:, k].astype(np.int16) - 48) * np.int16(CNIPA_WEIGHTS[k])
    return total % 11
