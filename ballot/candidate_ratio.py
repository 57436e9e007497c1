"""The 差额 rule: a selection list has more candidates than seats, by the election's ratio.

This is the one place the rule lives. Adoption of a candidate list, a round
made by hand (web form or ``piaojue round create``), the rehearsal and the demo
all reach :func:`check_candidates` through ``rounds.create_round``; a further
round (补充票决) sizes its list with :func:`candidate_bounds`. A runoff among
tied projects is the one exception: its candidates are fixed by the tie.

The ratio is the election's own, two fractions of the seats: 1/5 to 1/2 by
default (5 seats: 6 or 7 candidates), and as wide as the county decides, up to
``MAX_SURPLUS`` times the seats (80 candidates for 10 projects is a surplus of 7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ballot.errors import InvalidInput

Fraction = tuple[int, int]
MAX_SURPLUS = 10
"""The largest upper ratio an election may set: ten extra candidates per seat."""


@dataclass(frozen=True)
class CandidateBounds:
    """How many candidates a list for ``seats`` seats may have, both ends included."""

    seats: int
    fewest: int
    most: int

    def admits(self, count: int) -> bool:
        return self.fewest <= count <= self.most


def check_ratio(lower: Fraction, upper: Fraction) -> None:
    """Two fractions of the seats, the smaller first, the larger at most ``MAX_SURPLUS``."""
    (lo_n, lo_d), (hi_n, hi_d) = lower, upper
    if not (lo_d > 0 and hi_d > 0 and 0 <= lo_n * hi_d <= hi_n * lo_d
            and hi_n <= MAX_SURPLUS * hi_d):
        raise InvalidInput("the candidate ratio is two fractions, the smaller first, the larger "
                           "at most %(most)s (e.g. 1/5 to 1/2)", most=MAX_SURPLUS)


def candidate_bounds(ratio: tuple[Fraction, Fraction] | list[list[int]], seats: int
                     ) -> CandidateBounds:
    """Seats plus at least the lower fraction, rounded up, and at most the upper, rounded
    down; never fewer than one extra candidate, and the upper end never below the lower
    (one seat with 1/5 to 1/2 takes exactly two candidates)."""
    (lo_n, lo_d), (hi_n, hi_d) = ratio
    fewest = seats + max(1, math.ceil(seats * lo_n / lo_d)) if lo_n else seats
    most = max(fewest, seats + math.floor(seats * hi_n / hi_d))
    return CandidateBounds(seats=seats, fewest=fewest, most=most)


def check_candidates(ratio: tuple[Fraction, Fraction] | list[list[int]], seats: int,
                     count: int) -> None:
    bounds = candidate_bounds(ratio, seats)
    if not bounds.admits(count):
        raise InvalidInput("%(count)s candidates for %(seats)s seats: the list needs between "
                           "%(lo)s and %(hi)s candidates (差额)", count=count, seats=seats,
                           lo=bounds.fewest, hi=bounds.most)
