"""The web app's journeys: one blueprint per module (``bp``), registered from ``BLUEPRINTS``; the header's service
navigation and the home page's list come from ``NAV`` (endpoint, label, what it is for).

Add a journey with ONE line in each list.
"""

BLUEPRINTS = [
    "careflow.web.views.home",
    "careflow.web.views.data",
]

NAV = [
    ("data.index", "Data", "Upload your SSDA903 returns, check them against the validation rules and see the "
                           "history of children looked after, starts and ceases."),
]
