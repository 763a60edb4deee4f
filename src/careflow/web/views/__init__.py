"""The web app's journeys: one blueprint per module (``bp``), registered from ``BLUEPRINTS``; the header's service
navigation and the home page's list come from ``NAV`` (endpoint, label, what it is for).

Add a journey with ONE line in each list.
"""

BLUEPRINTS = [
    "careflow.web.views.home",
    "careflow.web.views.data",
    "careflow.web.views.forecast",
    "careflow.web.views.benchmark",
    "careflow.web.views.scenarios",
    "careflow.web.views.cases",
    "careflow.web.views.portfolio",
    "careflow.web.views.tracking",
]

NAV = [
    ("data.index", "Data", "Upload your SSDA903 returns, check them against the validation rules and see the "
                           "history of children looked after, starts and ceases."),
    ("forecast.index", "Forecast", "Forecast children in care and placement spend, with the range of likely outcomes."),
    ("benchmark.index", "Benchmark", "Compare any council with its statistical neighbours and England: the gap in "
                                     "children and pounds."),
    ("scenarios.index", "Scenarios", "Build a savings scenario lever by lever, run it, save it as a file and take a business case's savings from it."),
    ("cases.index", "Business cases", "The register of business cases in the council's template: edit every "
                                      "section, appraise, move status, download as Word and Excel."),
    ("portfolio.index", "Portfolio and MTFS", "Every case rolled up by financial year, incremental and cumulative, "
                                              "by authority, directorate, type of saving and RAG."),
    ("tracking.index", "Delivery tracking", "Record planned, forecast and delivered savings by year, see the RAG "
                                            "and the indicators against their targets."),
]
