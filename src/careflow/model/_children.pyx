# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Baseline Monte Carlo runs, one child at a time (compiled).

Without a scenario the children of a run do not interact: each child's months in care depend only on its run's
rates and its own random numbers (counter-based hashes of its seed, the month and a stream: see
``careflow.model.project``). So each child can be followed alone from where it starts (in the starting stock at
month 0, or on entry in its month of entry) until it leaves care or the projection ends, adding itself to the
counts of children in care, entries and exits as it goes. This is the same law, the same random numbers and the
same floating-point operations in the same order as ``careflow.model.project._Runs``, which steps every child a
month at a time in numpy (and remains the engine for scenarios, whose changes pick children across a run): the two
give identical runs (tests/test_children_kernel.py). This one is several times faster: it keeps no arrays of all
children, and a settled child costs one comparison a month until its next event or birthday (its months in care
are counted as a stretch: +1 where it starts, -1 where it ends, summed over the months at the end).
"""

from libc.math cimport expm1, log1p
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t


cdef extern from *:
    """
    /* SplitMix64's finaliser, a child's seed and its uniforms, as careflow.model.project's _mix, _child_seeds and
       _uniforms (53 bits): integer arithmetic wraps modulo 2**64 as numpy's uint64 does. */
    static inline uint64_t careflow_mix(uint64_t x) {
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ULL;
        x ^= x >> 27; x *= 0x94D049BB133111EBULL;
        x ^= x >> 31;
        return x;
    }
    static inline uint64_t careflow_seed(uint64_t key, uint64_t child) {
        return careflow_mix((child * 0x9E3779B97F4A7C15ULL) ^ key);
    }
    static inline double careflow_uniform(uint64_t seed, long month, long stream) {
        uint64_t x = careflow_mix(seed + (uint64_t)(month * 16 + stream + 1) * 0x9E3779B97F4A7C15ULL);
        return (double)(x >> 11) * 0x1p-53;
    }
    """
    uint64_t careflow_seed(uint64_t key, uint64_t child) nogil
    double careflow_uniform(uint64_t seed, long month, long stream) nogil


cdef enum:
    # the random streams of careflow.model.project (the same numbers)
    EVENT = 0
    AGE = 1
    PHASE = 5
    REPHASE = 6
    SEGMENT = 7
    OUTCOME = 8
    ADULT_AGE = 216  # months: children leave care at 18

cdef uint64_t ENTRANT = 1ULL << 63  # an entrant's identity: this bit | month << 40 | (band, category) << 20 | ordinal


cdef struct Tables:
    int R, M, B, C, G, T, groups, g_settled, adult, ages
    bint reset
    const double *Hc  # [R * B * C, M + 1] each settled cell's cumulative hazard from the start to each month
    const double *h_move  # [cells] total daily hazard of moves
    const double *h_exit  # [cells] and of exits
    const double *share_move  # [cells, C] cumulative shares of the moves
    const double *share_exit  # [cells, G] and of the exits
    const double *exit_walk  # [R, M]
    const double *days  # [M]
    const int64_t *mb  # [216] age band of each month of age
    const int64_t *edges  # [B + 1] first month of age of each band, and 216
    const int64_t *dur_class  # [T + 2] duration class of each months-since-clock state
    int32_t *held  # [R, M + 1, B, C] children in care at each month end, as +1/-1 where stretches start/end
    int32_t *exits  # [R, M, C, G] exits by the category left from


cdef inline int pick_outcome(const Tables *t, int64_t cell, double move, double exit_, double u) noexcept nogil:
    """As project._Runs._pick_outcome: k < C a move to category k, C + group an exit."""
    cdef double p_exit = exit_ / (move + exit_)
    cdef double x
    cdef int j, k = 0
    cdef const double *share
    if u < p_exit:
        x = u / p_exit
        share = t.share_exit + cell * t.G
        for j in range(t.G):
            k += x >= share[j]
        return t.C + (k if k < t.G - 1 else t.G - 1)
    x = (u - p_exit) / (1 - p_exit)
    share = t.share_move + cell * t.C
    for j in range(t.C):
        k += x >= share[j]
    return k if k < t.C - 1 else t.C - 1


cdef inline void count_exit(const Tables *t, int r, int m, int cat, int group) noexcept nogil:
    t.exits[((<int64_t>r * t.M + m) * t.C + cat) * t.G + group] += 1


cdef inline void held(const Tables *t, int r, int m0, int m1, int64_t band, int cat) noexcept nogil:
    """In care in band ``band`` and category ``cat`` at the ends of months ``m0 .. m1 - 1``."""
    cdef int64_t run = <int64_t>r * (t.M + 1)
    t.held[((run + m0) * t.B + band) * t.C + cat] += 1
    t.held[((run + m1) * t.B + band) * t.C + cat] -= 1


cdef inline int64_t settled_row(const Tables *t, int r, int age, int cat) noexcept nogil:
    if age >= ADULT_AGE:  # (one turning 18 now leaves at this month's end)
        age = ADULT_AGE - 1
    return (<int64_t>r * t.B + t.mb[age]) * t.C + cat


cdef void follow(const Tables *t, int r, int born, int cat, uint64_t seed, int dur, double phase, int m,
                 bint young) noexcept nogil:
    """Follow one child of run ``r`` from the start of month ``m`` (its age then: ``born + m`` months) until it
    leaves or the projection ends; ``young``: in a shorter duration class (state ``dur``, its clock's ``phase``
    day). Settled, it holds its cell ``row`` (run, band, category) and the cumulative hazard ``target`` at which
    its next event comes (project._Runs)."""
    cdef int64_t row = 0, new, cell, cell0, cell1, k_r = <int64_t>r * t.groups
    cdef double target = 0.0, d, walk, a, h0, part0, either, u
    cdef int k, age, last, edge, band
    cdef const double *H
    if not young:  # a segment of a settled stay from this month (project._Runs._segment)
        row = settled_row(t, r, born + m, cat)
        target = t.Hc[row * (t.M + 1) + m] - log1p(-careflow_uniform(seed, m, SEGMENT))
    while m < t.M:
        d = t.days[m]
        walk = t.exit_walk[<int64_t>r * t.M + m]
        if young:  # project._Runs._step_young
            age = born + m
            cell0 = (k_r + t.mb[age] + t.B * t.dur_class[dur]) * t.C + cat
            cell1 = (k_r + t.mb[age] + t.B * t.dur_class[dur + 1]) * t.C + cat
            a = phase if phase < d else d
            h0 = (t.h_move[cell0] + walk * t.h_exit[cell0]) * a
            part0 = -expm1(-h0)
            either = -expm1(-h0 - (t.h_move[cell1] + walk * t.h_exit[cell1]) * (d - a))
            u = careflow_uniform(seed, m, EVENT)
            if u < either:
                cell = cell0 if u < part0 else cell1
                k = pick_outcome(t, cell, t.h_move[cell], walk * t.h_exit[cell], careflow_uniform(seed, m, OUTCOME))
                if k >= t.C:
                    count_exit(t, r, m, cat, k - t.C)
                    return
                cat = k
                if t.reset:  # a new placement: its first month ends on this day of the next
                    dur = -1
                    phase = careflow_uniform(seed, m, PHASE) * d
            dur = dur + 1 if dur + 1 < t.T else t.T
            if born + m + 1 >= ADULT_AGE:
                count_exit(t, r, m, cat, t.adult)
                return
            if dur == t.T:  # settled from next month
                young = False
                row = settled_row(t, r, born + m + 1, cat)
                target = t.Hc[row * (t.M + 1) + m + 1] - log1p(-careflow_uniform(seed, m + 1, SEGMENT))
            held(t, r, m, m + 1, t.mb[born + m + 1], cat)
            m += 1
            continue
        # settled (project._Runs._settled_events and _rebands): its cell holds until its next event, or month
        # ``edge`` at whose end it reaches the next band's first age (a new cell) or 18 (it leaves), or the end
        band = (row // t.C) % t.B
        edge = t.edges[band + 1] - born - 1
        last = edge if edge < t.M - 1 else t.M - 1
        H = t.Hc + row * (t.M + 1)
        k = m
        while k < last and not H[k + 1] > target:
            k += 1
        if k > m:  # no event in months m .. k - 1 (counted in this band: the band of age born + month + 1)
            held(t, r, m, k, band, cat)
        m = k
        d = t.days[m]
        walk = t.exit_walk[<int64_t>r * t.M + m]
        if H[m + 1] > target:  # the event, in month m
            cell = (k_r + t.g_settled + band) * t.C + cat
            k = pick_outcome(t, cell, t.h_move[cell], walk * t.h_exit[cell], careflow_uniform(seed, m, OUTCOME))
            if k >= t.C:
                count_exit(t, r, m, cat, k - t.C)
                return
            cat = k
            if born + m + 1 >= ADULT_AGE:
                count_exit(t, r, m, cat, t.adult)
                return
            if t.reset:
                young = True
                dur = 0
                phase = careflow_uniform(seed, m, PHASE) * d
            else:  # a new segment from next month, in next month's band
                row = settled_row(t, r, born + m + 1, cat)
                target = t.Hc[row * (t.M + 1) + m + 1] - log1p(-careflow_uniform(seed, m + 1, SEGMENT))
        elif m < edge:  # no event, and the projection ends in this band
            held(t, r, m, m + 1, band, cat)
            return
        else:  # no event, and month m is the band's last
            if born + m + 1 >= ADULT_AGE:
                count_exit(t, r, m, cat, t.adult)
                return
            new = settled_row(t, r, born + m + 1, cat)  # the same hazard left before the next event
            target += t.Hc[new * (t.M + 1) + m + 1] - H[m + 1]
            row = new
        held(t, r, m, m + 1, t.mb[born + m + 1], cat)
        m += 1


cdef void enter(const Tables *t, int r, int m, int band, int cat, uint64_t seed, int age, double phase) noexcept nogil:
    """An entrant of run ``r`` in month ``m`` (age ``age`` at the end of the month, entry band ``band``, first
    category ``cat``) arriving on day ``phase``: an event in the rest of the month with the first duration
    class's hazards (project._Runs._enter), then followed from the next month."""
    cdef double d = t.days[m]
    cdef int64_t cell = (<int64_t>r * t.groups + band) * t.C + cat
    cdef double mv = t.h_move[cell], ex = t.exit_walk[<int64_t>r * t.M + m] * t.h_exit[cell]
    cdef int k, born = age - (m + 1)
    if careflow_uniform(seed, m, EVENT) < -expm1(-(mv + ex) * (d - phase)):
        k = pick_outcome(t, cell, mv, ex, careflow_uniform(seed, m, OUTCOME))
        if k >= t.C:
            count_exit(t, r, m, cat, k - t.C)
            return
        cat = k
        if t.reset:
            phase = careflow_uniform(seed, m, REPHASE) * d
    held(t, r, m, m + 1, t.mb[age], cat)
    follow(t, r, born, cat, seed, 0, phase, m + 1, t.T > 0)


