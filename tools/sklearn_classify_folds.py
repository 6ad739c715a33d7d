"""scikit-learn's classifier on the exact folds of a `constnet fit --classify --folds K` run.

    constnet fit --data data/digits.csv --classify --folds 5 --seed S --out DIR
    python3 tools/sklearn_classify_folds.py data/digits.csv DIR/folds.csv [SEED]

DIR/folds.csv holds each row's test fold. This fits the reference pipeline of
../shared/data/README.md (StandardScaler + MLPClassifier(64, 64), max_iter=1000, every other
setting scikit-learn's default) on the same folds, prints each fold's test accuracy, their mean
and min, and the wall time of the K fits and predictions (one thread: run it under
`taskset -c 0` beside constnet's run for the same-sitting ratio in the README).
Needs numpy and scikit-learn.
"""
import sys
import time
import warnings

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
x, y = data[:, :-1], data[:, -1].astype(int)
folds = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, dtype=int)
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
fold_of = np.full(len(y), -1, dtype=int)
fold_of[folds[:, 0]] = folds[:, 1]
assert (fold_of >= 0).all(), "folds.csv does not cover every row"
accuracy = []
start = time.perf_counter()
for k in sorted(set(fold_of)):
    test = fold_of == k
    model = make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(64, 64), max_iter=1000, random_state=seed))
    model.fit(x[~test], y[~test])
    accuracy.append(float(np.mean(model.predict(x[test]) == y[test])))
seconds = time.perf_counter() - start
print(f"MLPClassifier(64, 64) mean {np.mean(accuracy):.4f} min {np.min(accuracy):.4f} "
      f"folds {' '.join(f'{a:.4f}' for a in accuracy)} time {seconds:.2f} s")
