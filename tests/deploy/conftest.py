"""The production servers, started as processes of their own with databases of their own.

They are marked `deploy`: CI runs them once, with the README's test command, and leaves them
out of the second pass over the suite on PostgreSQL, where they would test nothing new.
"""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/deploy/" in str(item.fspath):
            item.add_marker(pytest.mark.deploy)
