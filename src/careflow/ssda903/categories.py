"""Placement categories: a YAML mapping from PLACE (+ PLACE_PROVIDER) codes to category keys.

Format (see ``parameters/placement_categories.yaml``, the default)::

    values:
      ifa_fostering:
        place: [U4, U5, U6]
        provider: [PR4, PR5]     # optional; without it the PLACE codes match every provider
      secure:
        place: [K1]

A (PLACE, provider) pair may belong to one category only. Codes the mapping does not cover map to ``"unknown"``
and are reported, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from careflow import yamlio
from careflow.parameters import parameter_dir

UNKNOWN = "unknown"
_ANY = "*"


@dataclass(frozen=True)
class CategoryMap:
    """Ordered categories and the (PLACE, provider) pairs of each; provider ``"*"`` matches any provider."""

    categories: tuple[str, ...]
    pairs: dict[tuple[str, str], str] = field(default_factory=dict)
    file: str | None = None

    def assign(self, place: pd.Series, provider: pd.Series) -> pd.Series:
        """Category key for each episode (vectorised); ``"unknown"`` where no entry matches."""
        place = place.fillna("").astype(str)
        provider = provider.fillna("").astype(str)
        # Few distinct (place, provider) pairs: map those, then take by pair code.
        pc, pu = pd.factorize(place)
        vc, vu = pd.factorize(provider)
        pair = pc.astype("int64") * max(len(vu), 1) + vc
        codes, distinct = pd.factorize(pair)
        if len(distinct) < len(place):
            width = max(len(vu), 1)
            cats = self._assign(pd.Series(pu.take(distinct // width), dtype="str"),
                                pd.Series(vu.take(distinct % width), dtype="str"))
            return pd.Series(cats.to_numpy()[codes], index=place.index, dtype="str")
        return self._assign(place, provider)

    def _assign(self, place: pd.Series, provider: pd.Series) -> pd.Series:
        exact = {k: v for k, v in self.pairs.items() if k[1] != _ANY}
        anyp = {k[0]: v for k, v in self.pairs.items() if k[1] == _ANY}
        out = place.map(anyp)
        if exact:
            keys = place + "|" + provider
            lookup = {f"{p}|{pr}": c for (p, pr), c in exact.items()}
            out = out.fillna(keys.map(lookup))
        return out.fillna(UNKNOWN).astype("str")


def default_path() -> Path:
    return parameter_dir() / "placement_categories.yaml"


def load_categories(path: str | Path | None = None) -> CategoryMap:
    """Read a category mapping (the shipped default when ``path`` is None); errors name file, line and key."""
    p = Path(path) if path is not None else default_path()
    doc = yamlio.load(p)
    data = doc.data
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, dict) or not values:
        raise doc.error(("values",), "a category mapping needs a 'values' mapping of category: {place: [...]}",
                        rule="CF-CATEGORIES")
    pairs: dict[tuple[str, str], str] = {}
    for cat, spec in values.items():
        key = ("values", cat)
        if not isinstance(cat, str) or not cat.strip() or cat == UNKNOWN:
            raise doc.error(key, f"category key {cat!r} is not allowed", rule="CF-CATEGORIES")
        if not isinstance(spec, dict) or not isinstance(spec.get("place"), list) or not spec["place"]:
            raise doc.error(key, f"category '{cat}' needs a non-empty 'place' list", rule="CF-CATEGORIES")
        extra = set(spec) - {"place", "provider", "description"}
        if extra:
            raise doc.error(key, f"category '{cat}' has unknown keys: {', '.join(sorted(map(str, extra)))}",
                            rule="CF-CATEGORIES")
        providers = spec.get("provider")
        if providers is None:
            providers = [_ANY]
        elif not isinstance(providers, list) or not providers:
            raise doc.error(key + ("provider",), "'provider' must be a non-empty list of codes",
                            rule="CF-CATEGORIES")
        for place in spec["place"]:
            for prov in providers:
                code, pcode = str(place).strip().upper(), str(prov).strip().upper()
                clash = [pairs.get((code, pcode))]
                if pcode == _ANY:
                    clash += [c for (pl, _), c in pairs.items() if pl == code]
                else:
                    clash.append(pairs.get((code, _ANY)))
                clash = [c for c in clash if c is not None]
                if clash:
                    raise doc.error(key + ("place",),
                                    f"PLACE {code} (provider {pcode if pcode != _ANY else 'any'}) is already in "
                                    f"category '{clash[0]}'", rule="CF-CATEGORIES")
                pairs[(code, pcode)] = cat
    return CategoryMap(categories=tuple(values), pairs=pairs, file=str(p))
