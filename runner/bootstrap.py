"""Math kernels of ``r2k simulate``: the stationary block bootstrap and the cash-flow replay.

Plain numpy, no pandas, no I/O: arrays in, arrays out, so a batch runs the same in this process,
in a pool worker or on a Dask worker, and the tests can check each step against a loop.

Why a block bootstrap and not quantstats' Monte Carlo: quantstats shuffles the same daily returns,
and a product does not depend on the order of its factors, so every shuffled path ends at the
same wealth (only drawdowns move). Drawing whole days *with replacement*, in blocks of random
(geometric) length starting at random days (Politis and Romano, 1994), changes which days a path
sees, so final wealth varies, and keeps the dependence inside a block: the strategy, its benchmark
and inflation of one day travel together, and so do runs of days shorter than a block.
"""

from __future__ import annotations

import numpy as np

#: Paths per batch. Fixed (not derived from the number of workers), so that every batch has its own
#: seed and a serial run, a process pool and a Dask cluster draw exactly the same paths.
BATCH = 500


def batch_rng(seed: int, batch: int) -> np.random.Generator:
    """The generator of one batch: an independent stream per (seed, batch index)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(batch,)))


def stationary_indices(rng: np.random.Generator, n_hist: int, paths: int, horizon: int,
                       mean_block: float) -> np.ndarray:
    """Day indices ``(paths, horizon)`` into a history of ``n_hist`` days (Politis-Romano).

    Each path starts at a uniform random day; every next day continues the block (the following
    day of history, wrapping around at the end: the circular version) with probability
    ``1 - 1/mean_block``, or starts a new block at a uniform random day. Block lengths are then
    geometric with mean ``mean_block``. A block as long as the history is the history itself:
    every path is days ``0, 1, ..., horizon-1`` in order (the limit where no block ever breaks and
    the start is the first day), which makes a one-path run reproduce the historical run.
    """
    if mean_block >= n_hist:
        return np.broadcast_to(np.arange(horizon), (paths, horizon)).copy()
    steps = np.arange(horizon)
    new = rng.random((paths, horizon)) < 1.0 / mean_block
    new[:, 0] = True
    starts = rng.integers(0, n_hist, size=(paths, horizon))
    block_start = np.where(new, steps, 0)
    np.maximum.accumulate(block_start, axis=1, out=block_start)
    first = np.take_along_axis(starts, block_start, axis=1)
    return (first + (steps - block_start)) % n_hist


def replay(returns: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Balances ``(paths, horizon + 1)`` of an account fed ``flows`` and growing by ``returns``.

    ``V[0] = flows[0]`` and ``V[t] = V[t-1] * (1 + r[t]) + flows[t]``: the inverse of the
    flow-neutral return ``r[t] = (V[t] - F[t]) / V[t-1] - 1`` every run reports, so history's own
    returns and ledger give back the run's account. Flows may be negative (withdrawals): the day
    the balance would fall to zero or below, the account is *depleted*: its balance is 0 from then
    on and no later flow is applied. Returns ``(balances, depletion step)``; the step is
    ``horizon + 1`` for a path that never depleted.
    """
    paths, horizon = returns.shape
    depleted = np.full(paths, horizon + 1)
    if not (flows[1:] < 0).any():  # deposits only: the closed form V[t] = G[t] * sum(F[s] / G[s])
        growth = np.cumprod(1.0 + returns, axis=1)
        growth = np.concatenate([np.ones((paths, 1)), growth], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            balances = growth * np.cumsum(flows[None, :] / growth, axis=1)
        if np.isfinite(balances).all():
            return balances, depleted
    balances = _replay_loop(returns, flows)  # withdrawals: day by day, no cancellation near zero
    below = balances <= 0.0
    below[:, 0] = False
    hit = below.any(axis=1)
    depleted = np.where(hit, np.argmax(below, axis=1), horizon + 1)
    after = np.arange(horizon + 1)[None, :] >= depleted[:, None]
    return np.where(after, 0.0, balances), depleted


def _replay_loop(returns: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """The recurrence day by day (used when the closed form overflows on a wiped-out path)."""
    paths, horizon = returns.shape
    out = np.empty((paths, horizon + 1))
    out[:, 0] = flows[0]
    for t in range(1, horizon + 1):
        out[:, t] = np.maximum(out[:, t - 1], 0.0) * (1.0 + returns[:, t - 1]) + flows[t]
    return out


def drawdown_stats(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per path: the deepest fall of the time-weighted wealth from its running peak (a negative
    fraction; the base 1.0 counts as a peak, as in r2k.reports.metrics) and the longest stretch
    of days below an earlier peak."""
    paths, horizon = returns.shape
    wealth = np.cumprod(1.0 + returns, axis=1)
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0), axis=1)
    depth = (wealth / peak - 1.0).min(axis=1)
    under = wealth < peak * (1.0 - 1e-12)
    steps = np.arange(1, horizon + 1)
    last_top = np.where(under, 0, steps)
    np.maximum.accumulate(last_top, axis=1, out=last_top)
    longest = (steps - last_top).max(axis=1)
    return np.minimum(depth, 0.0), longest
