#!/usr/bin/env python3
"""Writes tests/it/fixtures/cross_entropy.json: PyTorch's CrossEntropyLoss, computed in NumPy.

Run from the repository root (needs numpy only):

    pip install numpy
    python3 tools/ce_fixture.py

PyTorch's `torch.nn.functional.cross_entropy(z, c, weight=w, label_smoothing=eps,
reduction="mean")` for logits `z` (n x K) and class indices `c` is, per sample i,

    logp_i = z_i - logsumexp(z_i)
    nll_i = -w[c_i] * logp_i[c_i]
    smooth_i = -sum_k w[k] * logp_i[k]
    loss = ((1 - eps) * sum_i nll_i + (eps / K) * sum_i smooth_i) / sum_i w[c_i]

(w = 1 without weights; this is the formula of PyTorch's `cross_entropy` for class-index
targets with label smoothing, aten/src/ATen/native/LossNLL.cpp). Its gradient with respect
to the logits, written out by hand here rather than by autograd:

    d loss / d z_ij = ((1 - eps) * w[c_i] * (p_ij - [j == c_i])
                       + (eps / K) * (W * p_ij - w[j])) / sum_i w[c_i],   W = sum_k w[k]

and, as a check of that derivation, the script compares it with central differences of
`loss` (float64, h = 1e-6) before writing anything. Cases: random logits of several
scales, logits of +-1e4 (the stable path), 2 and 10 classes, weights, smoothing, both.
Every number is written with repr(), which round-trips float64.
"""

import json
import os

import numpy as np


def loss_and_grad(z, c, w, eps):
    n, k = z.shape
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    logp = z - lse
    p = np.exp(logp)
    wc = w[c]
    count = wc.sum()
    nll = -(wc * logp[np.arange(n), c]).sum()
    smooth = -(logp * w[None, :]).sum()
    loss = ((1 - eps) * nll + (eps / k) * smooth) / count
    onehot = np.zeros_like(z)
    onehot[np.arange(n), c] = 1.0
    grad = ((1 - eps) * wc[:, None] * (p - onehot) + (eps / k) * (w.sum() * p - w[None, :])) / count
    return loss, grad


def check_derivation(z, c, w, eps):
    _, grad = loss_and_grad(z, c, w, eps)
    h = 1e-6
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            zp, zm = z.copy(), z.copy()
            zp[i, j] += h
            zm[i, j] -= h
            fd = (loss_and_grad(zp, c, w, eps)[0] - loss_and_grad(zm, c, w, eps)[0]) / (2 * h)
            assert abs(fd - grad[i, j]) <= 1e-7 * max(1.0, abs(fd)), (i, j, fd, grad[i, j])


def main():
    rng = np.random.default_rng(20261207)
    cases = []
    specs = [
        # (K, n, logit scale, weights?, smoothing)
        (3, 5, 1.0, False, 0.0),
        (10, 8, 3.0, False, 0.0),
        (2, 6, 0.5, False, 0.0),
        (10, 8, 3.0, True, 0.0),
        (4, 7, 2.0, False, 0.1),
        (5, 6, 2.0, True, 0.2),
        (3, 4, 1e4, False, 0.0),
        (3, 4, 1e4, True, 0.05),
    ]
    for k, n, scale, weighted, eps in specs:
        z = rng.normal(size=(n, k)) * scale
        c = rng.integers(0, k, size=n)
        w = rng.uniform(0.2, 3.0, size=k) if weighted else np.ones(k)
        if scale < 100:
            check_derivation(z, c, w, eps)
        loss, grad = loss_and_grad(z, c, w, eps)
        cases.append({
            "classes": k,
            "weights": [repr(float(v)) for v in w] if weighted else None,
            "smoothing": repr(float(eps)),
            "logits": [[repr(float(v)) for v in row] for row in z],
            "labels": [int(v) for v in c],
            "loss": repr(float(loss)),
            "grad": [[repr(float(v)) for v in row] for row in grad],
        })
    out = os.path.join("tests", "it", "fixtures", "cross_entropy.json")
    with open(out, "w") as f:
        json.dump({"source": "tools/ce_fixture.py", "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
