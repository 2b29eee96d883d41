import pytest

import neuronal as nl


@pytest.fixture(autouse=True)
def fast_engine():
    """Engine tests test the fast engine, whatever NEURONAL_ENGINE says."""
    with nl.use_engine("fast"):
        yield
