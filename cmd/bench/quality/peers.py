#!/usr/bin/python3
"""Peers of the model-quality benchmark (cmd/bench/quality/run.sh).

usage: peers.py DEV.csv HELD.csv SCORES.csv OUT.csv [RAW.csv RAW_ID RAW_LABEL]

DEV.csv and HELD.csv are `credence features` matrices of the development and
held-out books (customer_id, as_of, label, features...). SCORES.csv is
`credence rescore` of the held-out book at the same rows; its pd joins the
held-out rows on (customer_id, as_of) as the column `credence`.

Each peer (sklearn LogisticRegression, HistGradientBoosting, XGBoost hist)
chooses one of a few settings by 3-fold cross-validated AUC on the
development rows, folds grouped by customer (StratifiedGroupKFold, seed 42),
on at most TUNE_ROWS rows (a deterministic sample of development customers),
is refit on every development row and predicts the held-out rows. With RAW.csv
(uci-taiwan's wide file) the same peers also fit the raw columns of the same
development customers (RAW_ID is the customer_id; RAW_LABEL is dropped).

OUT.csv: customer_id, as_of, label, credence, then one column per peer, for
`quality auc`, which computes every AUC and DeLong interval in Go. Fit times
(tuning and refit, seconds) are printed.
"""
import os, sys, time
import numpy as np, pandas as pd
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.metrics import roc_auc_score
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.ensemble import HistGradientBoostingClassifier
import xgboost as xgb

TUNE_ROWS = int(os.environ.get("TUNE_ROWS", "100000"))
THREADS = int(os.environ.get("THREADS", "1"))

# A few settings per peer, the first being the usual default; the same grid on every dataset.
GRID = {
    "logreg": [dict(C=c) for c in (1.0, 0.1, 0.01)],
    "histgb": [dict(learning_rate=lr, max_leaf_nodes=leaves, min_samples_leaf=leaf)
               for lr, leaves, leaf in ((0.05, 31, 20), (0.05, 15, 50), (0.1, 31, 20), (0.03, 63, 100))],
    "xgboost": [dict(learning_rate=lr, max_depth=d, min_child_weight=w)
                for lr, d, w in ((0.05, 5, 1), (0.05, 3, 1), (0.1, 6, 5), (0.03, 4, 10))],
}


def make(name, p):
    if name == "logreg":
        return make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(C=p["C"], max_iter=2000))
    if name == "histgb":
        return HistGradientBoostingClassifier(max_iter=300, random_state=0, **p)
    return xgb.XGBClassifier(n_estimators=300, subsample=0.8, colsample_bytree=0.8, tree_method="hist",
                             n_jobs=THREADS, random_state=0, **p)


def tune_fit(name, X, y, groups):
    """Chooses a setting by grouped 3-fold CV on at most TUNE_ROWS rows, then refits on all rows."""
    t0 = time.time()
    idx = np.arange(len(y))
    if len(y) > TUNE_ROWS:
        cust = np.unique(groups)
        rng = np.random.RandomState(0)
        keep = set(rng.choice(cust, size=max(1, int(len(cust) * TUNE_ROWS / len(y))), replace=False))
        idx = np.array([i for i, g in enumerate(groups) if g in keep])
    Xt, yt, gt = X[idx], y[idx], groups[idx]
    folds = list(StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=42).split(Xt, yt, gt))
    best, best_auc, tried = None, -1.0, []
    grid = GRID[name] if yt.sum() >= 6 else GRID[name][:1]
    for p in grid:
        aucs = []
        for tr, te in folds:
            if yt[tr].min() == yt[tr].max() or yt[te].min() == yt[te].max():
                continue
            m = make(name, p).fit(Xt[tr], yt[tr])
            aucs.append(roc_auc_score(yt[te], m.predict_proba(Xt[te])[:, 1]))
        a = float(np.mean(aucs)) if aucs else float("nan")
        tried.append((p, a))
        if best is None or a > best_auc:
            best, best_auc = p, a
    t1 = time.time()
    model = make(name, best).fit(X, y)
    t2 = time.time()
    return model, best, best_auc, t1 - t0, t2 - t1, len(idx)


def align(held, dev):
    """The held-out matrix in the development matrix's columns. `credence features` one-hot
    encodes the categorical levels each book has often enough, so the two books' columns can
    differ; as Credence's stored feature set does, a held-out level the development book does not
    have counts as "other", and a development level absent from the held-out book is 0."""
    held = held.copy()
    for c in [c for c in held.columns if "=" in c and c not in dev.columns]:
        other = c.split("=", 1)[0] + "=other"
        if other in dev.columns:
            held[other] = held.get(other, 0) + held[c].fillna(0)
    fill = {c: 0 for c in dev.columns if "=" in c and c not in held.columns}
    return held.assign(**fill).reindex(columns=dev.columns)


def matrix(df, drop):
    return df.drop(columns=drop).apply(pd.to_numeric, errors="coerce").values.astype(float)


def main():
    dev_path, held_path, scores_path, out_path = sys.argv[1:5]
    raw = sys.argv[5:8] if len(sys.argv) >= 8 else None
    dev = pd.read_csv(dev_path, dtype={"customer_id": str})
    held = align(pd.read_csv(held_path, dtype={"customer_id": str}), dev)
    scores = pd.read_csv(scores_path, dtype={"customer_id": str}, usecols=["customer_id", "as_of", "pd"])
    out = held[["customer_id", "as_of", "label"]].merge(
        scores.rename(columns={"pd": "credence"}), on=["customer_id", "as_of"], how="left", validate="one_to_one")
    missing = int(out["credence"].isna().sum())
    if missing:
        sys.exit(f"peers: {missing} held-out rows have no credence score")
    print(f"development rows {len(dev)} ({dev.customer_id.nunique()} customers, {dev.label.mean():.4f} default rate); "
          f"held-out rows {len(held)} ({held.customer_id.nunique()} customers, {held.label.mean():.4f})")
    key = ["customer_id", "as_of", "label"]
    sets = [("features", matrix(dev, key), dev.label.values.astype(int), dev.customer_id.values, matrix(held, key))]
    if raw:
        path, rid, rlabel = raw
        r = pd.read_csv(path, dtype={rid: str}).rename(columns={rid: "customer_id"})
        rdev = dev[key].merge(r, on="customer_id", how="inner", validate="one_to_one")
        rheld = held[key].merge(r, on="customer_id", how="inner", validate="one_to_one")
        assert len(rdev) == len(dev) and len(rheld) == len(held), "raw rows do not cover the matrix rows"
        drop = key + [rlabel]
        sets.append(("raw", matrix(rdev, drop), rdev.label.values.astype(int), rdev.customer_id.values, matrix(rheld, drop)))
    for tag, X, y, groups, Xh in sets:
        for name in GRID:
            model, p, cv, tune_s, fit_s, nt = tune_fit(name, X, y, groups)
            col = f"{name}_{tag}"
            out[col] = model.predict_proba(Xh)[:, 1]
            print(f"{col:18s} chose {p} (CV AUC {cv:.4f} on {nt} rows); tuning {tune_s:.1f} s, refit {fit_s:.1f} s, "
                  f"total {tune_s + fit_s:.1f} s", flush=True)
    out.to_csv(out_path, index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
