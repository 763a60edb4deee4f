"""Several processes editing the same cases at once lose no committed edit; a SIGKILL mid-write leaves the register
consistent (case row, version, tracking and audit rows agree). Both on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import numpy as np
import pytest
import sqlalchemy as sa

from _register_db import db_url_fixture
from careflow.register import Register, StaleEditError, TrackingEntry, loads_case
from careflow.register.store import audit_t, cases_t, tracking_t

db_url = db_url_fixture()
REFS = ("C/1", "C/2")
CTX = mp.get_context("spawn")  # a clean interpreter per worker: no engine or lock inherited from pytest


def _editor(url: str, worker: int, edits: int, out) -> None:
    """Append a token to a case's notes ``edits`` times, retrying on stale edits; report what committed."""
    committed, stale = [], 0
    with Register(url, user=f"worker{worker}", migrate=False) as reg:
        for i in range(edits):
            ref = REFS[i % len(REFS)]
            token = f"w{worker}e{i};"
            while True:
                stored = reg.get(ref)
                edited = stored.case.model_copy(update={"notes": (stored.case.notes or "") + token})
                try:
                    reg.update(edited, stored.version)
                    committed.append((ref, token))
                    break
                except StaleEditError:
                    stale += 1
    out.put((committed, stale))


def _seed(url: str) -> None:
    with Register(url, user="setup") as reg:
        for ref in REFS:
            reg.add(loads_case(f"reference: {ref}\nunits: £k\nsavings: {{2019-20: 100}}\n")[0])


def test_concurrent_editors_lose_nothing(db_url):
    _seed(db_url)
    workers, edits = 3, 6
    out = CTX.Queue()
    procs = [CTX.Process(target=_editor, args=(db_url, w, edits, out)) for w in range(workers)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    committed = [c for r, _ in results for c in r]
    assert len(committed) == workers * edits
    with Register(db_url, migrate=False) as reg:
        for ref in REFS:
            stored = reg.get(ref)
            tokens = [t for r, t in committed if r == ref]
            notes = stored.case.notes.split(";")[:-1]
            assert sorted(notes) == sorted(t.rstrip(";") for t in tokens)  # every committed edit is there
            assert stored.version == 1 + len(tokens)
            versions = sorted({h.version for h in reg.history(ref)})
            assert versions == list(range(1, stored.version + 1))
        # and a stale edit is refused: version 1 of C/1 is long gone
        old = reg.get("C/1").case.model_copy(update={"notes": "overwrite"})
        with pytest.raises(StaleEditError):
            reg.update(old, 1)
        assert reg.get("C/1").case.notes != "overwrite"


def _writer_forever(url: str, started) -> None:
    """Each write appends a token to the notes and sets tracking forecast = number of tokens, in one transaction.
    Big notes make each transaction long enough for the kill to land inside one."""
    pad = "x" * 20_000
    with Register(url, user="victim", migrate=False) as reg:
        while True:
            for ref in REFS:
                stored = reg.get(ref)
                n = (stored.case.notes or "").count(";") + 1
                edited = stored.case.model_copy(update={
                    "notes": (stored.case.notes or "") + f"{n};",
                    "description": pad[: 1000 + (n * 997) % 19_000],
                    "tracking": [TrackingEntry(year="2019-20", planned=100, forecast=n)]})
                reg.update(edited, stored.version)
                started.set()


def _consistent(url: str) -> list[int]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    versions = []
    try:
        with engine.connect() as conn:
            for row in conn.execute(sa.select(cases_t)).mappings():
                doc = row["document"]
                tokens = (doc.get("notes") or "").count(";")
                assert row["version"] == tokens + 1
                audit_versions = {v for (v,) in conn.execute(
                    sa.select(audit_t.c.version).where(audit_t.c.case_id == row["id"]))}
                assert audit_versions == set(range(1, row["version"] + 1))
                forecast = conn.execute(sa.select(tracking_t.c.forecast).where(
                    tracking_t.c.case_id == row["id"])).scalar_one_or_none()
                assert forecast == (tokens if tokens else None)
                versions.append(row["version"])
    finally:
        engine.dispose()
    return versions


def test_killed_writer_leaves_register_consistent(db_url):
    _seed(db_url)
    rng = np.random.default_rng(20261123)
    before = sum(_consistent(db_url))
    for _ in range(3):
        started = CTX.Event()
        p = CTX.Process(target=_writer_forever, args=(db_url, started))
        p.start()
        assert started.wait(timeout=120)  # it has committed at least once
        time.sleep(rng.uniform(0.05, 0.5))  # then kill it somewhere in its stream of writes
        os.kill(p.pid, signal.SIGKILL)
        p.join(timeout=30)
        assert p.exitcode == -signal.SIGKILL
        after = sum(_consistent(db_url))
        assert after >= before  # nothing committed was lost
        before = after
    assert before > len(REFS)  # the writer did commit work between kills
    with Register(db_url) as reg:  # and the register still opens and writes
        reg.set_status("C/1", "submitted")
