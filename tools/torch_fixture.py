#!/usr/bin/env python3
"""Writes the PyTorch-side fixtures for constnet's safetensors import tests.

Run from the repository root (needs numpy and the `safetensors` package, no PyTorch):

    pip install numpy safetensors
    python3 tools/torch_fixture.py

It builds the state dict PyTorch would save for

    nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))

with PyTorch's conventions: keys `<index>.weight` / `<index>.bias` (the ReLU and Tanh take
indices 1 and 3 and hold no tensors), `weight` of shape (out_features, in_features),
row-major, `bias` of shape (out_features,), PyTorch's default init U(-1/sqrt(in),
1/sqrt(in)) for both (from a seeded numpy RNG, so the numbers are reproducible), and
`__metadata__ = {"format": "pt"}` as `safetensors.torch.save_file` writes. Written files:

  tests/it/fixtures/torch_seq.safetensors      float32, keys 0.*, 2.*, 4.*
  tests/it/fixtures/torch_seq_f16.safetensors  the same weights rounded to float16, keys
                                               model.0.* ... (a Sequential held as
                                               `self.model`, saved in half precision)
  tests/it/fixtures/torch_seq_f64.safetensors  the same float32 weights as float64 (exact),
                                               keys fc1.*, fc2.*, out.* (a custom nn.Module
                                               with named Linear attributes, after
                                               `model.double()`)
  tests/it/fixtures/torch_seq_pred.csv         x0,x1,y_f32,y_f16: inputs (float32 values)
                                               and the network's outputs for each file

Predictions are computed in float64 arithmetic on the stored weights (float32 or float16
values widened exactly), so they are the exact network up to ~1e-16; constnet computes in
float32, and the Rust test bounds the difference by float32 rounding (see
tests/it/safetensors_torch.rs). The outputs are printed with repr(), which round-trips.
"""

import os

import numpy as np
from safetensors.numpy import save_file

SIZES = [(2, 8), (8, 8), (8, 1)]  # (in_features, out_features) of the three Linear layers
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


def forward(params, x):
    """The Sequential's forward pass in float64, one sample per row of `x`."""
    h = x.astype(np.float64)
    acts = [lambda z: np.maximum(z, 0.0), np.tanh, lambda z: z]
    for (w, b), act in zip(params, acts):
        h = act(h @ w.astype(np.float64).T + b.astype(np.float64))
    return h[:, 0]


def state_dict(params, prefix, dtype, names=INDICES):
    sd = {}
    for i, (w, b) in zip(names, params):
        sd[f"{prefix}{i}.weight"] = np.ascontiguousarray(w.astype(dtype))
        sd[f"{prefix}{i}.bias"] = np.ascontiguousarray(b.astype(dtype))
    return sd


def main():
    rng = np.random.default_rng(14)
    params = init(rng)
    half = [(w.astype(np.float16), b.astype(np.float16)) for w, b in params]

    save_file(
        state_dict(params, "", np.float32),
        os.path.join(FIXTURES, "torch_seq.safetensors"),
        metadata={"format": "pt"},
    )
    save_file(
        state_dict(half, "model.", np.float16),
        os.path.join(FIXTURES, "torch_seq_f16.safetensors"),
        metadata={"format": "pt"},
    )
    save_file(
        state_dict(params, "", np.float64, names=["fc1", "fc2", "out"]),
        os.path.join(FIXTURES, "torch_seq_f64.safetensors"),
        metadata={"format": "pt"},
    )

    # Inputs: random points in [-3, 3]^2 plus a few exact corners, as float32 values.
    x = rng.uniform(-3.0, 3.0, size=(64, 2)).astype(np.float32)
    corners = np.array([[0, 0], [1, -1], [-3, 3], [0.5, 0.25]], dtype=np.float32)
    x = np.concatenate([corners, x])
    y32 = forward(params, x)
    y16 = forward(half, x)
    with open(os.path.join(FIXTURES, "torch_seq_pred.csv"), "w") as f:
        f.write("x0,x1,y_f32,y_f16\n")
        for (a, b), p, q in zip(x.astype(np.float64), y32, y16):
            f.write(f"{float(a)!r},{float(b)!r},{float(p)!r},{float(q)!r}\n")
    print(f"wrote {len(x)} predictions and 3 safetensors files to {FIXTURES}")


if __name__ == "__main__":
    main()
