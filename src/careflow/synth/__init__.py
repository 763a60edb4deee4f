"""Synthetic SSDA903 returns for fictional LAs, calibrated to England's published figures.

Public API::

    generate(children_in_care, first_year, years, seed, output, faults=None, la_name="Anyshire", ...) -> Path
    synthesize(children_in_care, first_year, years, rng, ...) -> SynthLA      # DataFrames, nothing written
    returns_from(la) -> {year: {"header", "episodes", "uasc": DataFrame}}    # the yearly returns as text tables
    anyshire(output) -> Path                                                 # the embedded default LA
    generate_many(n_las, children_in_care, first_year, years, seed, output, layout="stacked") -> Path

``first_year`` is the year in which the first collection year ends (2020 means 2019-20; a label like "2019-20" is
accepted too). Output: ``<output>/<year>/header.csv, episodes.csv, uasc.csv``, one folder per collection year named
by the year it ends. See docs/synth.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.synth.faults import KINDS as FAULT_KINDS
from careflow.synth.faults import fault_log_frame, inject, parse_faults
from careflow.synth.generator import SynthLA, returns_from, simulate, write_returns
from careflow.synth.params import SynthParameters, load_synth_parameters

ANYSHIRE_SEED = 20250331
ANYSHIRE_CHILDREN_IN_CARE = 400
ANYSHIRE_FIRST_YEAR = 2020   # 2019-20
ANYSHIRE_YEARS = 6           # to 2024-25

__all__ = ["FAULT_KINDS", "SynthLA", "SynthParameters", "anyshire", "generate", "generate_many",
           "load_synth_parameters", "returns_from", "synthesize"]


def synthesize(children_in_care: int, first_year: int | str, years: int, rng: np.random.Generator,
               params: SynthParameters | None = None, *, la_name: str = "Anyshire", la_number: int = 999,
               postcode_area: str = "AN") -> SynthLA:
    """The lower-level generator: a :class:`SynthLA` with child and episode DataFrames (nothing written)."""
    return simulate(children_in_care, first_year, years, rng, params, la_name=la_name, la_number=la_number,
                    postcode_area=postcode_area)


def generate(children_in_care: int, first_year: int | str, years: int, seed: int, output: str | Path,
             faults: str | list[str] | dict[str, float] | None = None, *, la_name: str = "Anyshire",
             la_number: int = 999, fault_rate: float = 0.01, params: SynthParameters | None = None) -> Path:
    """Write ``years`` yearly SSDA903 returns of a fictional LA to ``output`` and return the folder.

    ``faults``: kinds to inject (``"overlap,invalid_code:0.05"``, a list, or {kind: rate}); the log of what was
    injected goes to ``<output>/faults.json``. Same arguments and seed give byte-identical files.
    """
    rng = np.random.default_rng(seed)
    sim_rng, fault_rng = rng.spawn(2)
    la = synthesize(children_in_care, first_year, years, sim_rng, params, la_name=la_name, la_number=la_number)
    returns = returns_from(la)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    fault_map = faults if isinstance(faults, dict) else parse_faults(faults, fault_rate)
    if fault_map:
        returns, log = inject(returns, fault_map, fault_rng)
        (out / "faults.json").write_text(json.dumps(fault_log_frame(log).to_dict(orient="records"), indent=1))
    return write_returns(returns, out)


def anyshire(output: str | Path) -> Path:
    """Build the embedded default LA, Anyshire: about 400 children in care, 2019-20 to 2024-25, fixed seed."""
    return generate(ANYSHIRE_CHILDREN_IN_CARE, ANYSHIRE_FIRST_YEAR, ANYSHIRE_YEARS, ANYSHIRE_SEED, output,
                    la_name="Anyshire")


def generate_many(n_las: int, children_in_care: int, first_year: int | str, years: int, seed: int,
                  output: str | Path, *, layout: str = "stacked", spread: float = 0.6) -> Path:
    """Many fictional LAs whose children in care add up to about ``children_in_care`` (sizes lognormal).

    ``layout="stacked"``: ``<output>/{header,episodes,uasc}.csv`` with ``LA`` and ``YEAR`` columns (the LIIA layout;
    YEAR as a label such as ``2020-21``). ``layout="folders"``: ``<output>/LA<number>/<year>/...``. Returns
    ``output``.
    """
    if layout not in ("stacked", "folders"):
        raise CareflowError(f"layout must be 'stacked' or 'folders', not {layout!r}", field="layout", rule="synth")
    rng = np.random.default_rng(seed)
    sizes = np.exp(spread * rng.standard_normal(n_las))
    sizes = np.maximum(np.round(sizes / sizes.sum() * children_in_care), 10).astype(int)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    params = load_synth_parameters()
    stacked: dict[str, list] = {"header": [], "episodes": [], "uasc": []}
    for i, (size, child_rng) in enumerate(zip(sizes, rng.spawn(n_las), strict=True)):
        la_code = 800 + i
        la = synthesize(int(size), first_year, years, child_rng, params, la_name=f"LA{la_code}", la_number=la_code)
        returns = returns_from(la)
        if layout == "folders":
            write_returns(returns, out / f"LA{la_code}")
            continue
        for year, tables in returns.items():
            label = FinancialYear.ending(year).label
            for name, df in tables.items():
                stacked[name].append(df.assign(LA=str(la_code), YEAR=label))
    if layout == "stacked":
        for name, frames in stacked.items():
            pd.concat(frames, ignore_index=True).to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return out
