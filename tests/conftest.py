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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (NEURONAL_CI=1, set by .ci/run) a skipped test is a failure: CI installs every
    component the tests need, so a skip there means something is missing."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("NEURONAL_CI") == "1" and report.skipped and not hasattr(report,
                                                                               "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI: {report.longrepr}"
