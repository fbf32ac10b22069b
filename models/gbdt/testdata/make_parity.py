#!/usr/bin/python3
"""Writes parity.json: XGBoost's held-out AUC on the UCI Taiwan credit data.

TestParityWithXGBoost trains Credence's GBDT on the same split with the same
settings and compares its AUC with the ones recorded here.

Usage (from the repository root):
    /usr/bin/python3 models/gbdt/testdata/make_parity.py ../shared/data/uci-taiwan/train.csv

The split needs no shared random state: rows whose ID is a multiple of 5 are
the test set, the rest train. The features are the 23 raw columns (ID and the
label dropped), in file order.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

LABEL = "default.payment.next.month"

# The runs the Go test repeats. Stochastic ones (subsample < 1) cannot match
# draw for draw; the test only asks Go not to be worse.
RUNS = [
    {"name": "deterministic", "subsample": 1.0, "colsample_bytree": 1.0},
    {"name": "subsample_0.8", "subsample": 0.8, "colsample_bytree": 0.8},
]

COMMON = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "max_depth": 5,
    "min_child_weight": 1,
    "reg_lambda": 1,
    "reg_alpha": 0,
    "gamma": 0,
    "tree_method": "hist",
    "max_bin": 256,
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_parity.py path/to/uci-taiwan/train.csv")
    df = pd.read_csv(sys.argv[1])
    features = [c for c in df.columns if c not in ("ID", LABEL)]
    test = (df["ID"] % 5) == 0
    X = df[features].to_numpy(dtype=np.float64)
    y = df[LABEL].to_numpy(dtype=np.float64)
    Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]

    runs = []
    for run in RUNS:
        params = dict(COMMON, subsample=run["subsample"], colsample_bytree=run["colsample_bytree"])
        clf = xgb.XGBClassifier(**params, random_state=0, n_jobs=2)
        clf.fit(Xtr, ytr)
        auc = roc_auc_score(yte, clf.predict_proba(Xte)[:, 1])
        base_score = float(json.loads(clf.get_booster().save_config())["learner"]["learner_model_param"]["base_score"])
        runs.append(dict(run, auc=round(float(auc), 6), base_score=base_score))
        print(f"{run['name']}: test AUC {auc:.6f}", file=sys.stderr)

    out = {
        "data": "uci-taiwan/train.csv",
        "split": "test: ID % 5 == 0",
        "features": features,
        "train_rows": int((~test).sum()),
        "test_rows": int(test.sum()),
        "xgboost_version": xgb.__version__,
        "params": COMMON,
        "runs": runs,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parity.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
