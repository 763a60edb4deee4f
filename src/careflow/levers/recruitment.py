"""Foster carer recruitment: enquiries -> assessments -> approvals -> new in-house placements, month by month.

The pipeline is expected flows (no chance), counted in whole months from the month the campaign starts (month 0):

* enquiries in month j: ``enquiries_per_month`` (a number, or a list by month with the last value holding);
* assessments starting in month j = enquiries in month j - ``months_to_assessment`` x ``enquiry_to_assessment``;
* approvals in month j = assessments started in month j - ``assessment_months`` x ``assessment_to_approval``;
* placements added in month j = approvals x ``placements_per_household``, available from the approval month.

So an enquiry in month 0 becomes a placement in month ``months_to_assessment + assessment_months`` (A/R.6.255:
"enquiries ... will not convert into new placements for between four to six months"). Carers who stop fostering are
not modelled: the placements are net new, as the case counts them.
"""

from __future__ import annotations

import numpy as np

from careflow.levers.schema import Recruitment


def _enquiries(r: Recruitment, months: int) -> np.ndarray:
    e = r.enquiries_per_month
    if isinstance(e, list):
        return np.array([float(e[min(j, len(e) - 1)]) for j in range(months)])
    return np.full(months, float(e))


def pipeline(r: Recruitment, months: int) -> dict[str, np.ndarray]:
    """Expected enquiries, assessments started, approvals, placements added and placements available (cumulative)
    in each of ``months`` months from the campaign's start."""
    enquiries = _enquiries(r, months)
    assessments = np.zeros(months)
    approvals = np.zeros(months)
    for j in range(months):
        i = j - r.months_to_assessment
        if i >= 0:
            assessments[j] = enquiries[i] * r.enquiry_to_assessment
        i = j - r.assessment_months
        if i >= 0:
            approvals[j] = assessments[i] * r.assessment_to_approval
    added = approvals * r.placements_per_household
    return {"enquiries": enquiries, "assessments": assessments, "approvals": approvals, "placements_added": added,
            "placements_available": np.cumsum(added)}


def arrivals(r: Recruitment, months: int, cap: float | None = None) -> np.ndarray:
    """New placements available at each month from the campaign's start, at most ``cap`` (the lever's
    ``placements``)."""
    avail = pipeline(r, months)["placements_available"]
    return avail if cap is None else np.minimum(avail, cap)
