#!/usr/bin/python3
"""Trains XGBoost on the data gbdtbench gen wrote, writes its first 100 and
all 300 trees in Credence's model form, and times pred_contribs (exact
path-dependent TreeSHAP) on the first EVAL rows at each size.

    xgb.py --dir DIR [--trees 100,300 --depth 6 --lr 0.1 --threads 2 --eval 10000]

Writes DIR/model-T.json (Credence's gbdt form, read by shapbench),
DIR/xgb-*.json (the booster, reused by later runs with the same settings),
DIR/contribs-T.f64 (XGBoost's contributions of the first CHECK rows, for
shapbench to compare with) and DIR/xgb.json (timings).
"""
import argparse
import importlib.util
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
spec = importlib.util.spec_from_file_location(
    "make_contribs", os.path.join(ROOT, "models", "gbdt", "testdata", "make_contribs.py"))
make_contribs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_contribs)

CHECK = 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--trees", default="100,300")
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval", type=int, default=10000)
    ap.add_argument("--train-rows", type=int, default=200000)
    args = ap.parse_args()
    sizes = [int(t) for t in args.trees.split(",")]

    with open(os.path.join(args.dir, "shape.json")) as f:
        shape = json.load(f)
    X = np.fromfile(os.path.join(args.dir, "X.f32"), dtype="<f4").reshape(shape["rows"], shape["cols"])
    y = np.fromfile(os.path.join(args.dir, "y.f32"), dtype="<f4")
    # Train on the rows after the evaluation rows.
    Xtr, ytr = X[args.eval:args.eval + args.train_rows], y[args.eval:args.eval + args.train_rows]
    Xev = X[:args.eval]
    params = {
        "objective": "binary:logistic", "tree_method": "hist", "max_depth": args.depth, "eta": args.lr,
        "min_child_weight": 1, "lambda": 1, "max_bin": 256, "base_score": 0.5, "nthread": args.threads,
    }
    # The fitted booster is kept and reused by later runs on the same data.
    saved = os.path.join(args.dir, f"xgb-{max(sizes)}-{args.depth}-{args.lr}-{args.eval}-{args.train_rows}.json")
    if os.path.exists(saved):
        booster = xgb.Booster(model_file=saved)
        booster.set_param({"nthread": args.threads})
        print(f"xgboost {xgb.__version__}: {max(sizes)} trees read from {saved}", file=sys.stderr)
    else:
        t0 = time.perf_counter()
        booster = xgb.train(params, xgb.DMatrix(Xtr, label=ytr, nthread=args.threads), num_boost_round=max(sizes))
        fit_s = time.perf_counter() - t0
        booster.save_model(saved)
        print(f"xgboost {xgb.__version__}: fitted {max(sizes)} trees in {fit_s:.1f} s", file=sys.stderr)

    dev = xgb.DMatrix(Xev, nthread=args.threads)
    features = [f"f{j}" for j in range(shape["cols"])]
    out = {"xgboost_version": xgb.__version__, "threads": args.threads, "eval_rows": args.eval, "runs": []}
    for T in sizes:
        b = booster[:T]
        with open(os.path.join(args.dir, f"model-{T}.json"), "w") as f:
            json.dump(make_contribs.credence_model(b, features, 0.0, args.depth, args.lr), f)
        b.predict(xgb.DMatrix(Xev[:100]), pred_contribs=True)  # warm up
        t0 = time.perf_counter()
        c = b.predict(dev, pred_contribs=True)
        s = time.perf_counter() - t0
        c[:CHECK].astype("<f8").tofile(os.path.join(args.dir, f"contribs-{T}.f64"))
        out["runs"].append({"trees": T, "seconds": s, "rows_per_s": args.eval / s})
        print(f"xgboost pred_contribs, {T} trees: {args.eval} rows in {s:.2f} s = {args.eval / s:,.0f} rows/s", file=sys.stderr)
    with open(os.path.join(args.dir, "xgb.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
