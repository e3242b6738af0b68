"""Regenerate the synthetic sample ledgers in data/ (deterministic: same seed, same files).

    python scripts/make_sample_data.py [--seed N] [--scale X] [--out DIR]

The data is synthetic: enterprises, people and numbers are invented; identifiers are merely
well formed (valid check characters, credit codes in region 320509).
"""

import argparse
from pathlib import Path

from ipdemo.sample import generate, write

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=20210601)
parser.add_argument("--scale", type=float, default=1.0, help="multiplies the volume ledgers")
parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data")
args = parser.parse_args()
write(generate(args.seed, args.scale), args.out)
print(f"wrote {args.out}")
