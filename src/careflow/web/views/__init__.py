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
]

NAV = [
    ("data.index", "Data", "Upload your SSDA903 returns, check them against the validation rules and see the "
                           "history of children looked after, starts and ceases."),
    ("forecast.index", "Forecast", "Forecast children in care and placement spend, with the range of likely outcomes."),
    ("benchmark.index", "Benchmark", "Compare any council with its statistical neighbours and England: the gap in "
                                     "children and pounds."),
    ("scenarios.index", "Scenarios", "Build a savings scenario lever by lever, run it and save it as a file."),
]
