"""Savings by lever and financial year as a PNG (matplotlib, static)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def savings_chart(difference: pd.DataFrame, path: str | Path, title: str) -> Path:
    """Stacked bars of each lever's mean saving (£k) by financial year; the combined saving as a dot with its
    P10-P90 range. Costs (negative savings) stack below zero. Hatching keeps levers apart in greyscale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fys = list(dict.fromkeys(difference["financial_year"]))
    levers = [lv for lv in dict.fromkeys(difference["lever"]) if lv != "all"]
    x = np.arange(len(fys))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(fys) + 3), 4.5))
    pos = np.zeros(len(fys))
    neg = np.zeros(len(fys))
    hatches = ["", "//", "..", "xx", "\\\\", "--", "++", "oo"]
    cmap = plt.get_cmap("tab10")
    for k, lever in enumerate(levers):
        rows = difference[difference["lever"] == lever].set_index("financial_year")
        vals = np.array([rows["pounds_mean"].get(fy, 0.0) for fy in fys]) / 1000.0
        bottom = np.where(vals >= 0, pos, neg)
        ax.bar(x, vals, 0.6, bottom=bottom, label=lever, color=cmap(k % 10), hatch=hatches[k % len(hatches)],
               edgecolor="white", linewidth=0.5)
        pos += np.where(vals >= 0, vals, 0)
        neg += np.where(vals < 0, vals, 0)
    total = difference[difference["lever"] == "all"].set_index("financial_year")
    if len(total):
        mean = np.array([total["pounds_mean"].get(fy, 0.0) for fy in fys]) / 1000.0
        lo = np.array([total["pounds_p10"].get(fy, 0.0) for fy in fys]) / 1000.0
        hi = np.array([total["pounds_p90"].get(fy, 0.0) for fy in fys]) / 1000.0
        ax.errorbar(x, mean, yerr=[np.clip(mean - lo, 0, None), np.clip(hi - mean, 0, None)], fmt="o", color="black", capsize=4,
                    label="all levers (P10-P90)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, fys)
    ax.set_xlabel("financial year")
    ax.set_ylabel("saving against the baseline (£k)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
