#!/usr/bin/env bash
# Hostile inputs against a built `constnet fit` (issues #12, #22): prints, per input, the exit code
# and the last line of stderr. A panic shows as rc=101, an abort as 134, an OOM kill as 137, a hang
# as 124.
#   cargo build --release -p constnet-cli && bash tools/hostile_probe.sh target/release/constnet
# Runs in a fresh temporary folder (removed at the end); each run has 60 s. Against a build
# without the size limits, `--samples 1000000000` and `--epochs 100000000000` can take that
# long and several GB each. Run builds from before issue #12 only on a throwaway machine:
# they replace a device given to --save (e.g. /dev/full) with a regular file.
set -u
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: bash tools/hostile_probe.sh PATH/TO/constnet" >&2; exit 2; }
BIN=$(realpath "$1"); W=$(mktemp -d /tmp/probe.XXXX); trap 'rm -rf "$W"' EXIT; cd "$W" || exit 1
printf 'x,y\n' > header_only.csv; : > empty.csv
printf 'x,y\n1,2\n' > one_row.csv
printf 'x,y\n1,2\n2,NaN\n3,4\n' > nan.csv
printf 'x,y\n1,2\n2,inf\n3,4\n' > inf.csv
printf 'x,y\n1,2\n2,1e39\n3,4\n4,5\n' > big.csv
printf 'x,y\n1,2\n2\n3,4\n' > ragged.csv
printf '\xef\xbb\xbfx,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n' > bom.csv
printf 'x,y\r\n1,2\r\n2,3\r\n3,4\r\n4,5\r\n5,6\r\n6,7\r\n7,8\r\n8,9\r\n' > crlf.csv
printf 'x,y\r1,2\r2,3\r' > cr.csv
printf '1;2\n3;4\n' > semi.csv
printf 'x\ty\n1\t2\n' > tab.csv
printf '# comment\nx,y\n1,2\n' > comment.csv
printf 'x,y\n1,abc\n' > text.csv
for i in $(seq 1 50); do echo "$i,7"; done | sed '1i x,y' > const.csv
for i in $(seq 1 50); do echo "7,$i"; done | sed '1i x,y' > constx.csv
for i in $(seq 1 50); do echo "$i,$((i*i))"; done | sed '1i x,y' > ok.csv
head -c 100 /dev/urandom > garbage.cnet
"$BIN" fit --quiet --epochs 3 --save good.cnet --out o0 >/dev/null 2>&1; head -c 300 good.cnet > trunc.cnet
mkdir -p adir
run() { local name=$1; shift; timeout 60 "$BIN" fit --quiet "$@" >out.txt 2>err.txt; local rc=$?; printf '%-34s rc=%-3s %s\n' "$name" "$rc" "$(grep -v '^\s*$' err.txt | tail -1 | cut -c1-150)"; }
run epochs-u64max --epochs 18446744073709551615
run samples-u64max --samples 18446744073709551615
run epochs-1e11 --epochs 100000000000
run samples-1e9 --samples 1000000000
run non-utf8-path --data $'a\xff.csv'
run load-dev-zero --load /dev/zero
run lr-0 --lr 0
run lr-neg --lr -1
run lr-nan --lr NaN
run lr-inf --lr inf
run lr-1e300 --lr 1e300
run lr-1e-30 --lr 1e-30 --epochs 2
run epochs-0 --epochs 0
run epochs-neg --epochs -5
run batch-0-data --batch-size 0 --epochs 2
run batch-huge --batch-size 99999999999 --epochs 2
run samples-0 --samples 0
run samples-1 --samples 1
run noise-nan --noise NaN
run noise-neg --noise -1
run noise-inf --noise inf
run noise-huge --noise 1e30 --epochs 5
run seed-neg --seed -1
run seed-big --seed 18446744073709551616
run threads-0 --threads 0
run threads-3 --threads 3
run folds-0 --folds 0
run folds-1 --folds 1
run folds-huge --folds 1000000
run valfrac-0 --val-fraction 0
run valfrac-1 --val-fraction 1
run valfrac-nan --val-fraction NaN
run patience-0 --patience 0
run scale-bogus --scale bogus
run quantize-int4 --quantize int4
run optimizer-bogus --optimizer rmsprop
run momentum-sgd --momentum 0.5 --epochs 2
run momentum-2 --optimizer momentum --momentum 2
run unknown-flag --frobnicate
run missing-value --epochs
run dup-flag --epochs 2 --epochs 3
run positional stray
run data-missing --data nope.csv
run data-dir --data adir
run data-empty --data empty.csv
run data-header-only --data header_only.csv
run data-one-row --data one_row.csv
run data-nan --data nan.csv
run data-inf --data inf.csv
run data-1e39 --data big.csv
run data-ragged --data ragged.csv
run data-bom --data bom.csv --epochs 3
run data-crlf --data crlf.csv --epochs 3
run data-cr-only --data cr.csv
run data-semicolon --data semi.csv
run data-tab --data tab.csv
run data-comment --data comment.csv
run data-text --data text.csv
run data-const-y --data const.csv --epochs 3
run data-const-x --data constx.csv --epochs 3
run data-noise-nan --data ok.csv --noise NaN --epochs 3
run data-dev-null --data /dev/null
run data-dev-zero --data /dev/zero
run load-missing --load nope.cnet
run load-garbage --load garbage.cnet
run load-trunc --load trunc.cnet
run load-csv --load ok.csv
run load-dir --load adir
run save-over-data --data ok.csv --save ok.csv --epochs 2
run save-to-dir --save adir --epochs 2
run save-dev-full --save /dev/full --epochs 2
run out-is-file --out ok.csv --epochs 2
run out-dev-null --out /dev/null --epochs 2
run export-to-dir --export-rs adir --epochs 2
run save-and-load-same --load good.cnet --save good.cnet
run tab-in-out $'--out' $'o\tx' --epochs 2
run nl-in-out $'--out' $'o\nx' --epochs 2
run export-int8-scaled --data ok.csv --quantize int8 --export-rs m.rs --epochs 2
run quantize-data --data ok.csv --quantize int8 --epochs 3
python3 -c "import json;json.load(open('o\tx/summary.json'))" 2>/dev/null && echo "tab-in-out summary.json: valid JSON" || echo "tab-in-out summary.json: INVALID or missing"
