#!/usr/bin/python3
"""Writes reference.json: calibration fixtures from scikit-learn.

Run from this directory with Debian's Python (scikit-learn 1.2, numpy):

    /usr/bin/python3 make_reference.py

The data set is fixed by the seed: a raw PD that ranks well but is
miscalibrated (too low and too compressed), with ties, zero weights and
PDs of exactly 0 and 1 thrown in. The file holds the inputs, the fitted
parameters and the predictions at test PDs, with floats written in full
(Python's repr round-trips float64 exactly).
"""
import json

import numpy as np
import sklearn
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

SEED = 20240601
N = 3000
PD_CLIP = 1e-15  # models.Logit's clamp
ISO_MIN, ISO_MAX = 1e-6, 1 - 1e-6


def logit(p):
    p = np.clip(p, PD_CLIP, 1 - PD_CLIP)
    return np.log(p / (1 - p))


def make_data():
    rng = np.random.RandomState(SEED)
    z = rng.normal(-3.0, 1.2, N)
    y = (rng.uniform(size=N) < 1 / (1 + np.exp(-z))).astype(float)
    raw = 1 / (1 + np.exp(-(0.6 * z - 0.8 + rng.normal(0, 0.4, N))))
    # A third of the PDs rounded to 4 decimals: ties, as a scorecard gives.
    tied = rng.uniform(size=N) < 1 / 3
    raw[tied] = np.round(raw[tied], 4)
    raw[0], raw[1] = 0.0, 1.0
    w = rng.uniform(0.5, 2.0, N)
    w[rng.uniform(size=N) < 0.02] = 0.0
    return raw, y, w


def isotonic(pd, y, w, test):
    m = IsotonicRegression(y_min=ISO_MIN, y_max=ISO_MAX, out_of_bounds="clip")
    m.fit(pd, y, sample_weight=w)
    return {
        "x": m.X_thresholds_.tolist(),
        "y": m.y_thresholds_.tolist(),
        "pred": m.predict(test).tolist(),
    }


def logistic(f, y, w):
    """Unpenalised logistic regression of y on f; returns (a, b)."""
    # Newton-Cholesky converges to machine precision; L-BFGS stops early.
    m = LogisticRegression(C=1e12, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    m.fit(f.reshape(-1, 1), y, sample_weight=w)
    a, b = float(m.coef_[0, 0]), float(m.intercept_[0])
    # Check the optimum: the weighted score equations hold.
    p = 1 / (1 + np.exp(-(a * f + b)))
    grad = np.array([np.sum(w * (p - y) * f), np.sum(w * (p - y))])
    assert np.max(np.abs(grad)) < 1e-9 * np.sum(w), grad
    return a, b


def platt(pd, y, w, test, smooth):
    f = logit(pd)
    if w is None:
        w = np.ones_like(pd)
    keep = w > 0
    f, y, w = f[keep], y[keep], w[keep]
    if smooth:
        # Platt's targets as a weighted regression: each row becomes a
        # default of weight w·t and a non-default of weight w·(1 − t).
        pos, neg = np.sum(w[y == 1]), np.sum(w[y == 0])
        t = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))
        a, b = logistic(
            np.concatenate([f, f]),
            np.concatenate([np.ones_like(y), np.zeros_like(y)]),
            np.concatenate([w * t, w * (1 - t)]),
        )
    else:
        a, b = logistic(f, y, w)
    pred = 1 / (1 + np.exp(-(a * logit(test) + b)))
    return {"a": a, "b": b, "pred": pred.tolist()}


def main():
    pd, y, w = make_data()
    test = np.concatenate([
        [0.0, 1e-9, 1e-6, 1e-4, 0.5, 0.999, 1.0],
        np.linspace(0, 1, 101),
        np.quantile(pd, np.linspace(0, 1, 41)),
        pd[:200],
        (pd[:199] + pd[1:200]) / 2,
    ])
    ref = {
        "sklearn": sklearn.__version__,
        "seed": SEED,
        "pd": pd.tolist(),
        "y": y.tolist(),
        "w": w.tolist(),
        "test": test.tolist(),
        "isotonic": isotonic(pd, y, None, test),
        "isotonic_weighted": isotonic(pd, y, w, test),
        "platt": platt(pd, y, None, test, smooth=True),
        "platt_weighted": platt(pd, y, w, test, smooth=True),
        "platt_raw": platt(pd, y, None, test, smooth=False),
        "platt_raw_weighted": platt(pd, y, w, test, smooth=False),
    }
    with open("reference.json", "w") as out:
        json.dump(ref, out, separators=(",", ":"))
        out.write("\n")


if __name__ == "__main__":
    main()
