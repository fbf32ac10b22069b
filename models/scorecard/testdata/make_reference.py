#!/usr/bin/python3
"""Writes the fixtures that the scorecard's WoE and IV are checked against.

woe_data.csv:       400 rows of one feature x (0-100, about 10% missing,
                    the special codes -1 and -2) and a 0/1 default label.
woe_reference.json: per bin of x at the fixed cuts [20, 40, 60, 95] with
                    -1 and -2 as special values: rows, defaults, whether
                    the bin is neutral, WoE and IV, computed with pandas
                    by the scorecard's definition:

    WoE = ln( ((good + 0.5) / (G + 0.5 K)) / ((bad + 0.5) / (B + 0.5 K)) )
    IV  = ((good + 0.5) / (G + 0.5 K) - (bad + 0.5) / (B + 0.5 K)) * WoE

good/bad: the bin's non-defaults/defaults; G/B: all rows'; K: the bins
holding rows. A bin with no rows or fewer than min_share of all rows is
neutral: WoE 0, IV 0.

Run from this directory with /usr/bin/python3 make_reference.py.
"""
import json

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 400
x = rng.uniform(0, 100, n).round(1)
p = 1 / (1 + np.exp(-(-2.5 + 0.03 * x)))
y = (rng.random(n) < p).astype(int)
u = rng.random(n)
x[u < 0.10] = np.nan
x[(u >= 0.10) & (u < 0.18)] = -1
x[(u >= 0.18) & (u < 0.19)] = -2
y[(u >= 0.10) & (u < 0.18)] = (rng.random(((u >= 0.10) & (u < 0.18)).sum()) < 0.5)
df = pd.DataFrame({"x": x, "default": y})
df.to_csv("woe_data.csv", index=False, na_rep="")

cuts = [20.0, 40.0, 60.0, 95.0]
specials = [-2.0, -1.0]
min_share, min_events = 0.05, 5  # min_events only shapes merged bins

df = pd.read_csv("woe_data.csv")
labels = []
for v in df["x"]:
    if np.isnan(v):
        labels.append("missing")
    elif v in specials:
        labels.append("special %g" % v)
    else:
        labels.append("range %d" % np.searchsorted(cuts, v, side="right"))
df["bin"] = labels
order = ["range %d" % k for k in range(len(cuts) + 1)] + ["special %g" % s for s in specials] + ["missing"]
g = df.groupby("bin")["default"].agg(count="count", events="sum").reindex(order, fill_value=0)
g["good"] = g["count"] - g["events"]
G, B = g["good"].sum(), g["events"].sum()
K = (g["count"] > 0).sum()
pg = (g["good"] + 0.5) / (G + 0.5 * K)
pb = (g["events"] + 0.5) / (B + 0.5 * K)
g["neutral"] = (g["count"] == 0) | (g["count"] < min_share * n)
g["woe"] = np.where(g["neutral"], 0.0, np.log(pg / pb))
g["iv"] = np.where(g["neutral"], 0.0, (pg - pb) * np.log(pg / pb))

ref = {
    "cuts": cuts,
    "special": specials,
    "min_bin_share": min_share,
    "min_bin_events": min_events,
    "bins": [
        {"bin": b, "count": float(r["count"]), "events": float(r["events"]),
         "neutral": bool(r["neutral"]), "woe": float(r["woe"]), "iv": float(r["iv"])}
        for b, r in g.iterrows()
    ],
    "iv": float(g["iv"].sum()),
}
with open("woe_reference.json", "w") as f:
    json.dump(ref, f, indent=1)
    f.write("\n")
