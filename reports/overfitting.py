"""Overfitting statistics: how much of a sweep's best backtest is luck.

With N combinations tried, the best Sharpe ratio is high by chance alone. These statistics, all
computed from the trials' daily returns (sweep folder's returns.bin), say how high and how likely:

- :func:`expected_max_sharpe`: the Sharpe ratio the best of N zero-skill trials reaches on average
  (Bailey & Lopez de Prado 2014, "The Deflated Sharpe Ratio", J. Portfolio Management 40(5));
- :func:`psr`: the probabilistic Sharpe ratio, P[true SR > SR*] given the sample's length, skew
  and kurtosis (Bailey & Lopez de Prado 2012, "The Sharpe Ratio Efficient Frontier", J. Risk 15(2));
- :func:`dsr`: the deflated Sharpe ratio, PSR against the expected maximum of the N trials;
- :func:`min_track_record`: the minimum track record length for a Sharpe ratio to beat SR* (2012);
- :func:`pbo_cscv`: the probability of backtest overfitting by combinatorially symmetric
  cross-validation (Bailey, Borwein, Lopez de Prado & Zhu 2017, "The Probability of Backtest
  Overfitting", J. Computational Finance 20(4));
- :func:`walkforward_decay`: in-sample vs out-of-sample Sharpe of a walk-forward's folds.

Units: every Sharpe ratio inside these formulas is per period (daily: mean / std of the daily
returns, no risk-free rate), because T counts periods; reports show them annualised by sqrt(252).
Kurtosis is RAW (3 for a normal distribution), not excess: the variance term of the Sharpe ratio
estimate is ``1 - skew*SR + (kurt - 1)/4 * SR^2``, which for normal returns is ``1 + SR^2/2``
(feeding excess kurtosis there, as vectorbt does, gives ``1 - SR^2/4`` and overstates the PSR).
Skew and kurtosis are the sample's moments (``m3 / m2^1.5``, ``m4 / m2^2``).
"""

from __future__ import annotations

import math
from itertools import combinations
from statistics import NormalDist

import numpy as np

#: The standard normal (stdlib: its inv_cdf is Wichura's AS241, ~1e-16; no scipy import on the CLI path).
_N = NormalDist()

EULER_GAMMA = 0.5772156649015329
PERIODS = 252


