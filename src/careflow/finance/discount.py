"""Discounting: the Green Book declining schedule or a fixed rate, with year 0 the first year of the case.

The discount factor for year t is the product of 1/(1 + r_k) over k = 1..t, where r_k is the rate for year k
(3.5% for years up to 30 under the Green Book, then 3.0%, 2.5%, ...), so D_0 = 1 and D_31 = 1.035^-30 / 1.03.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from careflow.parameters import INTEGER, INTEGER_OR_NULL, NUMBER, load_parameter


@dataclass(frozen=True)
class RateBand:
    from_year: int
    to_year: int | None
    rate: float


@lru_cache(maxsize=1)
def green_book_schedule() -> tuple[RateBand, ...]:
    """The shipped schedule (``parameters/green_book_discount.yaml``)."""
    rows = load_parameter("green_book_discount").records({"from_year": INTEGER, "to_year": INTEGER_OR_NULL,
                                                         "rate": NUMBER})
    return tuple(RateBand(r["from_year"], r["to_year"], r["rate"]) for r in rows.values())


def rate_for_year(k: int, schedule: tuple[RateBand, ...] | None = None) -> float:
    """The rate applying to year ``k`` (k >= 1: the step from year k-1 to k)."""
    for band in schedule or green_book_schedule():
        if k >= band.from_year and (band.to_year is None or k <= band.to_year):
            return band.rate
    raise ValueError(f"no discount rate for year {k}")


def discount_factors(n: int, discount: str | float = "green_book") -> list[float]:
    """Factors for years 0..n-1: ``"green_book"`` for the declining schedule or a fixed annual rate."""
    factors = []
    d = 1.0
    for t in range(n):
        if t > 0:
            r = rate_for_year(t) if discount == "green_book" else float(discount)
            d /= 1.0 + r
        factors.append(d)
    return factors
