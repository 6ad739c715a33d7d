#!/usr/bin/env bash
# Mini-batch Adam (lr 1e-3) on the cubic data, one sitting, interleaved, every process pinned to core 0:
# the constnet tool (`constnet fit`, the cubic data) vs JAX + optax (one jitted step scanned over an epoch with jax.lax.scan,
# XLA single-threaded). Prints microseconds per optimizer step (medians over ROUNDS) and the ratio.
# (The team's shared bench, ../shared/bench/, kept here so that the README's figures can be re-run.)
#   bash tools/minibatch_vs_jax.sh [ROUNDS]      (run from the project root)
# The JAX side needs a venv with numpy, jax and optax; it is made on first use at $VENV
# (default ~/.cache/constnet-bench-venv): python3 -m venv "$VENV" && "$VENV/bin/pip" install numpy jax optax
set -u
here=$(cd "$(dirname "$0")" && pwd); rounds=${1:-5}
VENV=${VENV:-$HOME/.cache/constnet-bench-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import jax, optax" 2>/dev/null; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q numpy jax optax || { echo "cannot set up $VENV"; exit 1; }
fi
cargo build --quiet --release -p constnet-cli || exit 1
ex=target/release/constnet; out=$(mktemp -d)
for r in $(seq 1 "$rounds"); do
  for bs in 1 8 32 128; do
    e=$(( bs == 1 ? 5 : (bs == 8 ? 20 : 50) ))
    steps=$(( e * ((1000 + bs - 1) / bs) ))
    c=$(taskset -c 0 "$ex" fit --quiet --out "$out/c" --optimizer adam --lr 0.001 --batch-size $bs --epochs $e >/dev/null 2>&1 && python3 -c "import json;print(json.load(open('$out/c/summary.json'))['train_seconds']/$steps*1e6)")
    j=$(taskset -c 0 "$VENV/bin/python" "$here/run_minibatch.py" --bs $bs --epochs $e --variant scan 2>/dev/null | python3 -c "import json,sys;print(json.loads(sys.stdin.read())['us_per_step'])")
    echo "round $r bs=$bs constnet_us=$c jax_scan_us=$j"
  done
done | tee "$out/rows"
python3 - "$out/rows" <<'PY'
import sys, statistics as st, collections
d = collections.defaultdict(lambda: collections.defaultdict(list))
for l in open(sys.argv[1]):
    f = l.split(); bs = f[2]
    for kv in f[3:]:
        k, v = kv.split('='); d[bs][k].append(float(v))
for bs, m in d.items():
    c, j = st.median(m['constnet_us']), st.median(m['jax_scan_us'])
    print(f"{bs}: constnet {c:.2f} us/step, jax scan {j:.2f} us/step, constnet faster by {j/c:.2f}x")
PY
