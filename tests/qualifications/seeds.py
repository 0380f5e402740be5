"""Where the seed documents are, and the mark for tests that need them.

The tests skip on a developer's checkout without the seeds, but never in CI: there (``CI`` set)
a missing seed directory makes them fail instead of hiding them.
"""

import os

import pytest

from tests.conftest import SEEDS_DIR

needs_seeds = pytest.mark.skipif(
    not SEEDS_DIR.is_dir() and not os.environ.get("CI"),
    reason=f"the seed documents are not at {SEEDS_DIR}",
)

# In CI without seeds, one parameter that names the problem, so the test fails rather than
# collecting no cases at all.
SEED_NAMES = sorted(p.name for p in SEEDS_DIR.glob("*.txt")) or ["(no seed documents found)"]

__all__ = ["SEEDS_DIR", "SEED_NAMES", "needs_seeds"]
