#!/usr/bin/env python3
"""PyTorch-side fixtures for constnet's classifier interop test (tests/it/torch_cls.rs),
and the check that constnet's own classifier file reads on that side.

Run from the repository root (needs numpy and the `safetensors` package, no PyTorch):

    pip install numpy safetensors
    python3 tools/torch_cls_fixture.py            # writes the PyTorch-side fixtures
    python3 tools/torch_cls_fixture.py --check    # reads constnet's file (see below)

Writing: the state dict PyTorch saves for the classifier

    nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))

(keys `0.weight`, `0.bias`, `2.weight`, `2.bias`, `4.weight`, `4.bias`; weights (out, in)
row-major, biases (out,); PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)) from a seeded
numpy RNG; `__metadata__ = {"format": "pt"}`), and its predictions: the model outputs
logits and, as in PyTorch, the softmax is applied outside it
(`torch.softmax(model(x), dim=1)`), here in float64 on the float32 weights widened exactly.
Inputs are float32 values; rows whose two largest logits are closer than 1e-3 are dropped
(a float32 network could then name either class: no rounding bound decides it).

  tests/it/fixtures/torch_cls.safetensors  float32 state dict
  tests/it/fixtures/torch_cls_pred.csv     x0..x3 (float32 values), z0..z2 (logits),
                                           p0..p2 (softmax), class (argmax), float64

Checking: `tests/it/fixtures/torch_cls_constnet.safetensors` is a classifier constnet
trained and saved (the Rust test writes it with CONSTNET_BLESS=1 and otherwise checks it
is current), with its float32 logits in `torch_cls_constnet_pred.csv`. `--check` loads it
the way a PyTorch user would (`safetensors.numpy.load_file`), checks the keys, dtypes and
shapes are exactly those of the nn.Sequential above, runs the Sequential's forward pass on
the stored inputs in float64, and checks every predicted class and every logit against
constnet's (within the float32 rounding bound of the Rust test, 64·2^-24 of the sum of
magnitudes |W|·|h| + |b|).
"""

import os
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

SIZES = [(4, 16), (16, 16), (16, 3)]  # (in_features, out_features) of the Linear layers
INDICES = [0, 2, 4]  # their positions in the nn.Sequential
FIXTURES = os.path.join("tests", "it", "fixtures")


def init(rng):
    """PyTorch's default nn.Linear init, as float32: weight (out, in), bias (out,)."""
    params = []
    for fan_in, fan_out in SIZES:
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(fan_out,)).astype(np.float32)
        params.append((w, b))
    return params


def logits(params, x, absolute=False):
    """The Sequential's forward pass in float64 (one sample per row); with `absolute`,
    |W|·|h| + |b| layer by layer, the magnitude that scales float32 rounding."""
    h = np.abs(x.astype(np.float64)) if absolute else x.astype(np.float64)
    for i, (w, b) in enumerate(params):
        w, b = w.astype(np.float64), b.astype(np.float64)
        if absolute:
            w, b = np.abs(w), np.abs(b)
        h = h @ w.T + b
        if i + 1 < len(params):
            h = np.maximum(h, 0.0)
    return h


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write():
    # Seed 22: of seeds 20 to 29, the one whose random network answers all three classes about
    # equally often (a random network often answers one class almost everywhere).
    rng = np.random.default_rng(22)
    params = init(rng)
    sd = {}
    for i, (w, b) in zip(INDICES, params):
        sd[f"{i}.weight"] = np.ascontiguousarray(w)
        sd[f"{i}.bias"] = np.ascontiguousarray(b)
    save_file(sd, os.path.join(FIXTURES, "torch_cls.safetensors"), metadata={"format": "pt"})

    x = rng.normal(scale=2.0, size=(96, 4)).astype(np.float32)
    z = logits(params, x)
    top2 = np.sort(z, axis=1)[:, -2:]
    keep = top2[:, 1] - top2[:, 0] >= 1e-3
    x, z = x[keep], z[keep]
    p = softmax(z)
    cls = z.argmax(axis=1)
    assert len(set(cls)) == 3, "every class predicted somewhere"
    with open(os.path.join(FIXTURES, "torch_cls_pred.csv"), "w") as f:
        f.write("x0,x1,x2,x3,z0,z1,z2,p0,p1,p2,class\n")
        for xi, zi, pi, ci in zip(x.astype(np.float64), z, p, cls):
            values = [*xi, *zi, *pi]
            f.write(",".join(repr(float(v)) for v in values) + f",{int(ci)}\n")
    print(f"wrote torch_cls.safetensors and {len(x)} predictions ({(~keep).sum()} near-ties dropped)")


def check():
    path = os.path.join(FIXTURES, "torch_cls_constnet.safetensors")
    sd = load_file(path)
    want = {f"{i}.{n}" for i in INDICES for n in ("weight", "bias")}
    assert set(sd) == want, f"keys {sorted(sd)}, nn.Sequential has {sorted(want)}"
    params = []
    for i, (fan_in, fan_out) in zip(INDICES, SIZES):
        w, b = sd[f"{i}.weight"], sd[f"{i}.bias"]
        assert w.dtype == np.float32 and b.dtype == np.float32, (w.dtype, b.dtype)
        assert w.shape == (fan_out, fan_in), f"{i}.weight {w.shape}"
        assert b.shape == (fan_out,), f"{i}.bias {b.shape}"
        params.append((w, b))
    rows = np.loadtxt(os.path.join(FIXTURES, "torch_cls_constnet_pred.csv"), delimiter=",",
                      skiprows=1)
    x, theirs = rows[:, :4].astype(np.float32), rows[:, 4:7]
    ours = logits(params, x)
    bound = 64.0 / 2**24 * logits(params, x, absolute=True)
    worst = (np.abs(ours - theirs) / bound).max()
    same = (ours.argmax(axis=1) == theirs.argmax(axis=1)).all()
    print(f"{path}: keys, dtypes and shapes of the nn.Sequential; {len(x)} rows, "
          f"same class on every row: {same}; worst |numpy - constnet| / bound: {worst:.4f}")
    assert same and worst <= 1.0


if __name__ == "__main__":
    check() if sys.argv[1:] == ["--check"] else write()
