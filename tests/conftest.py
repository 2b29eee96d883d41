import os

import numpy as np
import pytest

# Real MNIST for tests that want it: the project's shared copy, unless the caller chose one.
_SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
if "NEURONAL_DATA" not in os.environ and os.path.isdir(os.path.join(_SHARED, "mnist")):
    os.environ["NEURONAL_DATA"] = _SHARED


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
