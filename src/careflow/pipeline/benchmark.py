"""Benchmark: one LA against its statistical neighbours and England, from a folder of DfE published statistics.

:func:`load_benchmark_data` reads the folder once (DfE children looked after figures, population, neighbour
lists, and when present the social work workforce file and the latest MHCLG RO3 revenue outturn); :func:`benchmark`
answers for any LA in it, as :class:`careflow.aggregate.Benchmark` (rates, the gap in children and pounds,
placement mix, spend and workforce)::

    data = pipeline.load_benchmark_data("../shared/data")
    data.local_authorities()                    # [(code, name), ...] the LAs with statistical neighbours
    b = pipeline.benchmark(data, "Cambridgeshire")
    b.gap.gap_children, b.gap.gap_pounds_a_year
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from careflow.aggregate.benchmark import Benchmark
from careflow.aggregate.benchmark import benchmark as benchmark_la
from careflow.dfe import CswwData, DfeData
from careflow.dfe.outturn import Outturn
from careflow.errors import CareflowError, Finding


@dataclass
class BenchmarkData:
    """What a benchmark is made from: the DfE figures and, when found, the workforce file and the RO3 outturn."""

    folder: Path
    dfe: DfeData
    csww: CswwData | None = None
    outturn: Outturn | None = None

    @property
    def findings(self) -> list[Finding]:
        """What the readers passed over or could not read (the DfE folder's, the workforce file's)."""
        return self.dfe.findings + (self.csww.findings if self.csww else [])

    def local_authorities(self, neighbour_model: str = "2025") -> list[tuple[str, str]]:
        """(old LA code, name) of every LA that has statistical neighbours in ``neighbour_model``, by name."""
        listed = self.dfe.neighbours.get(neighbour_model, {})
        las = self.dfe.las[self.dfe.las.old_la_code.isin(list(listed))]
        las = las.sort_values("last_year").drop_duplicates("old_la_code", keep="last")
        return sorted(zip(las.old_la_code, las.la_name, strict=True), key=lambda r: r[1])


def load_benchmark_data(folder: str | Path, *, workforce_file: str | Path | None = None,
                        outturn: str | Path | None = None) -> BenchmarkData:
    """Read the DfE figures under ``folder`` (searched recursively), the workforce file (``workforce_file``, else
    the one under ``folder`` if any) and an RO3 outturn (``outturn``, else the latest under ``folder`` if any).
    A folder without children looked after figures is a CareflowError."""
    from careflow.dfe import find_csww, read_csww, read_folder
    from careflow.dfe.outturn import find_outturn_files, read_outturn

    if not Path(folder).exists():
        raise CareflowError("no such folder", file=str(folder), rule="file")
    dfe = read_folder(folder)
    if dfe.series.empty:
        none = Finding("dfe-no-data", "no DfE children looked after figures (stock, starts or ceases by LA) "
                       "found", file=str(folder))
        raise CareflowError([*dfe.findings, none])
    path = find_csww(workforce_file or folder)
    if workforce_file and path is None:
        raise CareflowError("not a children's social work workforce file (no caseload_fte, agency_rate_fte "
                            "columns)", file=str(workforce_file), rule="csww-columns")
    if outturn is None:
        found = find_outturn_files(folder)
        outturn = found[-1] if found else None
    return BenchmarkData(Path(folder), dfe, read_csww(path) if path else None,
                         read_outturn(outturn) if outturn else None)


def benchmark(data: BenchmarkData | str | Path, la: str, year: int | None = None, *, neighbour_model: str = "2025",
              weekly_cost: float | None = None) -> Benchmark:
    """LA ``la`` (old code, ONS code or name) against its neighbours and England for ``year`` (default: the latest
    with its figures); the gap is priced at ``weekly_cost`` when given, else at the LA's own spend per child from
    the outturn, else England's."""
    if not isinstance(data, BenchmarkData):
        data = load_benchmark_data(data)
    return benchmark_la(data.dfe, la, year, neighbour_model=neighbour_model, weekly_cost=weekly_cost,
                        csww=data.csww, outturn=data.outturn)
