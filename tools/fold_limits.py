"""How well can any reasonable model do on one cross-validation fold?

`cargo run --release -p constnet-cli -- fit --data data/gagurine.csv --folds 5 --seed S --out DIR`
writes DIR/folds.csv. For fold K (1-based, as the tool prints), this fits smooth models
(polynomials, cubic splines, isotonic) and local ones (k nearest neighbours) three ways:
- honest: on the other folds only, as cross-validation does;
- all rows: on every row, the test fold's own included (an oracle that has seen the answers);
- test fold only: on the test rows themselves (pure memorisation of that fold).
and prints each one's R² on fold K.

    python3 tools/fold_limits.py data/gagurine.csv DIR/folds.csv K
    python3 tools/fold_limits.py data/gagurine.csv --all DIR0/folds.csv DIR1/folds.csv ...
The second form runs honest cross-validation of 5 and 10 nearest neighbours and an 8-knot
spline on every fold of each folds.csv (one per seed) and prints mean / min per file.
Needs numpy and scikit-learn (pip install scikit-learn).
"""
import sys, warnings
import numpy as np
from sklearn.metrics import r2_score
from sklearn.preprocessing import SplineTransformer, PolynomialFeatures, StandardScaler
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.isotonic import IsotonicRegression
from sklearn.neighbors import KNeighborsRegressor
warnings.filterwarnings("ignore")
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
x, y = data[:, :-1], data[:, -1]


def read_folds(path):
    folds = np.loadtxt(path, delimiter=",", skiprows=1, dtype=int)
    fold_of = np.full(len(y), -1)
    fold_of[folds[:, 0]] = folds[:, 1]
    assert (fold_of >= 0).all(), f"{path} does not give every row a fold"
    return fold_of


if sys.argv[2] == "--all":
    makers = {
        "kNN 5": lambda: KNeighborsRegressor(5),
        "kNN 10": lambda: KNeighborsRegressor(10),
        "spline 8 knots": lambda: make_pipeline(SplineTransformer(n_knots=8), LinearRegression()),
    }
    for name, make in makers.items():
        cells = []
        for path in sys.argv[3:]:
            fold_of = read_folds(path)
            r2 = [r2_score(y[fold_of == k], make().fit(x[fold_of != k], y[fold_of != k])
                           .predict(x[fold_of == k])) for k in sorted(set(fold_of))]
            cells.append(f"{np.mean(r2):.3f} / {np.min(r2):.3f}")
        print(f"{name:16} " + "  ".join(cells))
    sys.exit(0)
fold_of = read_folds(sys.argv[2])
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
