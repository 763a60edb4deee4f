"""Retention (careflow.web.retention): an upload and what was made from it are deleted once older than
RETENTION_DAYS, at start-up and before requests (at most every 10 minutes), each deletion logged without a child;
the Data page says when. Time is a fake clock: nothing sleeps."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil

import pytest
from test_web_data import _upload

from careflow.web import create_app
from careflow.web.retention import SHARED_DEFAULT_DAYS
from careflow.web.workspace import ANYSHIRE

EPISODES = b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\nKID77,01/04/2024,S,C2,N1,U1,PR1,,\n"


class Clock:
    def __init__(self, at: dt.datetime):
        self.now = at

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))


def _app(tmp_path, anyshire_returns, clock, **config):
    workspace = tmp_path / "workspace"
    if not (workspace / "datasets" / ANYSHIRE).exists():
        shutil.copytree(anyshire_returns, workspace / "datasets" / ANYSHIRE)
        (workspace / "datasets" / ANYSHIRE / ".complete").touch()
    return create_app(workspace, testing=True, JOB_WORKERS=1, CLOCK=clock, **config)


def test_an_upload_is_deleted_with_what_was_made_from_it_once_older_than_the_retention(
        tmp_path, anyshire_returns, clock, caplog):
    app = _app(tmp_path, anyshire_returns, clock, RETENTION_DAYS=30)
    c = app.test_client()
    r = _upload(c, [("episodes_2024.csv", EPISODES)])
    dataset_id = r.headers["Location"].split("/")[2]
    ws = app.extensions["careflow.workspace"]
    meta = json.loads((ws.uploads / dataset_id / "meta.json").read_text())
    assert meta["created"] == "2026-03-02T09:30:00+00:00"
    page = c.get("/data/").get_data(as_text=True)
    assert "Deleted on 01 April 2026" in page and "deleted 30 days after it was uploaded" in page
    assert "deleted 30 days after you upload them" in c.get("/data/upload").get_data(as_text=True)
    # something made from it: a validation job, a workbook under runs/
    c.get(f"/data/{dataset_id}/report")
    workbook = ws.runs / "forecast-0123.xlsx"
    workbook.write_bytes(b"PK")
    made = clock.now.timestamp()
    os.utime(workbook, (made, made))
    recent = ws.runs / "downloads" / "portfolio.xlsx"
    recent.parent.mkdir()
    recent.write_bytes(b"PK")
    later = (clock.now + dt.timedelta(days=20)).timestamp()
    os.utime(recent, (later, later))

    clock.now += dt.timedelta(days=29, hours=23)
    assert c.get("/data/").status_code == 200
    assert (ws.uploads / dataset_id).exists() and workbook.exists()
    clock.now += dt.timedelta(hours=1)  # 30 days: due; the sweep runs before this request
    with caplog.at_level(logging.INFO, logger="careflow.web.retention"):
        page = c.get("/data/").get_data(as_text=True)
    assert not (ws.uploads / dataset_id).exists() and dataset_id not in page
    assert not workbook.exists() and recent.exists()  # runs/ files go by their own age
    assert c.get(f"/data/{dataset_id}/report").status_code == 404
    assert [j for j in app.extensions["careflow.jobs"]._jobs.values() if dataset_id in j.key] == []
    logged = [r.getMessage() for r in caplog.records if r.name == "careflow.web.retention"]
    assert logged == [f"retention: deleted upload {dataset_id} (uploaded 2026-03-02T09:30:00+00:00, kept 30 days)",
                      "retention: deleted 1 files under runs/ older than 30 days"]
    assert "KID77" not in " ".join(logged) and "episodes_2024" not in " ".join(logged)
    app.extensions["careflow.jobs"].shutdown()


def test_the_sweep_runs_at_start_up_and_then_at_most_every_ten_minutes(tmp_path, anyshire_returns, clock):
    app = _app(tmp_path, anyshire_returns, clock, RETENTION_DAYS=7)
    c = app.test_client()
    first = _upload(c, [("episodes_2024.csv", EPISODES)]).headers["Location"].split("/")[2]
    app.extensions["careflow.jobs"].shutdown()
    uploads = app.extensions["careflow.workspace"].uploads

    clock.now += dt.timedelta(days=8)
    restarted = _app(tmp_path, anyshire_returns, clock, RETENTION_DAYS=7)  # start-up: deleted before any request
    assert not (uploads / first).exists()
    c = restarted.test_client()
    second = _upload(c, [("episodes_2024.csv", EPISODES)]).headers["Location"].split("/")[2]
    clock.now += dt.timedelta(days=7, minutes=-5)
    c.get("/data/")  # 5 minutes short of the retention: kept, and the sweep ran
    clock.now += dt.timedelta(minutes=6)
    c.get("/data/")  # due now, but the last sweep was 6 minutes ago: not yet
    assert (uploads / second).exists()
    clock.now += dt.timedelta(minutes=5)
    c.get("/data/")
    assert not (uploads / second).exists()
    restarted.extensions["careflow.jobs"].shutdown()


def test_shared_mode_keeps_uploads_90_days_unless_told_local_mode_keeps_them(tmp_path, anyshire_returns, clock,
                                                                              monkeypatch):
    monkeypatch.setenv("CAREFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'register.sqlite'}")
    assert SHARED_DEFAULT_DAYS == 90
    local = _app(tmp_path, anyshire_returns, clock)
    assert local.config["RETENTION_DAYS"] is None
    c = local.test_client()
    _upload(c, [("episodes_2024.csv", EPISODES)])
    assert "Deleted on" not in c.get("/data/").get_data(as_text=True)
    clock.now += dt.timedelta(days=3650)
    c.get("/data/")
    assert len(list(local.extensions["careflow.workspace"].uploads.iterdir())) == 1
    local.extensions["careflow.jobs"].shutdown()
    shared = _app(tmp_path, anyshire_returns, clock, SHARED=True)
    assert shared.config["RETENTION_DAYS"] == 90
    assert not list(shared.extensions["careflow.workspace"].uploads.iterdir())  # the 10-year-old upload: gone
    shared.extensions["careflow.jobs"].shutdown()
    assert _app(tmp_path, anyshire_returns, clock, SHARED=True, RETENTION_DAYS=14).config["RETENTION_DAYS"] == 14


def test_serve_passes_the_retention_on(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from careflow.cli import main

    seen = {}
    monkeypatch.setattr("careflow.web.server.serve", lambda app, *a, **k: seen.update(app.config))
    r = CliRunner().invoke(main, ["serve", "--workspace", str(tmp_path / "ws"), "--retention-days", "30"])
    assert r.exit_code == 0, r.output
    assert seen["RETENTION_DAYS"] == 30
    bad = CliRunner().invoke(main, ["serve", "--workspace", str(tmp_path / "ws"), "--retention-days", "0"])
    assert bad.exit_code == 2 and "--retention-days" in bad.output


def test_a_validation_finishing_after_its_upload_was_deleted_writes_nothing(tmp_path, anyshire_returns, clock):
    # the order a race can give: retention deletes the upload, then a validation job of it finishes; its report
    # must not bring the folder back (without meta.json it would be listed nowhere and never deleted)
    from careflow.errors import CareflowError
    from careflow.web import datasets

    app = _app(tmp_path, anyshire_returns, clock, RETENTION_DAYS=30)
    r = _upload(app.test_client(), [("episodes_2024.csv", EPISODES)])
    dataset_id = r.headers["Location"].split("/")[2]
    ws = app.extensions["careflow.workspace"]
    with app.app_context():
        ds = datasets.get(dataset_id, ws)
        folder = ds.folder(ws)
        files = {p.name: p.read_bytes() for p in folder.iterdir()}
        datasets.delete(ds, ws)
        folder.mkdir(parents=True)  # the job had read its files before the deletion
        for name, data in files.items():
            (folder / name).write_bytes(data)
        with pytest.raises(CareflowError, match="deleted while it was being validated"):
            datasets.validate(ds, ws)
    assert not datasets.report_path(ds, ws).exists() and not (ws.uploads / dataset_id / "meta.json").exists()
