#!/bin/sh
# The full benchmark behind the README's "Speed and scale" figures: makes the 10k, 100k
# and 1M passage corpora once (bench/data/), then measures each (bench/out/<corpus>.json).
# About 40 minutes on 2 cores; run it on a quiet machine. The 1M build needs 6 GB of RAM.
#     sh bench/runall.sh
set -e
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=bench/out
mkdir -p $OUT
for n in 10k:10000 100k:100000 1m:1000000; do
    name=${n%%:*}
    [ -d bench/data/p$name ] || $PY -m bench.make_corpus --passages ${n#*:} --out bench/data/p$name
done
$PY -m bench.run --out $OUT --corpus bench/data/p100k --queries 1000 --single-worker \
    --build-repeats 3 --rank-bm25 1000 --incremental > $OUT/p100k.txt 2> $OUT/p100k.log
$PY -m bench.run --out $OUT --corpus bench/data/p10k --queries 1000 --single-worker \
    --build-repeats 3 --rank-bm25 1000 --incremental > $OUT/p10k.txt 2> $OUT/p10k.log
$PY -m bench.run --out $OUT --corpus bench/data/p1m --queries 1000 --incremental \
    > $OUT/p1m.txt 2> $OUT/p1m.log
$PY -m bench.table $OUT/p10k.json $OUT/p100k.json $OUT/p1m.json
