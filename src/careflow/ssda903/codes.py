"""SSDA903 code lists: the valid values of each coded field and the grouping of exit reasons.

Sources: DfE "Children looked after return 2024 to 2025: guide" code annexes, as implemented by the Data to Insight
903 validator (data-to-insight/csc-validator-be-903; rules 101, 143-149, 178, 526-531); placement codes from
``shared/data/reference/ssda903_placement_codes_compiled.csv``. Older codes still found in multi-year data (RNE B,
REC E43/E44 before 2019) are accepted.
"""

from __future__ import annotations

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
}
# Columns a table cannot be used without (the rest may be missing: reported, read as blank).
ESSENTIAL: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "DOB"),
    "episodes": ("CHILD", "DECOM"),
    "uasc": ("CHILD",),
}
STACKED_COLUMNS = ("LA", "YEAR")

# Other SSDA903 tables: recognised and passed over (info).
OTHER_TABLES: dict[str, tuple[str, ...]] = {
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "oc2": ("CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR"),
    "placed_for_adoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "previous_permanence": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "sw_episodes": ("CHILD", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
}

RNE = frozenset({"S", "P", "L", "T", "U", "B"})
LS = frozenset({"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"})
CIN = frozenset({f"N{i}" for i in range(1, 9)})
PLACE = frozenset({"A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1", "R2", "R3", "R5",
                   "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1", "Z11", "Z12",
                   "Z13", "Z14"})
PLACE_PROVIDER = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})
# Placements recorded without a provider (rule 178: provider must be blank; rule 526 does not apply).
NO_PROVIDER_PLACE = frozenset({"T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14"})
SEX = frozenset({"1", "2", "M", "F", "U"})
SEX_LABEL = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}
SHORT_BREAK_LS = frozenset({"V3", "V4"})
CONTINUATION_RNE = frozenset({"L", "T", "U"})

# Rules 527-531: provider codes that cannot go with these placements.
PROVIDER_INVALID_FOR_PLACE: dict[str, tuple[str, frozenset[str]]] = {
    "527": ("PR1", frozenset({"P1", "R2", "R5"})),
    "528": ("PR2", frozenset({"P1", "R2", "R5"})),
    "529": ("PR3", frozenset({"P1", "A3", "A4", "A5", "A6", "K1", "K2", "U1", "U2", "U3", "U4", "U5", "U6"})),
    "530": ("PR4", frozenset({"P1"})),
    "531": ("PR5", frozenset({"P1"})),
}

# Exit reasons grouped as in DESIGN.md 4.1. E43/E44 (SGO, to 2018-19) are accepted as old codes.
EXIT_GROUPS: dict[str, tuple[str, ...]] = {
    "adoption": ("E11", "E12"),
    "sgo": ("E43", "E44", "E45", "E46", "E47", "E48"),
    "cao": ("E41",),
    "return_home": ("E13", "E4A", "E4B"),
    "adulthood": ("E5", "E6", "E7", "E17"),
    "other": ("E2", "E3", "E8", "E9", "E14", "E15", "E16"),
}
EXIT_GROUP_OF = {code: group for group, codes in EXIT_GROUPS.items() for code in codes}
REC = frozenset(EXIT_GROUP_OF) | {"X1"}
