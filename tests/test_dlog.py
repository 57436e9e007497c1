"""Recovering counts from m*G (crypto.dlog), as the tally of §8 does for every cell.

A count of zero is the identity, the largest legitimate count is the bound
itself, and anything above the bound (or a point that is no small multiple
of G at all) must be a named error rather than a wrong count.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.dlog import DiscreteLog, discrete_log, discrete_log_for
from crypto.errors import DiscreteLogNotFound
from crypto.group import IDENTITY, G, L, base_mul
from crypto.rng import SeededRandomness, random_scalar

BOUND = 100_000


@pytest.mark.parametrize("m", [0, 1, 2, 3, 316, 317, 318, 1000, 31_622, 99_999, BOUND])
def test_finds_known_counts_up_to_the_bound(m):
    """Every count in 0..bound, including the edges of the baby/giant steps, is found."""
    assert discrete_log(base_mul(m), BOUND) == m


def test_zero_is_the_identity():
    """An empty aggregate decrypts to O; its count is 0, not an error."""
    assert base_mul(0) == IDENTITY
    assert discrete_log(IDENTITY, BOUND) == 0
    assert discrete_log(IDENTITY, 0) == 0


def test_one_is_the_generator():
    assert discrete_log(G, BOUND) == 1
    assert discrete_log(G, 1) == 1


@given(m=st.integers(0, BOUND))
def test_sampled_counts_up_to_100000(m):
    """Hypothesis-sampled counts in 0..100000 all come back exactly."""
    assert discrete_log(base_mul(m), BOUND) == m


@given(data=st.data())
def test_every_small_bound_is_exact(data):
    """For any bound, the bound itself is found and bound + k (k >= 1) is refused."""
    bound = data.draw(st.integers(0, 400), label="bound")
    m = data.draw(st.integers(0, bound), label="m")
    assert discrete_log(base_mul(m), bound) == m
    assert discrete_log(base_mul(bound), bound) == bound
    over = data.draw(st.integers(bound + 1, bound + 500), label="over")
    with pytest.raises(DiscreteLogNotFound, match=f"between 0 and {bound}"):
        discrete_log(base_mul(over), bound)


@pytest.mark.parametrize("bound", [0, 1, 2, 15, 16, 17, 99, 100, BOUND])
def test_bound_plus_one_is_refused(bound):
    """More votes than ballots cast is impossible; it must not be reported as a count."""
    assert discrete_log(base_mul(bound), bound) == bound
    with pytest.raises(DiscreteLogNotFound, match=f"not a count between 0 and {bound}"):
        discrete_log(base_mul(bound + 1), bound)


@pytest.mark.parametrize("m", [-1, -2, L - 5])
def test_negative_counts_are_refused(m):
    """(-1)*G is (L-1)*G: far outside 0..bound, so not a count."""
    with pytest.raises(DiscreteLogNotFound):
        discrete_log(base_mul(m), BOUND)


def test_random_point_is_refused():
    """A point that is no small multiple of G (e.g. a wrong decryption) is an error."""
    rng = SeededRandomness("dlog random point")
    for _ in range(3):
        with pytest.raises(DiscreteLogNotFound):
            discrete_log(base_mul(random_scalar(rng)), BOUND)


def test_negative_bound_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        DiscreteLog(-1)


def test_table_is_reused_per_bound():
    """The baby-step table is built once per bound and shared by every cell."""
    assert discrete_log_for(BOUND) is discrete_log_for(BOUND)
    solver = DiscreteLog(BOUND)
    assert solver.step * solver.step > BOUND
    assert solver.solve(base_mul(54_321)) == 54_321
