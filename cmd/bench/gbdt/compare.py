#!/usr/bin/python3
"""Trains XGBoost hist on the data gbdtbench wrote and prints a table of
its timings beside Credence's (the JSON line gbdtbench fit printed).

    compare.py --dir DIR --go DIR/go.json [--trees 100 --depth 6 --lr 0.1 --threads 2]
"""
import argparse
import json
import os
import time

import numpy as np
import xgboost as xgb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--go", required=True, help="gbdtbench fit output")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    with open(os.path.join(args.dir, "shape.json")) as f:
        shape = json.load(f)
    X = np.fromfile(os.path.join(args.dir, "X.f32"), dtype="<f4").reshape(shape["rows"], shape["cols"])
    y = np.fromfile(os.path.join(args.dir, "y.f32"), dtype="<f4")

    # The same settings as gbdt.DefaultConfig with the benchmark's trees,
    # depth and learning rate; base_score is the default rate in both.
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": args.depth,
        "eta": args.lr,
        "min_child_weight": 1,
        "lambda": 1,
        "max_bin": 256,
        "nthread": args.threads,
        "base_score": float(y.mean()),
    }
    start, cpu0 = time.perf_counter(), time.process_time()
    dtrain = xgb.DMatrix(X, label=y, nthread=args.threads)
    dmatrix_s = time.perf_counter() - start
    booster = xgb.train(params, dtrain, num_boost_round=args.trees)
    fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu0

    # Best of three, as gbdtbench does, on the same threads.
    booster.set_param({"nthread": args.threads})
    predict_s = predict_cpu_s = float("inf")
    for _ in range(3):
        start, cpu0 = time.perf_counter(), time.process_time()
        p = booster.inplace_predict(X)
        predict_s = min(predict_s, time.perf_counter() - start)
        predict_cpu_s = min(predict_cpu_s, time.process_time() - cpu0)
    p = np.clip(p, 1e-15, 1 - 1e-15)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    with open(args.go) as f:
        go = json.load(f)
    rows = [
        ("fit (s)", go["fit_s"], fit_s),
        ("  of which DMatrix (s)", None, dmatrix_s),
        ("  processor time, all threads (s)", go["fit_cpu_s"], fit_cpu_s),
        ("predict %d rows, best of 3 (s)" % shape["rows"], go["predict_s"], predict_s),
        ("  processor time, all threads (s)", go["predict_cpu_s"], predict_cpu_s),
        ("fit rows/s", shape["rows"] / go["fit_s"], shape["rows"] / fit_s),
        ("predict rows/s", shape["rows"] / go["predict_s"], shape["rows"] / predict_s),
        ("train log loss", go["train_loss"], loss),
    ]
    print(f"{shape['rows']} rows x {shape['cols']} features, {args.trees} trees, depth {args.depth}, "
          f"lr {args.lr}, {args.threads} threads; xgboost {xgb.__version__}")
    print(f"{'':34} {'credence':>12} {'xgboost':>12} {'xgb/credence':>13}")
    for name, g, x in rows:
        if g is None:
            print(f"{name:34} {'':>12} {x:12.4g}")
            continue
        ratio = x / g if "rows/s" not in name else g / x
        if "loss" in name:
            print(f"{name:34} {g:12.5f} {x:12.5f}")
        else:
            print(f"{name:34} {g:12.4g} {x:12.4g} {ratio:13.2f}")
    print("xgb/credence > 1: Credence is faster (time ratio xgboost/credence).")
    print("load average now: %.2f %.2f %.2f on %d processors (other work on the machine skews both)"
          % (os.getloadavg() + (os.cpu_count(),)))


if __name__ == "__main__":
    main()
