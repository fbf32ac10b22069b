#!/usr/bin/python3
"""Writes reference.json: validation metrics from scikit-learn and scipy.

Run from this directory with Debian's Python (scikit-learn 1.2, scipy
1.10, numpy):

    /usr/bin/python3 make_reference.py

The samples are fixed by the seed. Where no library computes a metric
(DeLong's standard error, Hosmer-Lemeshow, PSI, the ECB's concentration
index, IV) it is computed here with numpy, following the published
formula and the grouping and smoothing rules pinned in the Go package's
documentation; scipy supplies the distributions. Floats are written in
full (Python's repr round-trips float64 exactly).
"""
import json

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve

SEED = 20240602
UPPER = [0.0003, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.12, 1.0]  # grade.DefaultScale


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def samples(rng):
    """Named samples: labels y, score, PD, weights."""
    out = {}

    # Continuous PDs, mildly informative; weights with some zeros.
    n = 4000
    z = rng.normal(-3.2, 1.1, n)
    y = (rng.uniform(size=n) < sigmoid(z)).astype(float)
    pd = sigmoid(z + rng.normal(0, 0.8, n))
    w = rng.uniform(0.5, 2.0, n)
    w[rng.uniform(size=n) < 0.02] = 0.0
    out["continuous"] = (y, pd, pd, w)

    # PDs rounded to 3 decimals: many ties, as a scorecard gives.
    n = 3000
    z = rng.normal(-2.5, 1.0, n)
    y = (rng.uniform(size=n) < sigmoid(z)).astype(float)
    pd = np.round(sigmoid(z + rng.normal(0, 1.0, n)), 3)
    out["tied"] = (y, pd, pd, rng.uniform(0.1, 3.0, n))

    # Score = grade (9 levels), PD = the grade's midpoint: heavy ties.
    n = 2500
    z = rng.normal(-3.5, 1.3, n)
    y = (rng.uniform(size=n) < sigmoid(z)).astype(float)
    pd0 = sigmoid(z + rng.normal(0, 0.7, n))
    grade = np.searchsorted(UPPER, pd0, side="left") + 1
    out["grades"] = (y, grade.astype(float), pd0, np.ones(n))

    # A small sample, easy to check by hand.
    y = np.array([0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0], float)
    s = np.array([.02, .05, .30, .05, .10, .01, .20, .30, .03, .07,
                  .04, .15, .02, .06, .05, .01, .08, .02, .03, .09])
    out["small"] = (y, s, s, np.linspace(1, 2, len(y)))
    return out


