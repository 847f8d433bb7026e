#!/usr/bin/env bash
# How fast the dashboard draws a department's bureaux in headless Chromium: the real Paris
# demo (896 bureaux, real contours) and a synthetic department of 1,300 bureaux (~40 vertices
# each). Measured from the click on "Carte" to the map drawn with every bureau (median of runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
RUNS=${RUNS:-5}
cargo build --release -q -p terrain
cargo build --release -q -p terrain-import --example synthetic_department
(cd web && [ -d node_modules ] || npm ci --no-audit --no-fund) && (cd web && npm run build >/dev/null)
cargo build --release -q -p terrain
BIN="$CARGO_TARGET_DIR/release/terrain"
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DB="sqlite://$DIR/synthetic.db"
"$BIN" campaign add --db "$DB" --slug dep --name "Département synthétique" >/dev/null
DIRECTOR_PW=bench-password-1 "$BIN" user add --db "$DB" --email bench@terrain.test --name Bench --campaign dep --role director --password-env DIRECTOR_PW >/dev/null
"$CARGO_TARGET_DIR/release/examples/synthetic_department" --db "$DB" --campaign dep --bureaux 1300 >/dev/null
RUNS=$RUNS BIN="$BIN" DB="$DB" node bench/map/measure.mjs
