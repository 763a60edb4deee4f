"""The SSDA903 data the web app works on: the embedded synthetic LA (Anyshire) and the user's uploads, each a
folder of returns in the workspace, and which one is selected (every journey works on the selected one).

An upload lives in ``<workspace>/uploads/<id>/``: ``files/`` (what was uploaded, zips unpacked), ``meta.json``
(label, collection year and LA name the user gave, when) and ``validation.json`` (the validation report, with the
findings: it names children, so it stays in the workspace). Ids are random: no child identifier or file name
appears in a URL.

In shared mode (``SHARED``) an upload is stored pseudonymised (:func:`careflow.pipeline.store_upload_pseudonymised`):
``files/`` holds only copies whose CHILD column is a keyed pseudonym, so the report, the history and every job
work on pseudonyms; the uploaded bytes are never written (docs/shared-mode.md, "Child-level data").

    ds = datasets.selected()             # the selected Dataset (Anyshire until the user picks an upload)
    data = datasets.returns(ds)          # careflow.ssda903.Ssda903Data, loaded once and kept
    model_data = datasets.model_data(ds) # careflow.pipeline.Data for a forecast or a scenario
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import shutil
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app, has_app_context

from careflow import pipeline
from careflow.errors import CareflowError
from careflow.web.workspace import ANYSHIRE, Workspace, current_workspace

_ID = re.compile(r"^[0-9a-f]{32}$")
_CACHE_SIZE = 4


@dataclass(frozen=True)
class Dataset:
    id: str
    label: str
    created: str
    year: str | None = None  # collection year the user gave for files that do not say
    la_name: str | None = None  # the council's name the user gave (the files of one LA do not say)
    files: tuple[str, ...] = ()  # as uploaded (names only)
    pseudonymised: bool = False  # stored as pseudonymised copies (shared mode)
    notes: tuple[dict, ...] = ()  # findings about the upload itself (tables not kept), shown with the report

    @property
    def builtin(self) -> bool:
        return self.id == ANYSHIRE

    def folder(self, ws: Workspace | None = None) -> Path:
        ws = ws or current_workspace()
        return ws.anyshire() if self.builtin else ws.uploads / self.id / "files"

    def read_options(self) -> dict:
        return {"year": self.year} if self.year else {}


def anyshire() -> Dataset:
    return Dataset(ANYSHIRE, "Anyshire (synthetic example council)", "", la_name="Anyshire")


def _meta(ws: Workspace, dataset_id: str) -> Path:
    return ws.uploads / dataset_id / "meta.json"


def get(dataset_id: str, ws: Workspace | None = None) -> Dataset | None:
    """The dataset with this id, or None (also for an id that is not one careflow makes)."""
    ws = ws or current_workspace()
    if dataset_id == ANYSHIRE:
        return anyshire()
    if not _ID.match(dataset_id or ""):
        return None
    path = _meta(ws, dataset_id)
    if not path.is_file():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["files"] = tuple(doc.get("files", ()))
    doc["notes"] = tuple(doc.get("notes", ()))
    return Dataset(**doc)


def uploads(ws: Workspace | None = None) -> list[Dataset]:
    """The user's uploads, newest first."""
    ws = ws or current_workspace()
    found = [get(p.parent.name, ws) for p in ws.uploads.glob("*/meta.json")]
    return sorted((d for d in found if d is not None), key=lambda d: d.created, reverse=True)


