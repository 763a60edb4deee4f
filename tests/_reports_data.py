"""Inputs for the report tests, in the file contracts the other modules produce.

The H&F figures are the seed document's own (Cabinet 7 November 2016, BC2, £k); measures are computed here by hand
from them, independently of careflow.finance: payback "simple" 1 + (1,701 - 797) / 1,261 = 1.72 years; years 1-5
797 + 1,261 + 3 x 1,365 = 6,153; years 1-10 797 + 1,261 + 8 x 1,365 = 12,978 (the document says 13,978).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HF_INVESTMENT = {"2016-17": 446.0, "2017-18": 1055.0, "2018-19": 200.0}
HF_SAVINGS = {"2017-18": 797.0, "2018-19": 1261.0, "2019-20": 1365.0, "2020-21": 1365.0}

HF_CASE = {
    "reference": "BC2",
    "project_code": "SB-O2-BC2",
    "title": "Maximising Children's Social Care Effectiveness",
    "senior_responsible_officer": "Steve Miley / Dave Mcnamara",
    "directorate": "Children's Services",
    "service": "Family Services",
    "status": "approved",
    "units": "GBP thousands",
    "description": "A programme of efficiency projects and invest to save proposals that embed Focus on Practice.",
    "background": "The rate of children in care reductions has stalled.",
    "what_if_not": "Savings would mainly come from cutting staff in the front line teams.",
    "aims": ["Stabilise demand on the LAC placement budget", "Increase social work direct time"],
    "approach": "Projects A to H across managing demand and increasing capacity.",
    "assumptions": ["Savings are net and cashable", "No cost avoidance is counted"],
    "constraints": "Investment is one-off funding from the Efficiency Projects Reserve.",
    "options": [{"name": "Do nothing", "description": "Savings from cutting front line staff"},
                {"name": "Increase budget envelope", "description": "Fund demand pressures year on year"},
                {"name": "Implement the programme", "description": "Release efficiencies; manage demand",
                 "preferred": True}],
    "scope": {"in": ["Children's social care"], "out": ["Early help"]},
    "dependencies": ["Integrated Family Support programme"],
    "non_financial_benefits": "More direct time with families; fewer hand-offs.",
    "risks": [{"title": "Front line staff not involved and bought into the changes", "likelihood": "Medium",
               "impact": "High", "mitigation": "Staff in project design workshops", "owner": "Head of service"},
              {"title": "Increased demand reduces time to implement change", "likelihood": "Medium",
               "impact": "Medium", "mitigation": "Monthly demand monitoring at FSMT", "owner": "Director"}],
    "community_impact": {"who": "Children and families supported by Family Services",
                         "positive": "Fewer children entering care", "negative": "None identified",
                         "neutral": "None", "disproportionate": "None"},
    "indicators": [{"name": "Looked after children per 10,000", "baseline": 57.1, "target": 55.0,
                    "unit": "rate per 10,000"},
                   {"name": "Social worker direct time", "baseline": "20%", "target": "40%", "unit": "% of time"}],
    "milestones": [{"project": "Project A", "phase": "scoping and planning", "start": "2016-08-01",
                    "end": "2016-10-31"},
                   {"project": "Project A", "phase": "piloting", "start": "2016-11-01", "end": "2017-03-31"},
                   {"project": "Project F", "phase": "implementation", "start": "2016-09-01", "end": "2017-12-31"},
                   {"project": "Project F", "phase": "review", "start": "2018-01-01", "end": "2018-03-31"}],
    "lines": [
        {"name": "Project A social work support officers", "kind": "investment",
         "values": {"2016-17": 43, "2017-18": 44}},
        {"name": "Project B maintenance", "kind": "investment", "values": {"2016-17": 33, "2017-18": 33}},
        {"name": "Project D focus on parenting", "kind": "investment", "values": {"2017-18": 200, "2018-19": 200}},
        {"name": "Project F family assist mk1", "kind": "investment", "values": {"2016-17": 134, "2017-18": 267}},
        {"name": "Project G family assist mk2", "kind": "investment", "values": {"2016-17": 155, "2017-18": 311}},
        {"name": "Project H placement commissioning", "kind": "investment", "values": {"2017-18": 100}},
        {"name": "Programme management", "kind": "investment", "values": {"2016-17": 81, "2017-18": 100}},
        {"name": "Placement budget reduction in usage", "kind": "saving",
         "values": {"2017-18": 530, "2018-19": 920, "2019-20": 920, "2020-21": 920}},
        {"name": "Placement budget reduction in usage and unit costs", "kind": "saving",
         "values": {"2017-18": 267, "2018-19": 591, "2019-20": 695, "2020-21": 695}},
        {"name": "Project H reduce placement unit costs", "kind": "saving",
         "values": {"2018-19": 100, "2019-20": 100, "2020-21": 100}},
        {"name": "Ongoing costs - Family Assist and LAC Assist (netted)", "kind": "saving",
         "values": {"2018-19": -350, "2019-20": -350, "2020-21": -350}},
    ],
}


def hf_appraisal() -> dict:
    """The appraisal of H&F BC2 as careflow appraise reports it (figures computed by hand above)."""
    fys = ["2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "2024-25",
           "2025-26", "2026-27"]
    years, cum = [], 0.0
    for fy in fys:
        inv = HF_INVESTMENT.get(fy, 0.0)
        sav = HF_SAVINGS.get(fy, 1365.0 if fy > "2020-21" else 0.0)
        net = sav - inv
        cum += net
        years.append({"financial_year": fy, "investment": inv, "savings": sav, "ongoing_costs": 0.0, "net": net,
                      "cumulative_net": cum})
    npv = sum(y["net"] / 1.035 ** t for t, y in enumerate(years))
    return {
        "units": "GBP thousands",
        "measures": {"payback_years_simple": 1 + (1701 - 797) / 1261, "payback_years_cashflow": 2 + 904 / 1261,
                     "total_savings_years_1_to_5": 6153.0, "total_savings_years_1_to_10": 12978.0, "npv": npv,
                     "benefit_cost_ratio": sum(y["savings"] / 1.035 ** t for t, y in enumerate(years)) /
                     sum(y["investment"] / 1.035 ** t for t, y in enumerate(years))},
        "years": years,
        "checks": [{"item": "Total savings years 1 to 5", "stated": 6153, "computed": 6153, "ok": True},
                   {"item": "Total savings years 1 to 10", "stated": 13978, "computed": 12978, "ok": False},
                   {"item": "Total investment 2017-18", "stated": 1095, "computed": 1055, "ok": False},
                   {"item": "Payback period (simple), years", "stated": 1.72, "computed": 1.72, "ok": True}],
        "settings": {"discount_rate": 0.035, "optimism_bias": 0.0},
    }


# Haringey Cabinet 17 March 2015, Table 3 (£000s, incremental by year).
HARINGEY_TABLE_3 = [
    ("Early Years", 220, 1070, 150), ("Services for Young People including Young Offenders", 1700, 400, 0),
    ("Public Health - 5-19", 196, 138, 414), ("Impact of Early Help on Demand", 200, 400, 400),
    ("New delivery model for Social Care", 180, 1290, 1100), ("LAC & Sufficiency", 2000, 2000, 1100),
    ("Special Educational Needs & Disabilities", 0, 600, 900), ("Enablers", 250, 250, 0),
    ("Services to Schools", 618, 657, 331), ("Pendarren (subject to Options Appraisal)", 0, 220, 0)]


def haringey_cases() -> list[tuple[dict, dict]]:
    """Each Table 3 proposal as a case and its appraisal (savings against baseline = running sum)."""
    out = []
    for i, (name, *inc) in enumerate(HARINGEY_TABLE_3):
        cum = np.cumsum(inc).tolist()
        years = [{"financial_year": fy, "investment": 0.0, "savings": float(s), "ongoing_costs": 0.0,
                  "net": float(s), "cumulative_net": float(sum(cum[: k + 1]))}
                 for k, (fy, s) in enumerate(zip(["2015-16", "2016-17", "2017-18"], cum, strict=True))]
        out.append(({"reference": f"P1.{i + 1}", "title": name, "directorate": "Children and Young People",
                     "status": "planned", "saving_type": "cashable", "units": "GBP thousands"},
                    {"units": "GBP thousands", "years": years, "measures": {}, "checks": []}))
    return out


def sample_forecast(months: int = 24, seed: int = 7) -> pd.DataFrame:
    """A forecast table like forecast.csv: two categories, one age band plus totals; numbers chosen by hand."""
    dates = pd.date_range("2026-04-30", periods=months, freq="ME")
    rows = []
    for k, d in enumerate(dates):
        fost = 300 + 2 * k
        resi = 40 + 0.5 * k
        for cat, mean in (("fostering", fost), ("residential", resi), ("all", fost + resi)):
            spread = 0.02 * mean * np.sqrt(k + 1)
            rows.append({"date": d.date().isoformat(), "category": cat, "age_band": "all", "mean": mean,
                         "p10": round(mean - spread), "p50": round(mean), "p90": round(mean + spread)})
    return pd.DataFrame(rows)


def sample_costs() -> pd.DataFrame:
    """costs.csv shape, pounds: fostering 300 children x £600/week ~ £9.4m a year, etc."""
    rows = []
    for fy, fost, resi in (("2026-27", 9_400_000.0, 12_000_000.0), ("2027-28", 10_100_000.0, 13_500_000.0)):
        for cat, m in (("fostering", fost), ("residential", resi), ("all", fost + resi)):
            rows.append({"financial_year": fy, "category": cat, "mean": m, "p10": 0.9 * m, "p50": m,
                         "p90": 1.12 * m})
    return pd.DataFrame(rows)


def sample_difference() -> pd.DataFrame:
    """difference.csv shape: two levers and the combined scenario, pounds, savings positive."""
    rows = []
    for fy, a, b, allv in (("2026-27", 120_000.0, 80_000.0, 190_000.0), ("2027-28", 300_000.0, 150_000.0,
                                                                           420_000.0)):
        for lever, v in (("reduce_entries", a), ("step_down", b), ("all", allv)):
            rows.append({"financial_year": fy, "lever": lever, "children_mean": v / 50_000, "care_days_mean": v / 140,
                         "pounds_mean": v, "pounds_p10": 0.5 * v, "pounds_p90": 1.5 * v})
    return pd.DataFrame(rows)


def sample_validation() -> dict:
    return {"issues": [{"rule": "1004", "severity": "error", "file": "episodes.csv", "row": 12, "child": "c1",
                        "field": "DECOM", "message": "start date after end date"},
                       {"rule": "PLACE", "severity": "warning", "file": "episodes.csv", "row": 30, "child": "c9",
                        "field": "PLACE", "message": "unknown placement code"}],
            "summary": {"errors": 1, "warnings": 1, "children": 412, "episodes": 1630, "years": [2022, 2023, 2024]}}


SAMPLE_PARAMETERS = [
    {"name": "unit_costs", "description": "Weekly unit cost by placement category", "unit": "GBP per week",
     "reference": "Cambridgeshire business case A/R.6.255 (2018-19): IFA £850, in-house fostering £350",
     "values": {"fostering_in_house": {"2018-04-01": 350}, "fostering_ifa": {"2018-04-01": 850}}},
    {"name": "discount_rate", "description": "Green Book discount rate", "unit": "fraction a year",
     "reference": "HM Treasury Green Book (2022), table 8", "values": {"2022-04-01": 0.035}},
]
