"""careflow: demand, cost and savings modelling for children's services in English local authorities.

Library first: the CLI (`careflow.cli`) and the web app are thin layers over this package.
"""

__version__ = "0.1.0"
