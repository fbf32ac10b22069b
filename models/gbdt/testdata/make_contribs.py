#!/usr/bin/python3
"""Writes contribs.json: an XGBoost model in Credence's form, rows and XGBoost's
SHAP contributions (pred_contribs, exact path-dependent TreeSHAP) for them.

TestContributionsMatchXGBoost decodes the model with gbdt.Decode and compares
Credence's contributions, margins and bias with XGBoost's on the same trees.

Usage (from the repository root):
    /usr/bin/python3 models/gbdt/testdata/make_contribs.py

The data are synthetic (seeded) and float32-exact, so that XGBoost, which reads
float32, and Credence, which reads float64, send every value down the same
branch. Some columns are integer codes, whose values fall on split thresholds,
and some have missing values. Eight features under depth-6 trees make paths
that split on a feature more than once.

credence_model() is also used by cmd/bench/shap/compare.py.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

TREES = 25
DEPTH = 6


def credence_model(booster, features, base_margin, max_depth, learning_rate):
    """Returns booster's trees as Credence's gbdt model JSON (a dict).

    Nodes are renumbered breadth first, so that children follow their parent
    side by side as Credence requires. XGBoost stores each node's hessian sum
    in float32, rounded apart from its children's, so a split's cover is set to
    the sum of its children's covers (Credence checks that they add up); the
    leaves' covers, the thresholds and the leaf values are XGBoost's own.
    """
    raw = json.loads(booster.save_raw("json"))
    trees = []
    for t in raw["learner"]["gradient_booster"]["model"]["trees"]:
        left, right = t["left_children"], t["right_children"]
        order, new = [0], {0: 0}
        k = 0
        while k < len(order):
            i = order[k]
            k += 1
            if left[i] >= 0:
                new[left[i]], new[right[i]] = len(order), len(order) + 1
                order += [left[i], right[i]]
        n = len(order)
        tj = {key: [None] * n for key in ("feature", "threshold", "default_left", "left", "right", "value", "cover", "gain")}
        for i in order:
            j = new[i]
            leaf = left[i] < 0
            tj["feature"][j] = -1 if leaf else t["split_indices"][i]
            tj["threshold"][j] = 0.0 if leaf else float(np.float32(t["split_conditions"][i]))
            tj["default_left"][j] = (not leaf) and bool(t["default_left"][i])
            tj["left"][j] = -1 if leaf else new[left[i]]
            tj["right"][j] = -1 if leaf else new[right[i]]
            tj["value"][j] = float(np.float32(t["split_conditions"][i])) if leaf else 0.0
            tj["cover"][j] = float(np.float32(t["sum_hessian"][i]))
            tj["gain"][j] = 0.0 if leaf else float(np.float32(t["loss_changes"][i]))
        for j in reversed(range(n)):
            if tj["left"][j] >= 0:
                tj["cover"][j] = tj["cover"][tj["left"][j]] + tj["cover"][tj["right"][j]]
        trees.append(tj)
    return {
        "family": "gbdt",
        "version": 1,
        "features": features,
        "base_score": base_margin,
        "config": {"trees": len(trees), "max_depth": max_depth, "learning_rate": learning_rate},
        "trees": trees,
    }


def synthetic(n, p, rng):
    """Credit-like float32-exact data with interactions, codes and NaN."""
    X = rng.normal(size=(n, p)).astype(np.float32)
    X[:, 3] = rng.integers(0, 6, size=n)  # a code: values on thresholds
    X[:, 6] = rng.integers(0, 3, size=n)
    X[rng.random(n) < 0.1, 5] = np.nan
    X[rng.random(n) < 0.05, 1] = np.nan
    Xf = X.astype(np.float64)
    z = -1 + 0.9 * Xf[:, 0] - 0.7 * np.nan_to_num(Xf[:, 1]) + 0.5 * Xf[:, 2] * Xf[:, 4] + 0.3 * Xf[:, 3]
    z += np.where(np.isnan(Xf[:, 5]), 1.0, 0.4 * np.nan_to_num(Xf[:, 5]))
    z += np.sin(2 * Xf[:, 7])
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float64)
    return X, y


def main():
    rng = np.random.default_rng(20240601)
    p = 8
    features = [f"x{j}" for j in range(p)]
    X, y = synthetic(5000, p, rng)
    Xt, _ = synthetic(200, p, rng)
    # base_score 0.5 is a margin of 0: the bias is the trees' alone.
    clf = xgb.XGBClassifier(n_estimators=TREES, max_depth=DEPTH, learning_rate=0.3, tree_method="hist",
                            max_bin=64, base_score=0.5, random_state=0, n_jobs=2)
    clf.fit(X, y)
    booster = clf.get_booster()
    dm = xgb.DMatrix(Xt, missing=np.nan)
    contribs = booster.predict(dm, pred_contribs=True)
    margins = booster.predict(dm, output_margin=True)
    out = {
        "xgboost_version": xgb.__version__,
        "trees": TREES,
        "max_depth": DEPTH,
        "model": credence_model(booster, features, 0.0, DEPTH, 0.3),
        # NaN as null: JSON has none.
        "rows": [[None if np.isnan(v) else float(v) for v in row] for row in Xt],
        "contribs": [[float(v) for v in row] for row in contribs],
        "margins": [float(v) for v in margins],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contribs.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {path}: {TREES} trees, {len(Xt)} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
