#!/usr/bin/python3
"""Writes the fixtures that logistic_test.go compares Credence's baseline with.

data.csv:       300 rows, four features on different scales, some values
                missing (empty fields), and a 0/1 label drawn from a known
                logistic model.
reference.json: scikit-learn's fit of
                make_pipeline(SimpleImputer(), StandardScaler(),
                              LogisticRegression(C=1.0, max_iter=5000, tol=1e-10))
                on that data: imputation means, scales, coefficients,
                intercept and the predicted PD of every row; and under
                "optimum" the same objective solved by Newton's method to
                a gradient below 1e-9, since sklearn's lbfgs stops on
                scipy's relative function tolerance (ftol 2.2e-9) with its
                gradient still near 1e-4, about 2e-6 from the optimum in
                the coefficients.

Run from this directory with /usr/bin/python3 make_reference.py (sklearn 1.2).
"""
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(20240611)
n = 300
df = pd.DataFrame({
    "limit": rng.lognormal(10, 0.8, n).round(0),
    "age": rng.integers(21, 70, n).astype(float),
    "utilisation": rng.beta(2, 3, n).round(4),
    "late_months": rng.poisson(0.7, n).astype(float),
})
z = (-1.2 - 0.6 * (np.log(df["limit"]) - 10) - 0.02 * (df["age"] - 40)
     + 1.5 * (df["utilisation"] - 0.4) + 0.8 * df["late_months"])
df["default"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
for col, share in [("limit", 0.05), ("utilisation", 0.10), ("late_months", 0.03)]:
    df.loc[rng.random(n) < share, col] = np.nan

features = ["limit", "age", "utilisation", "late_months"]
df.to_csv("data.csv", index=False, na_rep="")

# Read back what was written so that the fit sees exactly the Go test's input.
back = pd.read_csv("data.csv")
X, y = back[features].to_numpy(), back["default"].to_numpy()
pipe = make_pipeline(SimpleImputer(), StandardScaler(),
                     LogisticRegression(C=1.0, max_iter=5000, tol=1e-10))
pipe.fit(X, y)
imp, sc, lr = pipe.named_steps.values()
ref = {
    "sklearn": sklearn.__version__,
    "features": features,
    "mean": imp.statistics_.tolist(),
    "scale": sc.scale_.tolist(),
    "coef": lr.coef_[0].tolist(),
    "intercept": float(lr.intercept_[0]),
    "pd": pipe.predict_proba(X)[:, 1].tolist(),
}

# The optimum of sklearn's objective ½‖β‖² + C·Σ logloss on the same
# standardised data, to a far tighter tolerance than sklearn asks for.
Z = sc.transform(imp.transform(X))


def objective(theta):
    beta, alpha = theta[:-1], theta[-1]
    z = Z @ beta + alpha
    r = 1 / (1 + np.exp(-z)) - y
    value = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * beta @ beta
    return value, np.concatenate([Z.T @ r + beta, [r.sum()]])


def hessian(theta):
    A = np.hstack([Z, np.ones((len(Z), 1))])
    p = 1 / (1 + np.exp(-(A @ theta)))
    ridge = np.ones(len(theta))
    ridge[-1] = 0  # the intercept is not penalised
    return A.T @ (A * (p * (1 - p))[:, None]) + np.diag(ridge)


theta0 = np.append(lr.coef_[0], lr.intercept_[0])
theta = theta0.copy()
for _ in range(20):
    theta -= np.linalg.solve(hessian(theta), objective(theta)[1])
grad = np.abs(objective(theta)[1]).max()
assert grad < 1e-9, grad
ref["sklearn_gradient"] = float(np.abs(objective(theta0)[1]).max())
ref["optimum"] = {
    "gradient": float(grad),
    "min_curvature": float(np.linalg.eigvalsh(hessian(theta)).min()),
    "coef": theta[:-1].tolist(),
    "intercept": float(theta[-1]),
    "pd": (1 / (1 + np.exp(-(Z @ theta[:-1] + theta[-1])))).tolist(),
}
with open("reference.json", "w") as f:
    json.dump(ref, f, indent=1)
    f.write("\n")
