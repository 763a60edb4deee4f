"""SSDA903 (children looked after) return: read, validate, clean.

Data contract (what the rest of careflow may rely on), produced by :func:`careflow.ssda903.load`:

``Ssda903Data.episodes`` — one row per cleaned episode (years stacked, latest return wins, same-day continuation
episodes merged), pandas DataFrame with columns:

=================  ==========================================================================================
child              pseudonymised child identifier (str, salted hash of LA + CHILD)
dob                date of birth (datetime64[ns])
sex                "M", "F" or "U"
uasc               bool: the child was ever an unaccompanied asylum-seeking child (UASC table or UASC flag)
decom              episode start (datetime64[ns])
dec                episode end (datetime64[ns]); NaT while open at the end of the data
rne, ls, cin       reason for new episode, legal status, category of need (str codes)
place              placement code (str), place_provider (str or <NA>)
rec                reason episode ceased (str or <NA>); "X1" continuation
reason_place_change  (str or <NA>)
category           placement category key from the category mapping (e.g. "ifa_fostering")
period             integer index of the period of care within the child (0, 1, ...)
exit_group         for the last episode of a closed period: adoption, sgo, cao, return_home, adulthood, other;
                   <NA> otherwise
short_break        bool: legal status V3/V4 (short-break-only care, excluded from DfE counts)
=================  ==========================================================================================

``Ssda903Data.periods`` — one row per period of care: ``child, period, start, end (NaT if open), exit_group,
dob, first_category``.

``Ssda903Data.findings`` — list of :class:`careflow.errors.Finding` from reading and validation.
``Ssda903Data.data_end`` — last date the data covers (31 March of the latest collection year).
"""