def midranks(x):
    order = np.argsort(x, kind="stable")
    z = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and z[j] == z[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def delong(y, score):
    """Fast DeLong (Sun & Xu 2014) for one score: AUC and its std error."""
    pos, neg = score[y == 1], score[y == 0]
    m, n = len(pos), len(neg)
    tx, ty = midranks(pos), midranks(neg)
    tz = midranks(np.concatenate([pos, neg]))
    auc = tz[:m].sum() / (m * n) - (m + 1) / (2 * n)
    v10 = (tz[:m] - tx) / n
    v01 = 1 - (tz[m:] - ty) / m
    se = np.sqrt(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    return float(auc), float(se)


def hosmer_lemeshow(y, pd, groups):
    order = np.argsort(pd, kind="stable")
    stat = 0.0
    for idx in np.array_split(order, groups):
        o, e, n = y[idx].sum(), pd[idx].sum(), len(idx)
        stat += (o - e) ** 2 / (e * (1 - e / n))
    return float(stat), float(stats.chi2.sf(stat, groups - 2))


def jeffreys_interval(d, n, level=0.95):
    a, b = d + 0.5, n - d + 0.5
    lo = 0.0 if d == 0 else stats.beta.ppf((1 - level) / 2, a, b)
    hi = 1.0 if d == n else stats.beta.ppf((1 + level) / 2, a, b)
    return float(lo), float(hi)


def light(p):
    return "red" if p <= 0.001 else "yellow" if p <= 0.05 else "green"


def calibration_by_grade(grades, pd, y):
    rows = []
    for g in np.unique(grades):
        m = grades == g
        n, d = int(m.sum()), int(y[m].sum())
        mean = float(pd[m].mean())
        jp = float(stats.beta.cdf(mean, d + 0.5, n - d + 0.5))
        bp = float(stats.binomtest(d, n, mean, alternative="greater").pvalue)
        lo, hi = jeffreys_interval(d, n)
        rows.append({
            "grade": int(g), "n": n, "defaults": d, "default_rate": d / n,
            "mean_pd": mean, "jeffreys_p": jp, "binomial_p": bp,
            "light": light(jp), "dr_low": lo, "dr_high": hi,
        })
    return rows


def psi_from_edges(expected, actual, edges):
    edges = np.asarray(edges, float)
    nb = len(edges) + 1

    def counts(x):
        c = np.zeros(nb + 1, int)
        nan = np.isnan(x)
        np.add.at(c, np.searchsorted(edges, x[~nan], side="left"), 1)
        c[nb] = nan.sum()
        return c

    e, a = counts(expected), counts(actual)
    if e[nb] == 0 and a[nb] == 0:
        e, a = e[:nb], a[:nb]
    smooth = 0.5 if (np.any(e == 0) or np.any(a == 0)) else 0.0
    es = (e + smooth) / (len(expected) + smooth * len(e))
    as_ = (a + smooth) / (len(actual) + smooth * len(a))
    terms = (as_ - es) * np.log(as_ / es)
    return {
        "edges": edges.tolist(), "psi": float(terms.sum()),
        "expected": e.tolist(), "actual": a.tolist(),
        "expected_share": es.tolist(), "actual_share": as_.tolist(), "terms": terms.tolist(),
    }


def quantile_edges(x, bins):
    """Inverted-CDF quantiles in integers: sorted[ceil(n*k/bins) - 1],
    distinct, below the maximum."""
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    if n == 0:
        return np.array([])
    idx = [(n * k + bins - 1) // bins - 1 for k in range(1, bins)]
    edges = np.unique(x[idx])
    return edges[edges < x[-1]]


def psi(expected, actual, bins):
    edges = quantile_edges(expected, bins)
    out = psi_from_edges(expected, actual, edges)
    out["bins"] = bins
    return out


def iv(y, bins):
    keys = np.unique(bins)
    good = np.array([np.sum((bins == k) & (y == 0)) for k in keys], float)
    bad = np.array([np.sum((bins == k) & (y == 1)) for k in keys], float)
    smooth = 0.5 if (np.any(good == 0) or np.any(bad == 0)) else 0.0
    g = (good + smooth) / (good.sum() + smooth * len(keys))
    b = (bad + smooth) / (bad.sum() + smooth * len(keys))
    return float(np.sum((g - b) * np.log(g / b)))


def herfindahl(grades, k):
    shares = np.array([np.mean(grades == g) for g in range(1, k + 1)])
    hhi = float(np.sum(shares[shares > 0] ** 2))
    cv = float(np.sqrt(k * np.sum((shares - 1 / k) ** 2)))
    hi = float(1 + np.log((cv ** 2 + 1) / k) / np.log(k))
    return {"k": k, "hhi": hhi, "cv": cv, "hi": hi}


def sample_reference(y, score, pd, w):
    fpr, tpr, thr = roc_curve(y, score)
    auc, se = delong(y, score)
    zq = stats.norm.ppf(0.975)
    grades = (np.searchsorted(UPPER, pd, side="left") + 1).astype(int)
    drops = []
    for init in [auc + 0.03, auc, auc - 0.02, 0.9]:
        zs = (init - auc) / se
        drops.append({"init": init, "z": zs, "p": float(stats.norm.sf(zs))})
    return {
        "y": y.tolist(), "score": score.tolist(), "pd": pd.tolist(), "w": w.tolist(),
        "grades": grades.tolist(),
        "auc": float(roc_auc_score(y, score)),
        "auc_weighted": float(roc_auc_score(y, score, sample_weight=w)),
        "ks": float(stats.ks_2samp(score[y == 1], score[y == 0]).statistic),
        # scikit-learn 1.2 puts max(score)+1 first; later versions +inf.
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()},
        "delong": {"auc": auc, "se": se},
        "ci95": [max(auc - zq * se, 0.0), min(auc + zq * se, 1.0)],
        "drop": drops,
        "brier": float(brier_score_loss(y, pd)),
        "brier_weighted": float(brier_score_loss(y, pd, sample_weight=w)),
        "log_loss": float(log_loss(y, pd, eps=1e-15)),
        "log_loss_weighted": float(log_loss(y, pd, eps=1e-15, sample_weight=w)),
        "hl10": hosmer_lemeshow(y, pd, 10),
        "hl5": hosmer_lemeshow(y, pd, 5) if len(y) >= 5 else None,
        "calibration": calibration_by_grade(grades, pd, y),
        "herfindahl": herfindahl(grades, 9),
        "iv": iv(y, grades),
    }


def tests_table():
    """Jeffreys and binomial p-values, including far tails."""
    cases = [
        (0, 100, 0.01), (1, 100, 0.01), (5, 100, 0.01), (3, 10, 0.3),
        (50, 1000, 0.01), (30, 10000, 0.001), (1000, 1000, 0.5),
        (0, 1, 0.5), (1, 1, 0.5), (12, 400, 0.03), (200, 5000, 0.02),
        (7, 50000, 0.0003), (2, 3, 0.999),
    ]
    out = []
    for d, n, p in cases:
        lo, hi = jeffreys_interval(d, n)
        lo90, hi90 = jeffreys_interval(d, n, 0.9)
        out.append({
            "defaults": d, "n": n, "pd": p,
            "jeffreys": float(stats.beta.cdf(p, d + 0.5, n - d + 0.5)),
            "binomial": float(stats.binomtest(d, n, p, alternative="greater").pvalue),
            "ci95": [lo, hi], "ci90": [lo90, hi90],
        })
    return out


def main():
    rng = np.random.RandomState(SEED)
    ref = {"sklearn": sklearn.__version__, "scipy": scipy.__version__,
           "numpy": np.__version__, "seed": SEED}
    ref["samples"] = {name: sample_reference(*s) for name, s in samples(rng).items()}
    ref["tests"] = tests_table()

    # PSI: a reference sample against a shifted one with missing values.
    expected = rng.normal(0, 1, 3000)
    expected[rng.uniform(size=3000) < 0.03] = np.nan
    actual = rng.normal(0.3, 1.2, 2000)
    actual[rng.uniform(size=2000) < 0.08] = np.nan
    grades_e = rng.choice(np.arange(1, 10), 3000, p=[.02, .05, .1, .2, .25, .2, .1, .05, .03])
    grades_a = rng.choice(np.arange(1, 10), 2000, p=[0, .03, .1, .22, .3, .2, .1, .05, 0])
    ref["psi"] = {
        "expected": [None if np.isnan(v) else v for v in expected.tolist()],
        "actual": [None if np.isnan(v) else v for v in actual.tolist()],
        "grades_expected": grades_e.tolist(),
        "grades_actual": grades_a.tolist(),
        "deciles": psi(expected, actual, 10),
        "quintiles": psi(expected, actual, 5),
        "same": psi(expected, expected, 10),
        "no_missing": psi(np.nan_to_num(expected, nan=0.5), np.nan_to_num(actual, nan=-0.5), 10),
        "grades": psi(grades_e.astype(float), grades_a.astype(float), 10),
        "edges": psi_from_edges(expected, actual, [-1.0, 0.0, 0.5, 2.0, 4.5]),
    }
    with open("reference.json", "w") as out:
        json.dump(ref, out, separators=(",", ":"))
        out.write("\n")


if __name__ == "__main__":
    main()
