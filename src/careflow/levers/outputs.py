"""Write a priced scenario: difference.csv (by financial year), difference_by_month.csv and savings.png."""

from __future__ import annotations

import json
from pathlib import Path

from careflow import safecsv
from careflow.levers.chart import savings_chart
from careflow.levers.engine import ScenarioResult


def write_outputs(result: ScenarioResult, out: str | Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    diff = result.difference()
    paths = {"difference": out / "difference.csv", "by_month": out / "difference_by_month.csv",
             "chart": out / "savings.png", "summary": out / "summary.json"}
    safecsv.to_csv(diff, paths["difference"], index=False, float_format="%.2f")
    safecsv.to_csv(result.difference_by_month(), paths["by_month"], index=False, float_format="%.2f")
    savings_chart(diff, paths["chart"], f"{result.scenario.name}: savings by lever")
    summary = {
        "scenario": result.scenario.name, "file": result.scenario.file, "runs": result.runs,
        "deterministic": result.deterministic, "attribution": "Shapley" + ("" if result.exact else " (sampled)"),
        "first_month": result.month_starts[0].isoformat(), "last_day": result.month_ends[-1].isoformat(),
        "weekly_costs_first_year": result.weekly_costs,
        "levers": [{"name": lv.label(), "type": lv.type, "start": lv.start.isoformat()}  # type: ignore[attr-defined]
                   for lv in result.scenario.levers],
        "delivery": [d.as_dict() for d in result.delivery],
        "warnings": result.warnings(),
        "signs": "baseline minus scenario: savings, fewer children and fewer care-days are positive",
    }
    paths["summary"].write_text(json.dumps(summary, indent=2))
    return paths
