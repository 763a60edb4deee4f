"""Inject realistic faults into synthetic returns, for testing readers and validators.

Each kind damages a share (``rate``, at least one row) of the rows of each year's return and logs what it did, so a
test can check that the validator reports it. Kinds (the Data to Insight 903 validator rule each should trigger):

=====================  ========================================================================  ==============
kind                   what it does                                                              expected rule
=====================  ========================================================================  ==============
invalid_code           replaces RNE, LS, CIN, PLACE or REC with a code that does not exist       143/144/145/146/149
invalid_sex            SEX "3" in the header                                                     101
dec_before_decom       DEC set a few days before DECOM                                           356
overlap                an episode starts before the previous one ended (DECOM moved earlier)     501
missing_header         drops a child's header row from every year's return                       (header)
dec_without_rec        blanks REC on an episode with a DEC                                       148
duplicate_row          repeats an episode row                                                    (duplicate)
bad_date               an impossible DECOM ("31/02/2021", "2021-13-45", "yesterday")              141
provider_mismatch      PLACE_PROVIDER PR3 (other public) on a foster placement or children's home  529
before_birth           DECOM before the child's date of birth                                    302
x1_no_next             REC X1 on a child's last episode of the year that ended before 31 March   388-like
iso_dates              every date in the year's files written as YYYY-MM-DD (not an error: the   (none)
                       reader must accept it)
=====================  ========================================================================  ==============
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from careflow.errors import CareflowError

KINDS = ("invalid_code", "invalid_sex", "dec_before_decom", "overlap", "missing_header", "dec_without_rec",
         "duplicate_row", "bad_date", "provider_mismatch", "before_birth", "x1_no_next", "iso_dates")
EXPECTED_RULE = {"invalid_code": "143/144/145/146/149", "invalid_sex": "101", "dec_before_decom": "356",
                 "overlap": "501", "missing_header": "header", "dec_without_rec": "148", "duplicate_row": "duplicate",
                 "bad_date": "141", "provider_mismatch": "529", "before_birth": "302", "x1_no_next": "388",
                 "iso_dates": ""}
INVALID = {"RNE": "Q", "LS": "Z9", "CIN": "N9", "PLACE": "U9", "REC": "E99"}


@dataclass(frozen=True)
class Fault:
    kind: str
    year: int
    table: str
    child: str
    field: str
    value: str


def parse_faults(spec: str | list[str] | None, default_rate: float = 0.01) -> dict[str, float]:
    """``"overlap,invalid_code:0.05"`` or a list of kinds -> {kind: rate}. ``all`` means every kind."""
    if not spec:
        return {}
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: dict[str, float] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        kind, _, rate = item.partition(":")
        kinds = [k for k in KINDS if k != "iso_dates"] if kind == "all" else [kind]
        for k in kinds:
            if k not in KINDS:
                raise CareflowError(f"unknown fault kind '{k}' (known: {', '.join(KINDS)})", field="faults",
                                    rule="synth")
            try:
                r = float(rate) if rate else default_rate
            except ValueError as exc:
                raise CareflowError(f"fault rate '{rate}' is not a number", field="faults", rule="synth") from exc
            if not 0 < r <= 1:
                raise CareflowError(f"fault rate {r} must be in (0, 1]", field="faults", rule="synth")
            out[k] = r
    return out


def _pick(rng, candidates: np.ndarray, rate: float) -> np.ndarray:
    if candidates.size == 0:
        return candidates
    k = max(1, int(round(rate * candidates.size)))
    return np.sort(rng.choice(candidates, size=min(k, candidates.size), replace=False))


def _to_iso(s: pd.Series) -> pd.Series:
    d = pd.to_datetime(s, format="%d/%m/%Y", errors="coerce")
    return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), s)


def inject(returns: dict[int, dict[str, pd.DataFrame]], faults: dict[str, float],
           rng: np.random.Generator) -> tuple[dict[int, dict[str, pd.DataFrame]], list[Fault]]:
    """Return damaged copies of ``returns`` and the log of every fault injected."""
    log: list[Fault] = []
    out: dict[int, dict[str, pd.DataFrame]] = {}
    headless: set[str] = set()   # children whose header rows go from every year (the reader reads all years)
    for year, tables in returns.items():
        ep = tables["episodes"].copy()
        hd = tables["header"].copy()
        uasc = tables["uasc"].copy()
        dates = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y")
        rows = np.arange(len(ep))
        for kind in KINDS:
            rate = faults.get(kind)
            if not rate:
                continue
            if kind == "invalid_code":
                for r in _pick(rng, rows, rate):
                    fld = rng.choice(["RNE", "LS", "CIN", "PLACE"] + (["REC"] if ep.at[r, "REC"] else []))
                    ep.at[r, fld] = INVALID[fld]
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], fld, INVALID[fld]))
            elif kind == "invalid_sex":
                for r in _pick(rng, np.arange(len(hd)), rate):
                    hd.at[r, "SEX"] = "3"
                    log.append(Fault(kind, year, "header", hd.at[r, "CHILD"], "SEX", "3"))
            elif kind == "dec_before_decom":
                for r in _pick(rng, rows[(ep["DEC"] != "").to_numpy()], rate):
                    v = (dates[r] - pd.Timedelta(days=int(rng.integers(1, 30)))).strftime("%d/%m/%Y")
                    ep.at[r, "DEC"] = v
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "DEC", v))
            elif kind == "overlap":
                same = (ep["CHILD"].to_numpy()[1:] == ep["CHILD"].to_numpy()[:-1])
                cand = rows[1:][same & (ep["DEC"].to_numpy()[:-1] != "")]
                for r in _pick(rng, cand, rate):
                    prev_start = pd.to_datetime(ep.at[r - 1, "DECOM"], format="%d/%m/%Y")
                    prev_end = pd.to_datetime(ep.at[r - 1, "DEC"], format="%d/%m/%Y")
                    span = max((prev_end - prev_start).days, 2)
                    v = (prev_end - pd.Timedelta(days=int(rng.integers(1, span)))).strftime("%d/%m/%Y")
                    ep.at[r, "DECOM"] = v
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "DECOM", v))
            elif kind == "missing_header":
                for r in _pick(rng, np.arange(len(hd)), rate):
                    if hd.at[r, "CHILD"] not in headless:
                        headless.add(hd.at[r, "CHILD"])
                        log.append(Fault(kind, year, "header", hd.at[r, "CHILD"], "CHILD", ""))
            elif kind == "dec_without_rec":
                for r in _pick(rng, rows[(ep["REC"] != "").to_numpy()], rate):
                    ep.at[r, "REC"] = ""
                    ep.at[r, "REASON_PLACE_CHANGE"] = ""
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "REC", ""))
            elif kind == "bad_date":
                for r in _pick(rng, rows, rate):
                    v = str(rng.choice(["31/02/2021", "2021-13-45", "yesterday", "00/00/0000"]))
                    ep.at[r, "DECOM"] = v
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "DECOM", v))
            elif kind == "provider_mismatch":
                cand = rows[ep["PLACE"].isin(["U1", "U2", "U3", "U4", "U5", "U6", "K1", "K2"]).to_numpy()]
                for r in _pick(rng, cand, rate):
                    ep.at[r, "PLACE_PROVIDER"] = "PR3"
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "PLACE_PROVIDER", "PR3"))
            elif kind == "before_birth":
                dob = pd.to_datetime(hd.set_index("CHILD")["DOB"], format="%d/%m/%Y")
                cand = rows[(ep["RNE"] == "S").to_numpy() & ep["CHILD"].isin(dob.index).to_numpy()]
                for r in _pick(rng, cand, rate):
                    v = (dob[ep.at[r, "CHILD"]] - pd.Timedelta(days=int(rng.integers(10, 400)))).strftime("%d/%m/%Y")
                    ep.at[r, "DECOM"] = v
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "DECOM", v))
            elif kind == "x1_no_next":
                last = np.r_[ep["CHILD"].to_numpy()[1:] != ep["CHILD"].to_numpy()[:-1], True]
                cand = rows[last & (ep["REC"] != "").to_numpy() & (ep["REC"] != "X1").to_numpy()]
                for r in _pick(rng, cand, rate):
                    ep.at[r, "REC"] = "X1"
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "REC", "X1"))
            elif kind == "duplicate_row":
                dup = _pick(rng, rows, rate)
                for r in dup:
                    log.append(Fault(kind, year, "episodes", ep.at[r, "CHILD"], "", ""))
                ep = pd.concat([ep, ep.iloc[dup]]).sort_index(kind="stable").reset_index(drop=True)
                rows = np.arange(len(ep))
                dates = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y", errors="coerce")
            elif kind == "iso_dates":
                for col in ("DECOM", "DEC"):
                    ep[col] = _to_iso(ep[col])
                hd["DOB"] = _to_iso(hd["DOB"])
                uasc["DOB"], uasc["DUC"] = _to_iso(uasc["DOB"]), _to_iso(uasc["DUC"])
                log.append(Fault(kind, year, "all", "", "dates", "ISO"))
        out[year] = {"header": hd, "episodes": ep, "uasc": uasc}
    if headless:
        for tables in out.values():
            tables["header"] = tables["header"][~tables["header"]["CHILD"].isin(headless)].reset_index(drop=True)
    return out, log


def fault_log_frame(log: list[Fault]) -> pd.DataFrame:
    return pd.DataFrame([f.__dict__ for f in log], columns=["kind", "year", "table", "child", "field", "value"])
