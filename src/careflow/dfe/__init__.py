"""Input layer for DfE published statistics (LA level): children looked after, ONS child population and the DfE
statistical neighbour lists; ``read_csww(path)`` reads the children's social work workforce indicators. ``read_folder(path)`` reads a folder of downloaded files in place."""

from careflow.dfe.csww import INDICATORS as CSWW_INDICATORS
from careflow.dfe.csww import CswwData, find_csww, read_csww
from careflow.dfe.reader import MEASURE_LABELS, MEASURES, DfeData, Neighbour, SourceFile, read_folder
from careflow.dfe.values import SUPPRESSION, half_up, parse_count, rate_per_10000

__all__ = ["CSWW_INDICATORS", "CswwData", "DfeData", "find_csww", "read_csww", "MEASURES", "MEASURE_LABELS", "Neighbour", "SUPPRESSION", "SourceFile", "half_up",
           "parse_count", "rate_per_10000", "read_folder"]