def shared_mode() -> bool:
    return has_app_context() and bool(current_app.config.get("SHARED"))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """The time (UTC): the app's ``CLOCK`` when it has one (tests move it on), else the real one."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return (clock or utc_now)()


def create(files, *, year: str | None = None, la_name: str | None = None, limits: dict | None = None,
           ws: Workspace | None = None, pseudonymise: bool | None = None) -> Dataset:
    """Store an upload (``(name, stream)`` pairs; :func:`careflow.pipeline.store_upload`) as a new dataset;
    pseudonymised (:func:`careflow.pipeline.store_upload_pseudonymised`) when ``pseudonymise``, by default in
    shared mode. Raises CareflowError, keeping nothing, when a file cannot be taken."""
    ws = ws or current_workspace()
    pseudonymise = shared_mode() if pseudonymise is None else pseudonymise
    dataset_id = secrets.token_hex(16)
    folder = ws.uploads / dataset_id
    notes: list = []
    if pseudonymise:
        written, left_out = pipeline.store_upload_pseudonymised(files, folder / "files", **(limits or {}))
        notes = [f.to_dict() for f in left_out]
    else:
        written = pipeline.store_upload(files, folder / "files", **(limits or {}))
    created = now().replace(microsecond=0)
    names = tuple(sorted(str(p.relative_to(folder / "files")) for p in written))
    label = la_name or f"Upload of {created:%d %B %Y %H:%M}"
    ds = Dataset(dataset_id, label, created.isoformat(), year or None, la_name or None, names, pseudonymise,
                 tuple(notes))
    _write_meta(ws, ds)
    return ds


def _write_meta(ws: Workspace, ds: Dataset) -> None:
    doc = asdict(ds)
    doc["files"] = list(ds.files)
    doc["notes"] = list(ds.notes)
    _meta(ws, ds.id).write_text(json.dumps(doc, indent=2), encoding="utf-8")


def set_year(ds: Dataset, year: str, ws: Workspace | None = None) -> Dataset:
    """Record the collection year of an upload whose files do not say; its report is made again."""
    ws = ws or current_workspace()
    new = dataclasses.replace(ds, year=year)
    _write_meta(ws, new)
    report_path(new, ws).unlink(missing_ok=True)
    return new


# An upload's folder is deleted whole and never written into while that happens: a validation job finishing as
# retention deletes its upload would otherwise leave its report in a folder without meta.json, listed nowhere and
# never deleted.
_FOLDERS = threading.Lock()


def delete(ds: Dataset, ws: Workspace | None = None) -> None:
    """Delete an upload: its folder (files, meta.json, validation report) and its returns held in memory."""
    ws = ws or current_workspace()
    if ds.builtin or not _ID.match(ds.id):
        raise ValueError(f"not an upload: {ds.id!r}")
    with _FOLDERS:
        shutil.rmtree(ws.uploads / ds.id, ignore_errors=True)
    _cache.forget(lambda key: ds.id in key)


def selected(ws: Workspace | None = None) -> Dataset:
    """The dataset every journey works on: the one the user chose, else Anyshire."""
    ws = ws or current_workspace()
    path = ws.root / "selected_dataset"
    chosen = get(path.read_text(encoding="utf-8").strip(), ws) if path.is_file() else None
    return chosen or anyshire()


def select(ds: Dataset, ws: Workspace | None = None) -> None:
    ws = ws or current_workspace()
    (ws.root / "selected_dataset").write_text(ds.id, encoding="utf-8")


def report_path(ds: Dataset, ws: Workspace | None = None) -> Path:
    ws = ws or current_workspace()
    return (ws.datasets / f"{ANYSHIRE}-validation.json") if ds.builtin else ws.uploads / ds.id / "validation.json"


def validate(ds: Dataset, ws: Workspace) -> dict:
    """Validate the dataset's files (:func:`careflow.pipeline.validate_data`) and keep the report beside them;
    returns it as a dict (``ValidationReport.to_dict()``). Runs as a background job."""
    folder = ds.folder(ws)
    report = pipeline.validate_data(folder, **ds.read_options())
    doc = json.loads(json.dumps(report.to_dict(), default=str))
    # file names as the user knows them (inside the upload), not the workspace's paths
    prefix = str(folder.resolve()) + "/"
    for issue in doc.get("issues", []):
        for key in ("file", "message"):
            if isinstance(issue.get(key), str):
                issue[key] = issue[key].replace(prefix, "").replace(str(folder.resolve()), "the upload")
    for note in ds.notes:  # tables the upload did not keep (shared mode): said with the other findings
        issue = {k: note.get(k) for k in ("rule", "severity", "file", "row", "child", "field", "message")}
        doc.setdefault("issues", []).append(issue)
        doc.setdefault("by_rule", {}).setdefault(issue["rule"], {"severity": issue["severity"], "count": 0})
        doc["by_rule"][issue["rule"]]["count"] += 1
        if issue["severity"] == "warning" and "warnings" in doc.get("summary", {}):
            doc["summary"]["warnings"] += 1
    path = report_path(ds, ws)
    partial = path.with_suffix(".partial")
    with _FOLDERS:
        if not ds.builtin and not _meta(ws, ds.id).is_file():
            raise CareflowError(f"the upload {ds.id} was deleted while it was being validated", rule="upload")
        partial.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        os.replace(partial, path)  # a page reading the report never sees half of it
    return doc


def report(ds: Dataset, ws: Workspace | None = None) -> dict | None:
    """The dataset's validation report when it has been made, else None."""
    path = report_path(ds, ws)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


class _Cache:
    """The few datasets loaded last, by (dataset, collection year, what is loaded): loading a council's returns
    takes seconds, and every page of a journey needs them."""

    def __init__(self, size: int = _CACHE_SIZE):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, make):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def forget(self, which) -> None:
        """Drop the items whose key ``which(key)`` is true of."""
        with self.lock:
            for key in [k for k in self.items if which(k)]:
                del self.items[key]


_cache = _Cache()


def returns(ds: Dataset, ws: Workspace | None = None):
    """The dataset's returns, read and cleaned (:class:`careflow.ssda903.Ssda903Data`, every LA of a stacked
    file). Raises CareflowError when nothing usable can be read."""
    ws = ws or current_workspace()
    from careflow.ssda903 import load

    return _cache.get((str(ws.root), ds.id, ds.year, "returns"), lambda: load(ds.folder(ws), **ds.read_options()))


def model_data(ds: Dataset, ws: Workspace | None = None, **options):
    """The dataset as the model's input (:func:`careflow.pipeline.load_data`; ``options`` such as ``la`` or
    ``pool`` for a stacked file of several LAs)."""
    ws = ws or current_workspace()
    key = (str(ws.root), ds.id, ds.year, "model", tuple(sorted(options.items())))
    return _cache.get(key, lambda: pipeline.load_data(ds.folder(ws), **ds.read_options(), **options))