cdef inline int age_at_entry(const double *cdf, int n, double u) noexcept nogil:
    """The first month of age whose cumulative share is at or above ``u`` (numpy's searchsorted, side left), by
    a binary search without branches (its steps do not depend on ``u``, so the processor need not guess them)."""
    cdef const double *base = cdf
    cdef int half
    while n > 1:
        half = n >> 1
        base = base + half if base[half] < u else base
        n -= half
    return <int>(base - cdf) + (base[0] < u)


def simulate(int R, int M, int B, int C, int G, int T, int groups, int g_settled, int adult, bint reset,
             const double[:, ::1] Hc, const double[::1] h_move, const double[::1] h_exit,
             const double[:, ::1] share_move, const double[:, ::1] share_exit, const double[:, ::1] exit_walk,
             const double[::1] days, const int64_t[::1] mb, const int64_t[::1] edges, const int64_t[::1] dur_class,
             const uint64_t[::1] run_keys, const int32_t[::1] born, const int32_t[::1] cat,
             const int32_t[::1] dur, const double[::1] phase,
             const int64_t[:, :, :, ::1] arrivals, const double[:, ::1] cdf_age,
             int32_t[:, :, :, ::1] held_out, int32_t[:, :, ::1] entries, int32_t[:, :, :, ::1] exits):
    """Follow every run's starting children (``born`` .. ``phase``: the stock's children, the same in each run,
    at the start of month 0; child ``i`` of run ``r`` has the seed of identity ``i`` under ``run_keys[r]``) and
    its entrants (``arrivals`` [M, R, B, C]: how many enter in each month, run, age band and first category;
    their ages from ``cdf_age`` [B, ages]), adding to ``held_out`` [R, M + 1, B, C] (children in care at each
    month end as stretches: its cumulative sum over months), ``entries`` [R, M, C] and ``exits`` [R, M, C, G],
    zeros on the way in. ``Hc`` is the settled cells' cumulative hazard [R * B * C, M + 1]
    (project._Followed._hazard_table)."""
    if (Hc.shape[0] != R * B * C or Hc.shape[1] != M + 1 or mb.shape[0] < ADULT_AGE or edges.shape[0] != B + 1
            or dur_class.shape[0] < T + 2 or run_keys.shape[0] != R or h_move.shape[0] < R * groups * C
            or share_move.shape[1] != C or share_exit.shape[1] != G or cdf_age.shape[0] != B):
        raise ValueError("tables of the wrong shape")
    if ((arrivals.shape[0], arrivals.shape[1], arrivals.shape[2], arrivals.shape[3]) != (M, R, B, C)
            or (held_out.shape[0], held_out.shape[1], held_out.shape[2], held_out.shape[3]) != (R, M + 1, B, C)
            or (entries.shape[0], entries.shape[1], entries.shape[2]) != (R, M, C)
            or (exits.shape[0], exits.shape[1], exits.shape[2], exits.shape[3]) != (R, M, C, G)
            or cat.shape[0] != born.shape[0] or dur.shape[0] != born.shape[0] or phase.shape[0] != born.shape[0]):
        raise ValueError("counts of the wrong shape")
    if R == 0 or M == 0:
        return
    cdef Tables t
    t.R, t.M, t.B, t.C, t.G, t.T = R, M, B, C, G, T
    t.groups, t.g_settled, t.adult, t.reset, t.ages = groups, g_settled, adult, reset, cdf_age.shape[1]
    t.Hc, t.h_move, t.h_exit = &Hc[0, 0], &h_move[0], &h_exit[0]
    t.share_move, t.share_exit = &share_move[0, 0], &share_exit[0, 0]
    t.exit_walk, t.days, t.mb, t.edges = &exit_walk[0, 0], &days[0], &mb[0], &edges[0]
    t.dur_class = &dur_class[0]
    t.held, t.exits = &held_out[0, 0, 0, 0], &exits[0, 0, 0, 0]
    cdef Py_ssize_t i, n
    cdef int r, m, b, c, age
    cdef uint64_t seed
    cdef double d
    with nogil:
        # run by run: a run's cells and counts stay in the processor's caches while its children are followed
        for r in range(R):
            for i in range(born.shape[0]):
                follow(&t, r, born[i], cat[i], careflow_seed(run_keys[r], <uint64_t>i), dur[i], phase[i], 0,
                       dur[i] < T)
            for m in range(M):
                d = days[m]
                for b in range(B):
                    for c in range(C):
                        n = arrivals[m, r, b, c]
                        entries[r, m, c] += <int32_t>n
                        for i in range(n):
                            seed = careflow_seed(run_keys[r], ENTRANT | (<uint64_t>m << 40)
                                                 | (<uint64_t>(b * C + c) << 20) | <uint64_t>i)
                            age = age_at_entry(&cdf_age[b, 0], t.ages, careflow_uniform(seed, m, AGE))
                            enter(&t, r, m, b, c, seed, age, careflow_uniform(seed, m, PHASE) * d)


def ages_at_entry(const double[::1] cdf, const double[::1] u):
    """``age_at_entry`` for each of ``u`` (for tests: it must agree with numpy's searchsorted, side left)."""
    import numpy as np

    out = np.empty(u.shape[0], dtype=np.int64)
    cdef long long[::1] o = out
    cdef Py_ssize_t i
    for i in range(u.shape[0]):
        o[i] = age_at_entry(&cdf[0], <int>cdf.shape[0], u[i])
    return out
