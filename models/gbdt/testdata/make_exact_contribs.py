#!/usr/bin/python3
"""Writes contribs_exact.json: hand-built trees on which XGBoost's float32
TreeSHAP is exact arithmetic, so that its pred_contribs can be held to 1e-9.

XGBoost 1.7 computes pred_contribs in float32; on trained trees it agrees
with Credence (float64) to float32 rounding only (contribs.json, about 4e-7).
Here every quantity TreeSHAP forms fits float32's 24 bits: covers split a
parent in quarters, halves or three quarters in the top levels and in halves
below (zero fractions are products of 1/4, 1/2 and 3/4), leaf values are
multiples of 1/64, thresholds and rows multiples of 1/8, and a path splits on
at most two distinct features (with three, XGBoost's path weights carry
thirds and round). Trees are 3 to 6 deep and split on one feature throughout,
or on one at the root and another at every level below: paths unwind and
re-extend a repeated feature, the part of TreeSHAP most easily got wrong.
Missing values take the default branch.

The trees are written, breadth first (XGBoost's CPU predictor assumes that
layout and mispredicts a JSON tree numbered otherwise), into an XGBoost
model's JSON envelope (from one round trained on noise), loaded back into
XGBoost, and its pred_contribs and margins recorded beside the same trees in
Credence's form.

Usage (from the repository root):
    /usr/bin/python3 models/gbdt/testdata/make_exact_contribs.py
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_contribs import credence_model  # noqa: E402

FEATURES = 8
TREES = 40
ROOT_COVER = 4096.0


def grow(rng, depth, max_depth, cover, feature_of, nodes):
    """Appends a node (and its subtree) to nodes; returns its index."""
    i = len(nodes)
    nodes.append(None)
    if depth == max_depth or (depth >= 2 and rng.random() < 0.2):
        nodes[i] = {"leaf": True, "value": int(rng.integers(-48, 49)) / 64.0, "cover": cover}
        return i
    # Uneven shares in the top levels only: below them the products of
    # 3/4s would need more than float32's 24 bits.
    share = [0.25, 0.5, 0.75][int(rng.integers(0, 3))] if depth < 3 else 0.5
    f = feature_of(depth)
    node = {"leaf": False, "feature": f, "threshold": int(rng.integers(-12, 13)) / 8.0,
            "default_left": bool(rng.random() < 0.5), "cover": cover}
    nodes[i] = node
    node["left"] = grow(rng, depth + 1, max_depth, cover * share, feature_of, nodes)
    node["right"] = grow(rng, depth + 1, max_depth, cover * (1 - share), feature_of, nodes)
    return i


def tree(rng, k):
    """Tree k: one feature throughout (even k), or one at the root and
    another at every level below it (odd k)."""
    f0 = int(rng.integers(0, FEATURES))
    f1 = int(rng.choice([j for j in range(FEATURES) if j != f0]))
    nodes = []
    depth = int(rng.integers(3, 7))
    if k % 2 == 0:
        grow(rng, 0, depth, ROOT_COVER, lambda d: f0, nodes)
    else:
        grow(rng, 0, depth, ROOT_COVER, lambda d: f0 if d == 0 else f1, nodes)
    return nodes


def breadth_first(nodes):
    """nodes renumbered breadth first, as XGBoost's trees are laid out (its
    CPU predictor assumes that layout for the top levels)."""
    order, new = [0], {0: 0}
    k = 0
    while k < len(order):
        nd = nodes[order[k]]
        k += 1
        if not nd["leaf"]:
            new[nd["left"]], new[nd["right"]] = len(order), len(order) + 1
            order += [nd["left"], nd["right"]]
    out = []
    for i in order:
        nd = dict(nodes[i])
        if not nd["leaf"]:
            nd["left"], nd["right"] = new[nd["left"]], new[nd["right"]]
        out.append(nd)
    return out


def xgboost_tree(nodes, tid):
    """nodes as an XGBoost JSON tree."""
    nodes = breadth_first(nodes)
    n = len(nodes)
    t = {"base_weights": [0.0] * n, "categories": [], "categories_nodes": [], "categories_segments": [],
         "categories_sizes": [], "default_left": [0] * n, "id": tid, "left_children": [-1] * n,
         "loss_changes": [0.0] * n, "parents": [2147483647] * n, "right_children": [-1] * n,
         "split_conditions": [0.0] * n, "split_indices": [0] * n, "split_type": [0] * n,
         "sum_hessian": [0.0] * n,
         "tree_param": {"num_deleted": "0", "num_feature": str(FEATURES), "num_nodes": str(n), "size_leaf_vector": "0"}}
    for i, nd in enumerate(nodes):
        t["sum_hessian"][i] = nd["cover"]
        if nd["leaf"]:
            t["split_conditions"][i] = nd["value"]
            t["base_weights"][i] = nd["value"]
            continue
        t["split_indices"][i] = nd["feature"]
        t["split_conditions"][i] = nd["threshold"]
        t["default_left"][i] = int(nd["default_left"])
        t["left_children"][i], t["right_children"][i] = nd["left"], nd["right"]
        t["parents"][nd["left"]] = t["parents"][nd["right"]] = i
        t["loss_changes"][i] = 1.0
    return t


def main():
    rng = np.random.default_rng(20261201)
    trees = [tree(rng, k) for k in range(TREES)]

    X0 = rng.normal(size=(64, FEATURES)).astype(np.float32)
    base = xgb.train({"max_depth": 1, "base_score": 0.5, "objective": "binary:logistic"},
                     xgb.DMatrix(X0, (X0[:, 0] > 0).astype(float)), 1)
    raw = json.loads(base.save_raw("json"))
    model = raw["learner"]["gradient_booster"]["model"]
    model["trees"] = [xgboost_tree(nodes, k) for k, nodes in enumerate(trees)]
    model["tree_info"] = [0] * TREES
    model["gbtree_model_param"]["num_trees"] = str(TREES)
    booster = xgb.Booster(model_file=bytearray(json.dumps(raw).encode()))

    # Rows: small multiples of 1/8 (some on thresholds), some missing.
    rows = rng.integers(-14, 15, size=(300, FEATURES)).astype(np.float32) / 8
    rows[rng.random(rows.shape) < 0.1] = np.nan
    dm = xgb.DMatrix(rows, missing=np.nan)
    contribs = booster.predict(dm, pred_contribs=True)
    margins = booster.predict(dm, output_margin=True)
    out = {
        "xgboost_version": xgb.__version__,
        "trees": TREES,
        "model": credence_model(booster, [f"x{j}" for j in range(FEATURES)], 0.0, 6, 1.0),
        "rows": [[None if np.isnan(v) else float(v) for v in row] for row in rows],
        "contribs": [[float(v) for v in row] for row in contribs],
        "margins": [float(v) for v in margins],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contribs_exact.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {path}: {TREES} trees, {len(rows)} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