def sharpe_ratios(returns: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio of each column of a (T x N) array: mean / std (ddof=1); NaN if std is 0."""
    r = np.asarray(returns, dtype=float)
    if r.ndim == 1:
        r = r[:, None]
    sd = r.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, r.mean(axis=0) / sd, np.nan)


def moments(returns: np.ndarray) -> tuple[float, float]:
    """(skew, RAW kurtosis) of a return series: ``m3 / m2^1.5`` and ``m4 / m2^2`` (normal: 0 and 3)."""
    x = np.asarray(returns, dtype=float)
    d = x - x.mean()
    m2 = float(np.mean(d ** 2))
    if m2 == 0:
        return 0.0, 3.0
    return float(np.mean(d ** 3) / m2 ** 1.5), float(np.mean(d ** 4) / m2 ** 2)


def sr_variance(sr: float, n: int, skew: float, kurt: float) -> float:
    """Variance of the Sharpe ratio estimate over ``n`` periods (Bailey & Lopez de Prado 2012, eq. for PSR;
    Mertens 2002 for non-normal returns): ``(1 - skew*SR + (kurt - 1)/4 * SR^2) / (n - 1)``.

    ``kurt`` is raw kurtosis; for normal returns (skew 0, kurt 3) this is ``(1 + SR^2/2) / (n - 1)``,
    Lo's (2002) i.i.d. result (his large-sample form divides by n).
    """
    return (1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr) / (n - 1)


def psr(sr: float, sr_star: float, n: int, skew: float, kurt: float) -> float:
    """Probabilistic Sharpe ratio (Bailey & Lopez de Prado 2012):
    ``PSR(SR*) = Phi((SR - SR*) * sqrt(n - 1) / sqrt(1 - skew*SR + (kurt - 1)/4 * SR^2))``.

    The probability that the true (per-period) Sharpe ratio exceeds ``sr_star``, given the
    estimate ``sr`` from ``n`` returns with that skew and RAW kurtosis.
    """
    v = sr_variance(sr, n, skew, kurt)
    if not v > 0:
        return math.nan
    return float(_N.cdf((sr - sr_star) / math.sqrt(v)))


def expected_max_sharpe(n_trials: int, var_sr: float, mean_sr: float = 0.0) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios under the null of no skill (Bailey & Lopez de
    Prado 2014, from the false strategy theorem):

        E[max SR] = mean + sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))

    with ``V`` the variance of the trials' Sharpe ratios and ``g`` the Euler-Mascheroni constant.
    One trial has nothing to select from: its expected maximum is the mean.
    """
    if n_trials < 2 or not var_sr > 0:
        return float(mean_sr)
    n = float(n_trials)
    z = (1 - EULER_GAMMA) * _N.inv_cdf(1 - 1 / n) + EULER_GAMMA * _N.inv_cdf(1 - 1 / (n * math.e))
    return float(mean_sr + math.sqrt(var_sr) * z)


def dsr(sr: float, n: int, skew: float, kurt: float, n_trials: int, var_sr: float) -> float:
    """Deflated Sharpe ratio (Bailey & Lopez de Prado 2014): the PSR of the best trial against the
    expected maximum Sharpe ratio of ``n_trials`` zero-skill trials whose SRs have variance ``var_sr``:
    ``DSR = PSR(E[max SR])`` (see :func:`psr`, :func:`expected_max_sharpe`)."""
    return psr(sr, expected_max_sharpe(n_trials, var_sr), n, skew, kurt)


def min_track_record(sr: float, sr_star: float, skew: float, kurt: float, prob: float = 0.95) -> float:
    """Minimum track record length, in periods (Bailey & Lopez de Prado 2012):
    ``MinTRL = 1 + (1 - skew*SR + (kurt - 1)/4 * SR^2) * (Phi^-1(prob) / (SR - SR*))^2``.

    How many returns like these it takes for PSR(SR*) to reach ``prob``; infinite when SR <= SR*.
    """
    if not sr > sr_star:
        return math.inf
    return float(1.0 + (1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr) * (_N.inv_cdf(prob) / (sr - sr_star)) ** 2)


def pbo_cscv(returns: np.ndarray, blocks: int = 16) -> dict:
    """Probability of backtest overfitting by CSCV (Bailey, Borwein, Lopez de Prado & Zhu 2017).

    The (T x N) matrix of the N trials' returns is cut into ``blocks`` (S, even) contiguous blocks
    of rows. For each of the C(S, S/2) ways to pick half of them as in-sample (the rest is the
    out-of-sample): find the trial n* with the best in-sample Sharpe ratio, its relative rank
    ``w = rank / (N + 1)`` among the N out-of-sample Sharpe ratios, and the logit
    ``lambda = ln(w / (1 - w))``. Then ``PBO = share of splits with lambda <= 0``: how often the
    in-sample best is at or below the median out of sample. Also returned: the logits, and the
    least-squares slope of n*'s out-of-sample on its in-sample Sharpe (negative or ~0: the
    in-sample edge does not carry over), and how often n* loses out of sample (OOS SR < 0).
    """
    r = np.asarray(returns, dtype=float)
    t, n = r.shape
    if blocks < 2 or blocks % 2:
        raise ValueError(f"CSCV needs an even number of blocks >= 2, not {blocks}")
    if n < 2:
        raise ValueError("CSCV needs at least two trials")
    if t < 2 * blocks:
        raise ValueError(f"CSCV with {blocks} blocks needs at least {2 * blocks} returns, not {t}")
    parts = np.array_split(np.arange(t), blocks)
    s1 = np.stack([r[p].sum(axis=0) for p in parts])  # blocks x N
    s2 = np.stack([(r[p] ** 2).sum(axis=0) for p in parts])
    cnt = np.array([len(p) for p in parts], dtype=float)
    choose = np.zeros((math.comb(blocks, blocks // 2), blocks))
    for i, c in enumerate(combinations(range(blocks), blocks // 2)):
        choose[i, list(c)] = 1.0

    def sr(mask: np.ndarray) -> np.ndarray:
        k = (mask @ cnt)[:, None]
        m1, m2 = mask @ s1, mask @ s2
        var = (m2 - m1 * m1 / k) / (k - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(var > 0, (m1 / k) / np.sqrt(np.maximum(var, 0)), 0.0)

    best_l, b_is_l, b_oos_l, rank_l = [], [], [], []
    for lo in range(0, len(choose), 2048):  # in chunks: C(20, 10) splits x N trials would not fit at once
        part = choose[lo:lo + 2048]
        is_sr, oos_sr = sr(part), sr(1.0 - part)
        best = np.argmax(is_sr, axis=1)
        rows = np.arange(len(best))
        b_oos = oos_sr[rows, best]
        below = (oos_sr < b_oos[:, None]).sum(axis=1)
        ties = (oos_sr == b_oos[:, None]).sum(axis=1)
        rank_l.append(below + (ties + 1) / 2.0)  # 1..N, ties share their average rank
        best_l.append(best)
        b_is_l.append(is_sr[rows, best])
        b_oos_l.append(b_oos)
    best, b_is, b_oos, rank = (np.concatenate(x) for x in (best_l, b_is_l, b_oos_l, rank_l))
    w = rank / (n + 1)
    logits = np.log(w / (1 - w))
    slope = float(np.polyfit(b_is, b_oos, 1)[0]) if np.ptp(b_is) > 0 else math.nan
    return {"pbo": float(np.mean(logits <= 0)), "logits": logits, "slope": slope,
            "prob_oos_loss": float(np.mean(b_oos < 0)), "splits": len(best), "blocks": blocks,
            "is_sharpe": b_is * math.sqrt(PERIODS), "oos_sharpe": b_oos * math.sqrt(PERIODS)}


def walkforward_decay(is_sharpe: list[float], oos_sharpe: list[float]) -> dict:
    """In-sample vs out-of-sample Sharpe of a walk-forward's folds, and how much is lost.

    ``decay = mean(IS) - mean(OOS)`` (annualised Sharpe points) and ``ratio = mean(OOS) / mean(IS)``:
    near 1 the training choice carries over; near 0 or below it was fitted to noise (the
    degradation Bailey et al. 2017 measure across CSCV splits, here across time-ordered folds).
    """
    a, b = np.asarray(is_sharpe, dtype=float), np.asarray(oos_sharpe, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if not len(a):
        return {"folds": 0, "mean_is": math.nan, "mean_oos": math.nan, "decay": math.nan, "ratio": math.nan}
    mi, mo = float(a.mean()), float(b.mean())
    return {"folds": int(len(a)), "mean_is": mi, "mean_oos": mo, "decay": mi - mo,
            "ratio": mo / mi if mi != 0 else math.nan}


def sweep_statistics(frame, blocks: int = 16) -> dict:
    """Every statistic of a sweep from its trials' daily returns (a dates x trials DataFrame).

    Trials whose returns never move (std 0: e.g. always in cash) have no Sharpe ratio and are
    left out of N. The best trial is the one with the highest Sharpe ratio (which the deflation
    is about), whatever metric ranks the table.
    """
    m = frame.to_numpy(dtype=float)
    srs = sharpe_ratios(m)
    ok = np.isfinite(srs)
    keys = [k for k, good in zip(frame.columns, ok, strict=True) if good]
    m, srs = m[:, ok], srs[ok]
    n_trials, t = len(srs), len(m)
    out: dict = {"trials": n_trials, "left_out_constant": int((~ok).sum()), "observations": t,
                 "start": f"{frame.index[0]:%Y-%m-%d}", "end": f"{frame.index[-1]:%Y-%m-%d}",
                 "periods_per_year": PERIODS}
    if n_trials < 1 or t < 3:
        return {**out, "verdict": "too few trials or returns for overfitting statistics"}
    best = int(np.argmax(srs))
    sr = float(srs[best])
    skew, kurt = moments(m[:, best])
    var_sr = float(np.var(srs, ddof=1)) if n_trials > 1 else 0.0
    emax = expected_max_sharpe(n_trials, var_sr)
    ann = math.sqrt(PERIODS)
    out.update({
        "best_key": keys[best], "best_sharpe": sr * ann, "best_skew": skew, "best_kurtosis": kurt,
        "sharpe_variance": var_sr * PERIODS, "expected_max_sharpe": emax * ann,
        "psr": psr(sr, 0.0, t, skew, kurt), "dsr": psr(sr, emax, t, skew, kurt),
        "min_track_record_years": min_track_record(sr, 0.0, skew, kurt) / PERIODS,
        "track_record_years": t / PERIODS,
    })
    pbo = None
    if n_trials >= 2 and t >= 2 * blocks:
        pbo = pbo_cscv(m, blocks)
        counts, edges = np.histogram(pbo["logits"], bins=20)
        out["pbo"] = {"pbo": pbo["pbo"], "slope": pbo["slope"], "prob_oos_loss": pbo["prob_oos_loss"],
                      "splits": pbo["splits"], "blocks": blocks,
                      "logits": {"counts": counts.tolist(), "edges": edges.tolist(),
                                 "median": float(np.median(pbo["logits"]))},
                      "is_sharpe": pbo["is_sharpe"].tolist(), "oos_sharpe": pbo["oos_sharpe"].tolist()}
    out["verdict"] = verdict(out)
    return _finite(out)


def _finite(obj):
    """The dict with NaN and infinity as None (JSON has neither; e.g. MinTRL is None when SR <= 0: never)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def verdict(stats: dict) -> str:
    """One line in plain words, e.g. "best Sharpe 0.52 of 231 trials; deflated Sharpe probability 0.41:
    not distinguishable from luck". With ``stats["baselines"]`` ({label: Sharpe}) it also says
    whether the best beats them: a Sharpe ratio above 0 that is not luck may still be below holding
    the index."""
    n, d = stats["trials"], stats.get("dsr")
    d = math.nan if d is None else d
    words = (f"not luck alone (its true Sharpe beats the best of {n} zero-skill trials with probability {d:.2f})"
             if d >= 0.95 else "not distinguishable from luck" if d == d else "no deflated Sharpe")
    line = (f"best Sharpe {stats['best_sharpe']:.2f} of {n} trial{'s' if n != 1 else ''} "
            f"({stats['start']}..{stats['end']}); the best of {n} zero-skill trials is expected at "
            f"{stats['expected_max_sharpe']:.2f}; deflated Sharpe probability {d:.2f}: {words}")
    p = stats.get("pbo")
    if p:
        line += (f"; probability of backtest overfitting {p['pbo']:.2f} "
                 + ("(the in-sample best lands at or below the median out of sample more often than not)"
                    if p["pbo"] > 0.5 else f"(CSCV, {p['splits']} splits)"))
    above = {k: v for k, v in (stats.get("baselines") or {}).items()
             if v is not None and v == v and v >= stats["best_sharpe"]}
    if above:
        line += "; yet its Sharpe is not above the baseline " + ", ".join(f"{k} ({v:.2f})" for k, v in above.items())
    return line
