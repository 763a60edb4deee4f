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
