"""``careflow demo``: the whole pipeline on the embedded synthetic LA, Anyshire.

Each capability adds its step here; the demo writes everything to one output folder and prints a short summary.
"""

from __future__ import annotations

from pathlib import Path

import click


def run_demo(output: str | Path) -> None:
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    click.echo(f"careflow demo: outputs in {out}")
    _demo_finance(out)


def _demo_finance(out: Path) -> None:
    """Appraise the example business cases (H&F BC2, Haringey Table 3) and roll them up into an MTFS table."""
    import json
    import re

    from careflow.finance.appraisal import appraise
    from careflow.finance.case import find_case_files, load_case
    from careflow.finance.portfolio import check_stated_totals_file, rollup
    from careflow.finance.render import appraisal_text, payback_text, portfolio_text

    examples = Path(__file__).resolve().parents[2] / "examples"
    if not (examples / "cases").is_dir():
        click.echo("finance: example cases not found (examples/cases in the source checkout); skipped")
        return
    folder = out / "finance"
    folder.mkdir(parents=True, exist_ok=True)
    cases = [load_case(f) for f in find_case_files([examples / "cases"])]
    wrong = 0
    for case in cases:
        result = appraise(case)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", case.reference)
        (folder / f"appraisal_{stem}.txt").write_text(appraisal_text(result), encoding="utf-8")
        (folder / f"appraisal_{stem}.json").write_text(json.dumps(result.to_dict(), indent=2, default=str),
                                                       encoding="utf-8")
        wrong += len(result.failed_checks)
        if case.reference == "BC2":
            m = result.measures
            click.echo(f"finance: BC2 payback {payback_text(m.payback_years_simple)} (simple), "
                       f"{payback_text(m.payback_years_cashflow)} (cash-flow); NPV £{m.npv:,.0f}k; "
                       f"{len(result.failed_checks)} stated figures disagree")
    portfolio = rollup(cases)
    stated = examples / "portfolios" / "haringey_table3.yaml"
    haringey = rollup([c for c in cases if c.reference.startswith("HGY-")])
    if stated.exists():
        check_stated_totals_file(haringey, stated)
    (folder / "portfolio.txt").write_text(portfolio_text(portfolio), encoding="utf-8")
    (folder / "portfolio.csv").write_text(portfolio.breakdown().to_csv(index=False), encoding="utf-8")
    (folder / "portfolio.json").write_text(json.dumps(portfolio.to_dict(), indent=2, default=str),
                                           encoding="utf-8")
    (folder / "haringey_table3.txt").write_text(portfolio_text(haringey), encoding="utf-8")
    total = haringey.by_year().loc["Total", "savings_incremental"]
    click.echo(f"finance: appraised {len(cases)} cases ({wrong} stated figures disagree); Haringey Table 3 "
               f"rolls up to £{total:,.0f}k; portfolio in {folder}")
