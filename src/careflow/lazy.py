"""Packages whose public names are imported from their submodules on first use (PEP 562).

``careflow.pipeline`` and ``careflow.reports`` re-export names from many submodules; importing them all at once
costs a second (the register, SQLAlchemy, the Word and Excel writers, matplotlib) before a command that needs none
of it, such as ``careflow forecast``, can start. :func:`lazy_exports` keeps ``from careflow.pipeline import
forecast`` working while loading only the submodule that defines the name.
"""

from __future__ import annotations

import importlib
import sys
import types


def lazy_exports(package: str, where: dict[str, str]) -> list[str]:
    """Make each name in ``where`` (name -> submodule of ``package``) an attribute of ``package`` loaded on first
    use; returns the sorted names (the package's ``__all__``). A name that is also a submodule's name (the
    function ``forecast`` in the module ``forecast``) stays the name: importing the submodule does not replace
    it."""

    class LazyPackage(types.ModuleType):
        def __getattr__(self, name: str):
            if name not in where:
                raise AttributeError(f"module '{package}' has no attribute '{name}'")
            value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
            setattr(self, name, value)
            return value

        def __setattr__(self, name: str, value) -> None:
            # the import system sets a package's attribute to each submodule it loads
            if name in where and isinstance(value, types.ModuleType) and value.__name__ == f"{package}.{name}":
                value = getattr(value, name)
            super().__setattr__(name, value)

        def __dir__(self) -> list[str]:
            return sorted(set(super().__dir__()) | set(where))

    sys.modules[package].__class__ = LazyPackage
    return sorted(where)
