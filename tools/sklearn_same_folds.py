"""scikit-learn on the exact folds of a constnet cross-validation run.

`cargo run --release -p constnet-cli -- fit --data data/gagurine.csv --folds 5 --seed S --out DIR`
writes DIR/folds.csv (each sample's test fold). This fits scikit-learn's reference pipeline
(StandardScaler on x and y, MLPRegressor(64, 64), Adam lr 1e-2, 2000 iterations, as in
data/README.md) and gradient boosting on the same folds and prints each fold's test R².

    python3 tools/sklearn_same_folds.py data/gagurine.csv DIR/folds.csv
Needs numpy and scikit-learn (pip install scikit-learn).
"""
import sys
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
x, y = data[:, :-1], data[:, -1]
folds = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, dtype=int)
fold_of = np.empty(len(y), dtype=int)
fold_of[folds[:, 0]] = folds[:, 1]
for name, make in [
    ("MLP(64, 64)", lambda: TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(64, 64),
                      learning_rate_init=1e-2, max_iter=2000, random_state=0)),
        transformer=StandardScaler())),
    ("gradient boosting", lambda: GradientBoostingRegressor(random_state=0)),
]:
    r2 = []
    for k in sorted(set(fold_of)):
        test = fold_of == k
        model = make().fit(x[~test], y[~test])
        r2.append(r2_score(y[test], model.predict(x[test])))
    print(f"{name:18} mean {np.mean(r2):.3f} min {np.min(r2):.3f} folds "
          + " ".join(f"{r:.3f}" for r in r2))
