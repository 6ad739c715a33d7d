#!/usr/bin/env bash
# Writes a large seeded `x,y` CSV of y = x³ + ε (x uniform in [-2, 2], ε ~ N(0, 0.1²)) to
# test constnet's memory bounds: `tools/big_csv.sh OUT.csv [ROWS] [SEED]`.
# Defaults: 8 400 000 rows (about 160 MB), seed 42. Same seed and awk, same bytes.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 OUT.csv [ROWS=8400000] [SEED=42]" >&2
    exit 2
fi
out=$1
rows=${2:-8400000}
seed=${3:-42}
[[ $rows =~ ^[0-9]+$ && $rows -ge 1 ]] || { echo "$0: ROWS must be a positive integer" >&2; exit 2; }
[[ $seed =~ ^[0-9]+$ ]] || { echo "$0: SEED must be a non-negative integer" >&2; exit 2; }
# LC_ALL=C: a decimal point, never a comma, whatever the user's locale.
LC_ALL=C awk -v rows="$rows" -v seed="$seed" 'BEGIN {
    srand(seed)
    pi = 3.141592653589793
    print "x,y"
    for (i = 0; i < rows; i++) {
        x = 4 * rand() - 2
        # Box-Muller; 1 - rand() is in (0, 1], so log never sees 0.
        e = 0.1 * sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
        printf "%.6f,%.6f\n", x, x * x * x + e
    }
}' > "$out"
