"""How often, and how soon, each outcome is reached: the shape of the generated funnel.

A `Profile` is keyed by metric id. For a metric without prerequisites, `rate` is the share of
all participants who reach it; for a metric with prerequisites, the share of those who reached
every prerequisite (a conversion rate, so that a funnel reads step by step). `delay_days` is
the range of days after the start (or after the latest prerequisite plus its gap) on which it
is reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class Profile:
    rate: float
    delay_days: tuple[int, int] = (0, 90)
    # the funnel's step before this one when the spec does not chain them (sustained 6 months
    # needs only entry + 6 months in the spec, but in life follows sustained 3 months)
    after: str | None = None
    # alternatives: reached only by those who did not reach these (part-time or full-time)
    instead_of: tuple[str, ...] = ()


# A metric no profile names: reached now and then, within half a year.
DEFAULT_PROFILE = Profile(rate=0.1, delay_days=(14, 180))

# Ambition (Fair Chance Fund, INDIGO-POJ-0131): of 370 who entered accommodation, 328, 288, 235
# and 201 sustained it at 3, 6, 12 and 18 months. Each step is a share of the step before.
ACCOMMODATION_FUNNEL = (370, 328, 288, 235, 201)
SUSTAINMENT_RATES = tuple(later / earlier for earlier, later in pairwise(ACCOMMODATION_FUNNEL))

_SUSTAINED = ("3m", "6m", "12m", "18m")

# The Fair Chance Fund rate card (contract_specs/examples/fair-chance-fund-ambition.yaml).
# Assessments and accommodation follow Ambition; the other rates are assumed, chosen so that a
# participant has about four evidence rows on average.
FAIR_CHANCE_FUND: Mapping[str, Profile] = {
    "assessment_initial": Profile(0.92, (0, 21)),
    "assessment_second": Profile(0.60, (28, 90)),
    "assessment_third": Profile(0.50, (60, 150)),
    "accommodation_entry": Profile(0.38, (7, 150)),
    **{
        f"accommodation_sustained_{step}": Profile(
            rate,
            (0, 14),  # a landlord letter dated soon after the anniversary
            after=f"accommodation_sustained_{previous}" if index else None,
        )
        for index, (step, previous, rate) in enumerate(
            zip(_SUSTAINED, ("", *_SUSTAINED), SUSTAINMENT_RATES, strict=False)
        )
    },
    "education_entry": Profile(0.20, (14, 365)),
    "qualification_entry_level": Profile(0.08, (60, 400)),
    "qualification_level_1": Profile(0.10, (90, 540)),
    "qualification_level_2": Profile(0.05, (180, 720)),
    "employment_entry": Profile(0.15, (60, 540)),
    "employment_part_time_13w": Profile(0.30, (0, 14)),
    "employment_part_time_26w": Profile(0.70, (0, 14), after="employment_part_time_13w"),
    "employment_full_time_13w": Profile(0.35, (0, 14), instead_of=("employment_part_time_13w",)),
    "employment_full_time_26w": Profile(0.70, (0, 14), after="employment_full_time_13w"),
    "volunteering_6w": Profile(0.08, (42, 300)),
    "volunteering_13w": Profile(0.70, (49, 63), after="volunteering_6w"),
    "volunteering_20w": Profile(0.70, (49, 63), after="volunteering_13w"),
    "volunteering_26w": Profile(0.80, (42, 56), after="volunteering_20w"),
}
