"""Shared test settings: hypothesis profiles, and the switch that turns a missing oracle into a failure."""

import os

import pytest
from hypothesis import HealthCheck, settings

# CI: derandomized (the same examples every run) and no deadline (a loaded machine is not a bug).
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def require(module_name: str):
    """Import an optional oracle (torch); skip without it, but fail when MICRODIFF_REQUIRE_<NAME>=1 says it
    must be there, so that CI can never report a skipped cross-check as a pass."""
    if os.environ.get(f"MICRODIFF_REQUIRE_{module_name.upper()}") == "1":
        return __import__(module_name)
    return pytest.importorskip(module_name)
