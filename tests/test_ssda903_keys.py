"""The integer (LA, CHILD) keys are only a speed-up: results with and without them must be the same."""

import numpy as np
import pandas as pd

import careflow.ssda903 as ssda903
from careflow.ssda903.clean import clean, joint_keys, latest_episodes, people_table, resolve_salt
from careflow.ssda903.reader import read_tables
from careflow.synth import generate
from careflow.synth.faults import KINDS


def test_joint_keys_follow_string_order_and_agree_across_tables():
    a = pd.DataFrame({"LA": ["B", "A", "B", "A"], "CHILD": ["1", "9", "10", "9"]}, dtype="str")
    b = pd.DataFrame({"LA": ["A", "C"], "CHILD": ["9", "1"]}, dtype="str")
    ka, kb = joint_keys(a, b)
    # Sorted as (LA, CHILD) strings: (A,9) < (B,1) < (B,10) < (C,1).
    assert list(np.argsort(ka, kind="stable")) == [1, 3, 0, 2]
    assert ka[1] == ka[3] == kb[0] and len(set(ka) | set(kb)) == 4
    assert kb[1] > max(ka)


def test_keyed_and_unkeyed_cleaning_agree(tmp_path):
    folder = generate(60, 2019, 3, 5, tmp_path / "la", faults={k: 0.05 for k in KINDS})
    data = ssda903.load(folder)
    raw = read_tables(folder)
    findings = []
    ep = latest_episodes(raw.episodes, findings)  # no _key: computed from this table alone
    people = people_table(raw.header, raw.uasc)
    assert "_key" not in people.columns
    episodes, periods = clean(ep, people, findings, ssda903.load_categories(), resolve_salt(None))
    pd.testing.assert_frame_equal(episodes, data.episodes)
    pd.testing.assert_frame_equal(periods, data.periods)
    dup_rules = {"CF-DUPLICATE", "CF-DUPLICATE-EPISODE", "CF-LOST", "CF-CATEGORY"}
    assert sorted((f.rule, f.row) for f in findings if f.rule in dup_rules) == sorted(
        (f.rule, f.row) for f in data.findings if f.rule in dup_rules)
    assert any(f.rule == "CF-DUPLICATE" for f in findings)
