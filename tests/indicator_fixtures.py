"""A small SSDA903 return (2021-22) whose indicators are counted by hand in tests/test_indicators.py.

Children (31 March 2022 is the count day; the collection year runs 1 April 2021 to 31 March 2022):

A  boy, 12, WBRI   in-house foster placement since 1 June 2019 (one placement); placed locally (AN2)
B  girl, 14, BAFR, UASC   IFA 10 Jan 2019 -> external residential 1 May 2021 -> IFA 1 Oct 2021 (3 placements in
                   the year); placed out of area (BX1)
C  boy, 16, WBRI   in-house children's home since 1 Nov 2020; legal status changed 1 Aug 2021 (RNE L, merged by
                   cleaning); no placement postcode
D  girl, 0, MWBC   kinship foster placement since 1 July 2021 (started in the year)
E  boy, 9, WBRI    IFA 1 June 2021, returned home 1 December 2021 (started and ceased in the year)
F  girl, 11        short breaks only (V3): excluded from every count
G  boy, 17, WBRI   in-house fostering 1 April 2018, returned home 30 June 2021 (ceased in the year)
H  girl, 5, no ethnicity   in-house fostering 1 May 2019 -> placed for adoption (A4) 1 Oct 2020
"""

from __future__ import annotations

from careflow.ssda903.codes import TABLE_COLUMNS
from ssda903_fixtures import write_return


def _ep(child, decom, rne, ls, place, provider, dec="", rec="", pl_post="", reason=""):
    base = dict.fromkeys(TABLE_COLUMNS["episodes"], "")
    return {**base, "CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "CIN": "N1", "PLACE": place,
            "PLACE_PROVIDER": provider, "DEC": dec, "REC": rec, "REASON_PLACE_CHANGE": reason,
            "HOME_POST": "AN1 1AA", "PL_POST": pl_post}


def _h(child, sex, dob, ethnic):
    return {"CHILD": child, "SEX": sex, "DOB": dob, "ETHNIC": ethnic, "UPN": "", "MOTHER": "", "MC_DOB": ""}


def tables() -> dict[str, list[dict]]:
    header = [_h("A", "1", "01/01/2010", "WBRI"), _h("B", "2", "01/03/2008", "BAFR"),
              _h("C", "1", "01/06/2005", "WBRI"), _h("D", "2", "15/06/2021", "MWBC"),
              _h("E", "1", "02/02/2012", "WBRI"), _h("F", "2", "01/01/2011", "WBRI"),
              _h("G", "1", "01/04/2004", "WBRI"), _h("H", "2", "01/01/2017", "")]
    episodes = [
        _ep("A", "01/06/2019", "S", "C2", "U4", "PR1", pl_post="AN2 2BB"),
        _ep("B", "10/01/2019", "S", "C2", "U5", "PR4", "01/05/2021", "X1", "BX1 1AA"),
        _ep("B", "01/05/2021", "P", "C2", "R1", "PR4", "01/10/2021", "X1", "BX1 1AB", "CARPL"),
        _ep("B", "01/10/2021", "P", "C2", "U6", "PR4", pl_post="BX1 1AC", reason="CARPL"),
        _ep("C", "01/11/2020", "S", "V2", "K2", "PR1", "01/08/2021", "X1"),
        _ep("C", "01/08/2021", "L", "C2", "K2", "PR1"),
        _ep("D", "01/07/2021", "S", "C2", "U1", "PR1", pl_post="AN3 3CC"),
        _ep("E", "01/06/2021", "S", "V2", "U4", "PR4", "01/12/2021", "E13", "AN5 5EE"),
        _ep("F", "01/09/2021", "S", "V3", "R1", "PR1", "05/09/2021", "E13", "AN6 6FF"),
        _ep("F", "30/03/2022", "S", "V3", "R1", "PR1", pl_post="AN6 6FF"),
        _ep("G", "01/04/2018", "S", "C2", "U4", "PR1", "30/06/2021", "E13", "AN7 7GG"),
        _ep("H", "01/05/2019", "S", "C2", "U4", "PR1", "01/10/2020", "X1", "AN8 8HH"),
        _ep("H", "01/10/2020", "P", "E1", "A4", "PR1", pl_post="AN4 4DD", reason="PLACE"),
    ]
    uasc = [{"CHILD": "B", "SEX": "2", "DOB": "01/03/2008", "DUC": "01/03/2026"}]
    return {"header": header, "episodes": episodes, "uasc": uasc}


def write(folder):
    return write_return(folder, tables(), "2021-22")
