"""One pass over a combination's account for what a sweep keeps of it: daily returns and exposure.

A batched sweep needs, per combination, its flow-neutral daily returns
(:func:`r2k.runner.engine.flow_neutral_returns`) and the share of days it held anything but cash
(reports.metrics.exposure's definition, from the holdings). In numpy that is a dozen passes over
the days, more than the compiled account loop itself; here it is one loop, compiled for batches
(runner.kernels), written into a row of the batch's returns matrix. The plain path
(:func:`returns_and_exposure_plain`) is the reference: tests/test_sweep_kernel.py holds both to
the same bits on real runs.
"""

from __future__ import annotations

import numpy as np

from r2k.runner.kernels import kernel, pick


@kernel
def _returns_and_held(value, flows, shares, risky, out):
    """Write ``r_t = (V_t - F_t) / V_{t-1} - 1`` (base ``F_0`` on day 1; 0 where the base is not
    positive) into ``out`` for t >= 1; return the number of days t >= 1 holding a risky asset."""
    n = value.shape[0]
    held = 0
    for t in range(1, n):
        prev = flows[0] if t == 1 else value[t - 1]
        out[t - 1] = (value[t] - flows[t]) / prev - 1.0 if prev > 0 else 0.0
        for c in range(risky.shape[0]):
            if abs(shares[t, risky[c]]) > 0:
                held += 1
                break
    return held


def returns_and_exposure(value: np.ndarray, flows: np.ndarray, shares: np.ndarray, risky: np.ndarray,
                         out: np.ndarray, *, compiled: bool = True) -> float | None:
    """Fill ``out`` (length days - 1) with the daily returns; return the exposure (None below two days).

    ``risky``: int64 columns of ``shares`` that are not cash."""
    if len(value) < 2:
        return None
    held = pick(_returns_and_held, compiled)(value, flows, shares, risky, out)
    return held / (len(value) - 1)


def returns_and_exposure_plain(value: np.ndarray, flows: np.ndarray, shares: np.ndarray,
                               risky: np.ndarray) -> tuple[np.ndarray, float | None]:
    """The reference: engine.flow_neutral_returns and the numpy exposure of the holdings."""
    from r2k.runner.engine import flow_neutral_returns

    r = flow_neutral_returns(value, flows)
    if len(value) < 2:
        return r, None
    if not len(risky):
        return r, 0.0
    held = (np.abs(shares[1:, risky]) > 0).any(axis=1)
    return r, float(held.mean())
