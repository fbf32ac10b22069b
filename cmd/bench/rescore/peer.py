#!/usr/bin/python3
"""Peer of `credence rescore` for the benchmark: pandas + XGBoost.

Reads a CSV book (as `credence synth --format csv` writes it), builds a
dozen-odd per-customer invoice aggregates for one as-of date with groupby
(counts, amounts, days beyond terms and late shares over 3 and 12 months,
open and overdue balances by age, the largest days past due, months of
history) plus the numeric customer attributes, trains an XGBoost model on a
sample of customers labelled by the defaults table (features one horizon
before as_of, label: a default within the horizon), predicts a PD for every
customer with history before as_of and writes customer_id, as_of, pd as CSV.

It is a speed peer, not a copy of Credence's features: the same book, one
pass of comparable work. Phase times go to stderr.

usage: peer.py BOOK_DIR AS_OF OUT.csv [--train-sample N] [--threads N] [--fit-threads N]
"""
import argparse
import glob
import os
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

DAY = np.timedelta64(1, "D")


def table(book, name, **kw):
    """Read every part file of a table into one frame. A categorical
    customer_id keeps its dtype: every part is given the union of the
    parts' ids as categories."""
    files = sorted(glob.glob(os.path.join(book, name, "*.csv"))) or [os.path.join(book, name + ".csv")]
    parts = [pd.read_csv(f, **kw) for f in files]
    if isinstance(parts[0].customer_id.dtype, pd.CategoricalDtype):
        ids = pd.api.types.union_categoricals([p.customer_id for p in parts]).categories.sort_values()
        for p in parts:
            p["customer_id"] = p.customer_id.cat.set_categories(ids)
    return pd.concat(parts, ignore_index=True)


def dates(s):
    return pd.to_datetime(s, format="%Y-%m-%d")


def features(inv, cust_index, as_of):
    """Per-customer invoice aggregates as of as_of, from facts dated before it."""
    known = inv[inv.issue_date < as_of]
    paid = known.paid_date.notna() & (known.paid_date < as_of)
    settled = known.paid_amount.where(known.paid_amount.notna(), known.amount)
    f = pd.DataFrame(index=cust_index)
    g = known.groupby("customer_id", observed=True)
    f["history_months"] = (as_of - g.issue_date.min()) / DAY / 30.44
    dbt = (known.paid_date - known.due_date) / DAY
    for months in (3, 12):
        start = as_of - pd.DateOffset(months=months)
        w = known.issue_date >= start
        pw = paid & (known.paid_date >= start)
        sub = pd.DataFrame({
            "customer_id": known.customer_id,
            "count": w.astype(np.int32),
            "amount": known.amount.where(w, 0.0),
            "paid": pw.astype(np.int32),
            "paid_amount": known.amount.where(pw, 0.0),
            "dbt_x_amount": (dbt * known.amount).where(pw, 0.0),
            "late": (pw & (known.paid_date > known.due_date)).astype(np.int32),
        }).groupby("customer_id", observed=True).sum()
        f[f"count_{months}m"] = sub["count"]
        f[f"amount_{months}m"] = sub["amount"]
        f[f"dbt_wavg_{months}m"] = sub.dbt_x_amount / sub.paid_amount.where(sub.paid_amount > 0)
        f[f"late_share_{months}m"] = sub.late / sub.paid.where(sub.paid > 0)
    open_ = ~paid
    dpd = ((as_of - known.due_date) / DAY).where(open_, np.nan)
    balance = known.amount.where(open_, 0.0) + (known.amount - settled).where(paid & (settled < known.amount), 0.0)
    ages = pd.DataFrame({
        "customer_id": known.customer_id,
        "open_count": open_.astype(np.int32),
        "open_balance": balance,
        "overdue_balance": balance.where(dpd > 0, 0.0),
        "balance_1_30": balance.where((dpd > 0) & (dpd <= 30), 0.0),
        "balance_31_90": balance.where((dpd > 30) & (dpd <= 90), 0.0),
        "balance_90p": balance.where(dpd > 90, 0.0),
        "max_dpd": dpd.fillna(0).clip(lower=0),
    }).groupby("customer_id", observed=True)
    sums = ages.sum()
    for c in ["open_count", "open_balance", "overdue_balance", "balance_1_30", "balance_31_90", "balance_90p"]:
        f[c] = sums[c]
    f["max_dpd"] = ages.max_dpd.max()
    f["overdue_share"] = f.overdue_balance / f.open_balance.where(f.open_balance > 0)
    return f, known.customer_id.unique()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("book")
    ap.add_argument("as_of")
    ap.add_argument("out")
    ap.add_argument("--train-sample", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="prediction threads")
    # On the 2-core benchmark machine a one-thread fit is three times faster
    # than a two-thread one (100,000 rows × 22 features, 200 trees).
    ap.add_argument("--fit-threads", type=int, default=1)
    a = ap.parse_args()
    as_of = pd.Timestamp(a.as_of)
    t0 = last = time.perf_counter()

    def phase(name):
        nonlocal last
        now = time.perf_counter()
        print(f"{name:10s} {now - last:7.2f} s", file=sys.stderr)
        last = now

    inv = table(a.book, "invoices", usecols=["customer_id", "issue_date", "due_date", "amount", "paid_date", "paid_amount"],
                dtype={"customer_id": "category", "amount": "float64", "paid_amount": "float64"})
    for c in ["issue_date", "due_date", "paid_date"]:
        inv[c] = dates(inv[c])
    cust = table(a.book, "customers").set_index("customer_id")
    numeric = cust.select_dtypes("number")
    defaults = table(a.book, "defaults", usecols=["customer_id", "default_date"])
    defaults["default_date"] = dates(defaults.default_date)
    first_default = defaults.groupby("customer_id").default_date.min()
    phase("read")

    # Training sample: features one year before as_of, label a default in the year after.
    train_as_of = as_of - pd.DateOffset(months=12)
    rng = np.random.default_rng(1)
    ids = inv.customer_id.cat.categories
    sample = rng.choice(ids, size=min(a.train_sample, len(ids)), replace=False)
    inv_s = inv[inv.customer_id.isin(sample)]
    Xs, seen = features(inv_s, pd.Index(sample, name="customer_id"), train_as_of)
    fd = first_default.reindex(Xs.index)
    keep = Xs.index.isin(seen) & ~(fd <= train_as_of)
    Xs = Xs[keep].join(numeric)
    ys = ((fd[keep] > train_as_of) & (fd[keep] <= as_of)).astype(int)
    phase("features·train sample")
    model = xgb.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, tree_method="hist", n_jobs=a.fit_threads)
    model.fit(Xs.to_numpy(np.float32), ys.to_numpy())
    phase("fit")

    X, seen = features(inv, pd.Index(ids, name="customer_id"), as_of)
    X = X[X.index.isin(seen)].join(numeric)
    phase("features")
    model.set_params(n_jobs=a.threads)
    pd_ = model.predict_proba(X.to_numpy(np.float32))[:, 1]
    phase("predict")
    pd.DataFrame({"customer_id": X.index, "as_of": a.as_of, "pd": pd_}).to_csv(a.out, index=False)
    phase("write")
    print(f"peer: {len(X)} customers scored, {len(Xs)} training rows ({ys.sum()} defaults), {X.shape[1]} features; "
          f"total {time.perf_counter() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
