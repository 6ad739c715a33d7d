#!/usr/bin/env python3
"""Writes tests/it/fixtures/sklearn_classification.json: scikit-learn's answers for
constnet's classification tests (tests/it/cls_data.rs).

Run from the repository root (needs numpy and scikit-learn):

    pip install numpy scikit-learn
    python3 tools/sklearn_cls_fixture.py

Two parts:

stratified: label vectors and a number of folds k, with the class counts of each test fold
    of `StratifiedKFold(n_splits=k, shuffle=True, random_state=s).split(X, y)`, fold by
    fold in split order, per label value (column j counts label j). Those counts are
    sklearn's allocation (its sorted, first-appearance-encoded labels dealt round-robin over
    the folds); only which samples of a class go to which fold depends on the seed, so the
    script checks the counts are the same for five seeds before writing them. The
    permutations themselves come from NumPy's RNG and are not comparable with constnet's.
    Cases: classes in order, classes whose first appearance is not their label order (the
    encoding decides which folds get a class's extra samples), a class smaller than k
    (sklearn warns and leaves it out of some folds), two classes, and the digits data's
    1797 labels in file order (data/digits.csv).

metrics: true and predicted labels of 5 classes, class 3 never predicted and class 4 with
    no true sample, with `confusion_matrix`, `precision_recall_fscore_support(labels=0..4,
    zero_division=0)`, `f1_score(average="macro", zero_division=0)` and `accuracy_score`.
    Every number is written with repr(), which round-trips float64.
"""

import csv
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import StratifiedKFold

OUT = os.path.join("tests", "it", "fixtures", "sklearn_classification.json")


def fold_counts(y, k, seed, classes):
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class smaller than k
        for _, test in skf.split(np.zeros((len(y), 1)), y):
            rows.append([int(v) for v in np.bincount(y[test], minlength=classes)])
    return rows


def stratified_cases(rng):
    with open(os.path.join("data", "digits.csv")) as f:
        digits = np.array([int(r["digit"]) for r in csv.DictReader(f)])
    labels = [
        ("in order, 3 classes", np.repeat([0, 1, 2], [6, 3, 3]), 3),
        ("shuffled, 4 classes", rng.integers(0, 4, size=53), 5),
        ("class 2 appears first", np.array([2, 2, 0, 1, 2, 0, 2, 1, 2, 0, 2, 2, 0, 1]), 4),
        ("a class smaller than k", np.array([0] * 9 + [1] * 2 + [2] * 7), 5),
        ("two classes, unbalanced", np.array([1] * 17 + [0] * 4), 4),
        ("digits, file order", digits, 5),
    ]
    cases = []
    for name, y, k in labels:
        y = np.asarray(y)
        classes = int(y.max()) + 1
        counts = fold_counts(y, k, 0, classes)
        for seed in range(1, 5):
            assert fold_counts(y, k, seed, classes) == counts, (name, seed)
        cases.append({
            "name": name,
            "k": k,
            "labels": [int(v) for v in y],
            "fold_class_counts": counts,
        })
    return cases


def metrics_case(rng):
    k = 5
    y_true = rng.choice(4, size=60, p=[0.4, 0.3, 0.2, 0.1])  # class 4: no true sample
    y_pred = y_true.copy()
    flip = (rng.random(60) < 0.35) | (y_true == 3)
    y_pred[flip] = rng.choice([0, 1, 2, 4], size=flip.sum())  # class 3 never predicted
    assert 3 not in y_pred and 4 not in y_true and 4 in y_pred
    labels = list(range(k))
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "classes": k,
        "y_true": [int(v) for v in y_true],
        "y_pred": [int(v) for v in y_pred],
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "precision": [repr(float(v)) for v in p],
        "recall": [repr(float(v)) for v in r],
        "f1": [repr(float(v)) for v in f],
        "support": [int(v) for v in s],
        "macro_f1": repr(float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                        zero_division=0))),
        "accuracy": repr(float(accuracy_score(y_true, y_pred))),
    }


def main():
    rng = np.random.default_rng(20261208)
    out = {
        "source": f"tools/sklearn_cls_fixture.py, scikit-learn {sklearn.__version__}",
        "stratified": stratified_cases(rng),
        "metrics": metrics_case(rng),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(out['stratified'])} stratified cases, 1 metrics case")


if __name__ == "__main__":
    main()
