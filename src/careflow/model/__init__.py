"""Child-level demand model: states, rates, projection, Monte Carlo, backtest (DESIGN 5.1).

Typical use::

    from careflow.model import fit, project
    model = fit(data)                                         # data: Ssda903Data or its episodes DataFrame
    proj = project(model, end=dt.date(2031, 3, 31), runs=1000, rng=np.random.default_rng(1))
    proj = calibrate(proj, past_errors(data.episodes, model.data_end))  # bands as wide as the model's record
    proj.stock_table()                                         # date, category, age_band, mean, p10, p50, p90
"""

from careflow.model.adjust import NO_CHANGE, Adjustment, ExtraExit, FlowChanges, Move, NoChange, StepInfo
from careflow.model.calibration import PastErrors, calibrate, past_errors
from careflow.model.project import Projection, project, start_stock
from careflow.model.rates import FittedModel, fit
from careflow.model.states import DEFAULT_CATEGORIES, EXIT_GROUPS, AgeBands, age_bands, make_age_bands

__all__ = [
    "NO_CHANGE", "Adjustment", "AgeBands", "DEFAULT_CATEGORIES", "EXIT_GROUPS", "ExtraExit", "FittedModel",
    "FlowChanges", "Move", "NoChange", "PastErrors", "Projection", "StepInfo", "age_bands", "calibrate", "fit",
    "make_age_bands", "past_errors", "project", "start_stock",
]
