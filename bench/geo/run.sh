#!/usr/bin/env bash
# Turfs and walk routes: Terrain (terrain-geo) against its anchors, side by side, same inputs.
#   cutting: k-means-constrained (PyPI), and Terrain's own recursive bisection and Hilbert cuts
#   routes:  LKH-3 (PyPI elkai), OR-Tools routing (PyPI ortools)
# Inputs: synthetic clustered doors (10k, 100k, 1M; seed 1; Voronoi "bureaux" of ~800 doors),
# the real Monaco OpenStreetMap extract and the real Paris BAN addresses placed in bureaux.
# Usage: bench/geo/run.sh            (k-means-constrained on 1M doors is skipped: ~6 min;
#        GEO_BENCH_FULL=1 bench/geo/run.sh runs it too)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DATA=${TERRAIN_SHARED_DATA:-$ROOT/../shared/data}
OUT=$ROOT/bench/out/geo
mkdir -p "$OUT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

# Anchors in the shared venv. numpy/scipy are held below 2.0/1.14 so that the other benches'
# packages in the same venv keep working; pip then picks k-means-constrained 0.7.x, ortools 9.14.
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -c 'import k_means_constrained, elkai, ortools' 2>/dev/null ||
  bench/.venv/bin/pip install -q "numpy<2" "scipy<1.14" k-means-constrained elkai ortools
PY=bench/.venv/bin/python
ANCHORS=bench/geo/anchors.py

cargo build --release -q -p terrain-geo --example geo_bench
B=$CARGO_TARGET_DIR/release/examples/geo_bench
R=$OUT/results.jsonl
: > "$R"
log() { # label, then a command printing one JSON object
  local label=$1; shift
  local json
  json=$("$@")
  printf '{"label": "%s", "result": %s}\n' "$label" "$json" >> "$R"
  echo "$label done" >&2
}

for n in 10000 100000 1000000; do
  f=$OUT/synthetic-$n.csv
  [ -f "$f" ] || "$B" gen --doors $n --seed 1 --out "$f"
  for m in balanced bisection hilbert; do
    log "cut synthetic-$n $m" "$B" cut --in "$f" --method $m --out "$OUT/cut-$n-$m.csv"
    log "routes synthetic-$n $m" "$B" routes --in "$f" --cut "$OUT/cut-$n-$m.csv"
  done
  if [ $n -lt 1000000 ] || [ "${GEO_BENCH_FULL:-0}" = 1 ]; then
    log "anchor-cut synthetic-$n kmc" $PY $ANCHORS kmc --in "$f" --size 80 --out "$OUT/cut-$n-kmc.csv"
    log "quality synthetic-$n kmc" "$B" quality --in "$f" --cut "$OUT/cut-$n-kmc.csv"
    log "routes synthetic-$n kmc" "$B" routes --in "$f" --cut "$OUT/cut-$n-kmc.csv"
  fi
  log "turfs synthetic-$n" "$B" turfs --in "$f" --out "$OUT/turfs-$n.csv"
done
log "cut synthetic-1000000 balanced-1start" "$B" cut --in "$OUT/synthetic-1000000.csv" --starts 1
log "turfs synthetic-1000000 fast" "$B" turfs --in "$OUT/synthetic-1000000.csv" --starts 1 --kicks 1 --out /dev/null

# Walk order against LKH-3 and OR-Tools: 150 turfs of the 100k balanced cut, closed tours.
for k in 0 1 2 10; do
  log "routes-sample kicks$k" "$B" routes --in "$OUT/synthetic-100000.csv" --cut "$OUT/cut-100000-balanced.csv" \
      --kicks $k --sample 150 --matrices "$OUT/matrices-k$k.json"
  log "anchor-tsp kicks$k" $PY $ANCHORS tsp --matrices "$OUT/matrices-k$k.json"
done

# Monaco: real buildings (one stop and one door each) and real walkable streets.
PBF=$DATA/osm-monaco/monaco.osm.pbf
if [ -f "$PBF" ]; then
  "$B" monaco --pbf "$PBF" --out "$OUT/monaco.csv"
  for m in balanced bisection; do
    log "cut monaco $m" "$B" cut --in "$OUT/monaco.csv" --method $m --out "$OUT/cut-monaco-$m.csv"
    log "routes monaco $m" "$B" routes --in "$OUT/monaco.csv" --cut "$OUT/cut-monaco-$m.csv"
    log "walk monaco $m" "$B" routes --in "$OUT/monaco.csv" --cut "$OUT/cut-monaco-$m.csv" --network "$PBF"
  done
  # One bureau of 292 turfs: n_init=10 ran for over 10 minutes here, so a single init.
  log "anchor-cut monaco kmc" $PY $ANCHORS kmc --in "$OUT/monaco.csv" --size 80 --n-init 1 --out "$OUT/cut-monaco-kmc.csv"
  log "quality monaco kmc" "$B" quality --in "$OUT/monaco.csv" --cut "$OUT/cut-monaco-kmc.csv"
  log "routes monaco kmc" "$B" routes --in "$OUT/monaco.csv" --cut "$OUT/cut-monaco-kmc.csv"
  log "walk monaco kmc" "$B" routes --in "$OUT/monaco.csv" --cut "$OUT/cut-monaco-kmc.csv" --network "$PBF"
  log "turfs monaco network" "$B" turfs --in "$OUT/monaco.csv" --network "$PBF" --out "$OUT/turfs-monaco.csv"
  log "turfs monaco network split-streets" "$B" turfs --in "$OUT/monaco.csv" --network "$PBF" --split-streets --out /dev/null
else
  echo "SKIPPED Monaco: $PBF is absent" >&2
fi

# Paris: 158,048 real BAN addresses placed in their 2017 bureaux (one door each).
BAN=$DATA/paris-75/ban-adresses/adresses-75_bureau2017_iris2013.csv.gz
if [ -f "$BAN" ]; then
  "$B" paris --in "$BAN" --out "$OUT/paris.csv"
  for m in balanced bisection hilbert; do
    log "cut paris $m" "$B" cut --in "$OUT/paris.csv" --method $m --out "$OUT/cut-paris-$m.csv"
    log "routes paris $m" "$B" routes --in "$OUT/paris.csv" --cut "$OUT/cut-paris-$m.csv"
  done
  log "anchor-cut paris kmc" $PY $ANCHORS kmc --in "$OUT/paris.csv" --size 80 --out "$OUT/cut-paris-kmc.csv"
  log "quality paris kmc" "$B" quality --in "$OUT/paris.csv" --cut "$OUT/cut-paris-kmc.csv"
  log "routes paris kmc" "$B" routes --in "$OUT/paris.csv" --cut "$OUT/cut-paris-kmc.csv"
  log "turfs paris" "$B" turfs --in "$OUT/paris.csv" --out "$OUT/turfs-paris.csv"
else
  echo "SKIPPED Paris: $BAN is absent" >&2
fi

$PY bench/geo/table.py "$R"
