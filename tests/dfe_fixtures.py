"""Small files in the DfE layouts for unit tests (no /work/shared needed). Numbers are made up but consistent."""

from __future__ import annotations

from pathlib import Path

RATES_HEADER = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
                "old_la_code,la_name,new_la_code,population_count,population_estimate,number,rate_per_10000")
MEASURE_TEXT = {"cla": "Children looked after at 31 March each year",
                "starts": "Children starting to be looked after each year",
                "ceases": "Children ceasing to be looked after each year"}
# code -> (name, new code)
LAS = {"101": ("Alphaford", "E06000901"), "102": ("Betaham", "E06000902"), "103": ("Gammaton", "E06000903"),
       "104": ("Deltaby", "E06000904"), "105": ("North Deltaby", "E06000905")}
POP = {"101": 20000, "102": 10000, "103": 40000, "104": 25000, "105": 5000}


def rates_row(year, code, measure, number, pop=None, rate=None, level="Local authority"):
    name, new = LAS.get(code, (f"Synth {code}", f"E0699{code:0>4}"))
    pop = POP.get(code, 100000) if pop is None else pop
    if rate is None:
        rate = round(float(number) / pop * 10000) if str(number).isdigit() else "z"
    if level == "National":
        return f"{year},Reporting year,National,E92000001,England,,,,,,{MEASURE_TEXT[measure]},{pop},{number},{rate}"
    return (f"{year},Reporting year,Local authority,E92000001,England,E12000009,Test Region,{code},{name},{new},"
            f"{MEASURE_TEXT[measure]},{pop},{number},{rate}")


def write_rates(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\ufeff" + RATES_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def stock(code: str, year: int) -> int:
    """A made-up but smooth stock series per LA."""
    base = {"101": 100, "102": 80, "103": 200, "104": 150, "105": 30}[code]
    return base + (year - 2019) * (int(code) - 102)


def write_folder(root: Path) -> Path:
    """Two overlapping releases (in oddly named subfolders), neighbours, population and an SFR table."""
    old, new = [], []
    for year in (2019, 2020):
        for code in LAS:
            for m, v in (("cla", stock(code, year)), ("starts", 20 + int(code) % 10), ("ceases", 18)):
                old.append(rates_row(year, code, m, v))
    for year in (2020, 2021):
        for code in LAS:
            for m, v in (("cla", stock(code, year) + (5 if year == 2020 else 0)), ("starts", 22), ("ceases", 20)):
                number = "c" if (code == "105" and m == "starts" and year == 2021) else v
                new.append(rates_row(year, code, m, number))
    for year in (2019, 2020, 2021):
        new.append(rates_row(year, "E", "cla", 1000, pop=200000, level="National"))
    write_rates(root / "a" / "old_download.csv", old)  # release 2020
    write_rates(root / "b" / "nested" / "zzz.csv", new)  # release 2021: revises 2020
    sn = root / "sn.csv"
    header = "old_la_code,la_name,region_ind,region_name," + ",".join(f"SN_{k},SN_{k}P" for k in range(1, 11))
    lines = [header]
    for code, (name, _) in LAS.items():
        others = [c for c in LAS if c != code]
        cells = ",".join(f"{o},Close " for o in others) + ",,," * (10 - len(others))
        lines.append(f"{code},{name},7,Test Region,{cells.rstrip(',')}")
    sn.write_text("\n".join(lines) + "\n")
    pop = root / "population.csv"
    plines = ["time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
              "old_la_code,new_la_code,la_name,age_group,population_estimate"]
    for year in range(2012, 2021):
        for code, (name, newc) in LAS.items():
            plines.append(f"{year},Reporting year,Local authority,E92000001,England,E12000009,Test Region,{code},"
                          f"{newc},{name},Children aged 0 to 17 years,{POP[code]}")
    pop.write_text("\n".join(plines) + "\n")
    sfr = root / "sfr" / "SFR99_CLA2017.csv"
    sfr.parent.mkdir()
    srows = ["New_geog_code,geog_l,geog_c,geog_n,CLA_Mar2017,CLA_2017", "E92000001,NATIONAL,999,ENGLAND,900,1300"]
    for code, (name, newc) in LAS.items():
        srows.append(f"{newc},LA,{code},{name.upper()},{stock(code, 2017) if code != '104' else 'x'},1")
    sfr.write_text("\n".join(srows) + "\n")
    return root
