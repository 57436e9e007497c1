"""Shared fixtures. Hypothesis runs few examples because every example does
real elliptic-curve work; deadlines are off because timing is measured by
bench/, never asserted in tests."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=int(os.environ.get("PIAOJUE_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")
