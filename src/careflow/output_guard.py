"""Where a command may write: one rule for every ``--output`` (and ``--charts-dir``), checked before writing.

1. Never onto an input. An output file may not be one of the command's input files nor lie inside an input
   folder (careflow reads folders recursively, so a report left there would be read as data next time). An output
   folder may not be an input folder, lie inside one, or contain one; an input file inside an output folder is
   refused when the command would write a file of that name (or, when the names are not known, at all).
2. No symlink out of the target folder. An output file that is a symbolic link to somewhere outside its own
   folder is refused, and so is an output folder holding such a link anywhere inside it: careflow writes only
   where the user pointed it.
3. Replacing is said, not asked. An existing output file is replaced, and the command says so on standard error
   ("replacing ..."); an existing output folder is written into, and the command says how many of its files it
   replaces. There is no --force: nothing is overwritten that the user did not name as the output.

Refusals are findings (rule ``output``, exit code 1) naming the output and the input or link.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from careflow.errors import CareflowError, Finding


@dataclass
class OutputCheck:
    """A checked output path and what writing it will replace."""

    path: Path
    replaces: list[Path] = field(default_factory=list)
    folder: bool = False

    @property
    def note(self) -> str | None:
        """A line for standard error when existing files will be replaced, else None."""
        if not self.replaces:
            return None
        if not self.folder:
            return f"replacing {self.path}"
        return f"replacing {len(self.replaces)} existing file(s) in {self.path}"


def _refuse(output: Path, message: str, field_: str) -> CareflowError:
    return CareflowError(Finding(rule="output", message=message, file=str(output), field=field_))


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(Path(path).expanduser()))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _inputs(inputs: Iterable[str | Path | None]) -> list[tuple[Path, Path, bool]]:
    """(as given, real path, is a folder) of each input that exists."""
    out = []
    for p in inputs:
        if p is None or str(p) == "":
            continue
        real = _real(p)
        if real.exists():
            out.append((Path(p), real, real.is_dir()))
    return out


def _link_out_of(link: Path, folder: Path) -> bool:
    return not _inside(_real(link), folder)


def check_output(path: str | Path, inputs: Iterable[str | Path | None] = (), *, option: str = "--output"
                 ) -> OutputCheck:
    """Check an output file against the rule above; raise a CareflowError when it breaks it."""
    given = Path(path).expanduser()
    parent = _real(given.parent if str(given.parent) else ".")
    if given.is_symlink() and _link_out_of(given, parent):
        raise _refuse(given, f"{option} is a symbolic link to {os.path.realpath(given)}, outside its folder: "
                      "careflow does not follow it (remove the link or name the real file)", option)
    if given.is_dir():
        raise _refuse(given, f"{option} is a folder; give a file name", option)
    real = _real(given)
    for as_given, inp, is_dir in _inputs(inputs):
        if real == inp or (is_dir and _inside(real, inp)):
            what = "is" if real == inp else "is inside"
            raise _refuse(given, f"{option} {what} the input {as_given}: careflow never writes onto its inputs "
                          "(choose a file outside the input folders)", option)
    return OutputCheck(path=given, replaces=[given] if given.exists() else [])


def check_output_folder(path: str | Path, inputs: Iterable[str | Path | None] = (), *,
                        names: Iterable[str] | None = None, option: str = "--output") -> OutputCheck:
    """Check an output folder (the files ``names`` in it, when known) against the rule above."""
    given = Path(path).expanduser()
    if given.exists() and not given.is_dir():
        raise _refuse(given, f"{option} is a file; give a folder", option)
    real = _real(given)
    names = None if names is None else list(names)
    for as_given, inp, is_dir in _inputs(inputs):
        clash = (_inside(real, inp) or _inside(inp, real)) if is_dir else (
            inp.parent == real and inp.name in names if names is not None else _inside(inp, real))
        if clash:
            raise _refuse(given, f"{option} would write where the input {as_given} is: careflow never writes "
                          "onto its inputs (choose a folder that holds none of them)", option)
    replaces: list[Path] = []
    if real.is_dir():
        for root, dirs, files in os.walk(real):  # does not descend into linked folders
            for name in dirs + files:
                p = Path(root) / name
                if p.is_symlink() and _link_out_of(p, real):
                    raise _refuse(given, f"{option} holds a symbolic link {p} to {os.path.realpath(p)}, outside "
                                  "the folder: careflow does not follow it (remove the link)", option)
        candidates = [real / n for n in names] if names is not None else \
            [Path(r) / f for r, _, fs in os.walk(real) for f in fs]
        replaces = [p for p in candidates if p.is_file()]
    return OutputCheck(path=given, replaces=replaces, folder=True)
