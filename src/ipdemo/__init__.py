"""ipdemo: track a government IP plan's targets from plain CSV ledgers."""

import os

# numpy's OpenBLAS starts a thread per core that spins for ~0.1 s of CPU once numpy is imported
# (measured: `import numpy` 0.15 s of user time, 0.05 s with one thread). ipdemo does no linear
# algebra, and on a two-core machine that spin takes the core a report's reading threads need.
# Set before numpy is first imported; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
