"""How well can any reasonable model do on one cross-validation fold?

`cargo run --release --example cubic -- --data data/gagurine.csv --folds 5 --seed S --out DIR`
writes DIR/folds.csv. For fold K (1-based, as the example prints), this fits smooth models
(polynomials, cubic splines, isotonic) and local ones (k nearest neighbours) three ways:
- honest: on the other folds only, as cross-validation does;
- all rows: on every row, the test fold's own included (an oracle that has seen the answers);
- test fold only: on the test rows themselves (pure memorisation of that fold).
and prints each one's R² on fold K.

    python3 tools/fold_limits.py data/gagurine.csv DIR/folds.csv K
Needs numpy and scikit-learn (pip install scikit-learn).
"""
import sys, warnings
import numpy as np
from sklearn.metrics import r2_score
from sklearn.preprocessing import SplineTransformer, PolynomialFeatures, StandardScaler
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.isotonic import IsotonicRegression
from sklearn.neighbors import KNeighborsRegressor
warnings.filterwarnings("ignore")
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
x, y = data[:, :-1], data[:, -1]
folds = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, dtype=int)
fold_of = np.empty(len(y), dtype=int); fold_of[folds[:, 0]] = folds[:, 1]
k = int(sys.argv[3])
test = fold_of == k
print(f"fold {k}: {test.sum()} test rows")
models = {}
for d in (2,3,4,5,6,8):
    models[f"poly deg {d}"] = lambda d=d: make_pipeline(StandardScaler(), PolynomialFeatures(d), LinearRegression())
for n in (4,6,8,12,20):
    models[f"spline {n} knots"] = lambda n=n: make_pipeline(SplineTransformer(n_knots=n, degree=3), LinearRegression())
models["isotonic decreasing"] = lambda: IsotonicRegression(increasing=False, out_of_bounds="clip")
for nn in (5,10,20,40):
    models[f"kNN {nn}"] = lambda nn=nn: KNeighborsRegressor(nn)
for name, make in models.items():
    xx = x[:, 0] if "isotonic" in name else x
    all_fit = make().fit(xx, y)                  # oracle: trained on every row, test rows included
    own = make().fit(xx[test], y[test])          # trained on the test fold alone
    out = make().fit(xx[~test], y[~test])        # honest: the other folds only
    print(f"{name:22} honest {r2_score(y[test], out.predict(xx[test])):.3f}  "
          f"all rows {r2_score(y[test], all_fit.predict(xx[test])):.3f}  "
          f"test fold only {r2_score(y[test], own.predict(xx[test])):.3f}")
