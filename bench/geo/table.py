"""Prints the tables of bench/geo/run.sh from its results.jsonl."""
import json
import sys

rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[r["label"]] = r["result"]


def get(label, *path, default=None):
    v = rows.get(label)
    for p in path:
        if v is None:
            return default
        v = v.get(p) if isinstance(v, dict) else None
    return default if v is None else v


def fmt(v, d=2):
    return "—" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else str(v))


print("\n### Cutting (target 80 doors; CPU seconds of the cut itself; Terrain balanced: 4 starts; m/door: closed tours by Terrain's solver, 2 kicks/stop)\n")
print("| input | method | CPU s | turfs | sd | sd in bureau | min–max | PP mean | PP p10 | RMS radius m | overlap | m/door |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for inp in ["synthetic-10000", "synthetic-100000", "synthetic-1000000", "monaco", "paris"]:
    for m in ["kmc", "balanced", "bisection", "hilbert"]:
        if m == "kmc":
            q = get(f"quality {inp} kmc", "quality")
            secs = get(f"anchor-cut {inp} kmc", "seconds")
            name = "k-means-constrained"
        else:
            q = get(f"cut {inp} {m}", "quality")
            secs = get(f"cut {inp} {m}", "cpu_seconds")
            name = {"balanced": "**Terrain balanced**", "bisection": "recursive bisection", "hilbert": "Hilbert chunks"}[m]
        if q is None:
            continue
        mpd = get(f"routes {inp} {m}", "m_per_door")
        if m == "balanced" and inp == "synthetic-1000000" and get("cut synthetic-1000000 balanced-1start"):
            q1 = get("cut synthetic-1000000 balanced-1start", "quality")
            print(f"| {inp} | Terrain balanced, 1 start | {fmt(get('cut synthetic-1000000 balanced-1start', 'cpu_seconds'))} | {q1['turfs']} | "
                  f"{q1['doors_std']:.2f} | {q1['doors_std_within_bureau']:.2f} | {q1['doors_min']}–{q1['doors_max']} | "
                  f"{q1['polsby_popper_mean']:.3f} | {q1['polsby_popper_p10']:.3f} | {q1['rms_radius_m']:.1f} | {q1['hull_overlap']:.3f} | — |")
        print(f"| {inp} | {name} | {fmt(secs)} | {q['turfs']} | {q['doors_std']:.2f} | {q['doors_std_within_bureau']:.2f} | "
              f"{q['doors_min']}–{q['doors_max']} | {q['polsby_popper_mean']:.3f} | {q['polsby_popper_p10']:.3f} | "
              f"{q['rms_radius_m']:.1f} | {q['hull_overlap']:.3f} | {fmt(mpd)} |")

print("\n### Walk order: gap to the best of 10 LKH-3 runs (150 turfs of the 100k balanced cut, ~80 stops, closed tours)\n")
print("| solver | gap % | CPU ms per turf |")
print("|---|---|---|")
a = get("anchor-tsp kicks2")
if a:
    print(f"| LKH-3 (elkai), 1 run | {a['gap_percent']['lkh_1_run']:.3f} | {a['ms_per_turf']['lkh1']:.1f} |")
    print(f"| LKH-3 (elkai), best of 10 runs | 0 (reference) | {a['ms_per_turf']['lkh10']:.1f} |")
    print(f"| OR-Tools, cheapest arc + default local search | {a['gap_percent']['ortools_default']:.2f} | {a['ms_per_turf']['ortools_default']:.1f} |")
    print(f"| OR-Tools, + guided local search {a['gls_seconds']} s | {a['gap_percent']['ortools_gls']:.2f} | {a['ms_per_turf']['ortools_gls']:.1f} |")
for k in [0, 1, 2, 10]:
    t = get(f"anchor-tsp kicks{k}")
    r = get(f"routes-sample kicks{k}")
    if t and r:
        label = "NN + 2-opt + Or-opt" if k == 0 else f"Terrain ILS, {k} kicks/stop" + (" (default)" if k == 2 else "")
        print(f"| {label} | {t['gap_percent']['terrain']:.2f} | {r['cpu_ms_per_turf_matrix_and_solve']:.2f} (all 1,251 turfs, matrix included) |")

print("\n### Whole `terrain turfs` pipeline (read CSV, cut, quality, order every turf, write CSV; defaults: 4 starts, 2 kicks/stop, open routes; `fast`: 1 start, 1 kick/stop)\n")
print("| input | CPU s | wall s | turfs | m/door | session min (mean) |")
print("|---|---|---|---|---|---|")
for label in ["turfs synthetic-10000", "turfs synthetic-100000", "turfs synthetic-1000000",
              "turfs synthetic-1000000 fast", "turfs monaco network", "turfs monaco network split-streets", "turfs paris"]:
    r = get(label)
    if r:
        rep = r["report"]
        print(f"| {label[6:]} | {r['cpu_seconds']:.2f} | {r['seconds']:.2f} | {rep['quality']['turfs']} | "
              f"{rep['routes']['metres_per_door']:.2f} | {rep['routes']['session_minutes_mean']:.0f} |")

print("\n### Monaco: walking distances against straight lines (closed tours, 292 turfs)\n")
print("| cut | straight m/door | walking m/door (ordered on walking) | walking m/door (ordered on straight lines) | walking / straight | saving |")
print("|---|---|---|---|---|---|")
for m in ["kmc", "balanced", "bisection"]:
    s = get(f"routes monaco {m}")
    w = get(f"walk monaco {m}")
    if s and w:
        so = w["straight_order_walked_m"] / w["doors"]
        print(f"| {m} | {s['m_per_door']:.2f} | {w['m_per_door']:.2f} | {so:.2f} | {w['m_per_door']/s['m_per_door']:.2f}× | "
              f"{100*(1-w['m_per_door']/so):.0f} % |")
for label in ["turfs monaco network", "turfs monaco network split-streets"]:
    r = get(label)
    if r:
        q = r["report"]["quality"]
        st = q["streets"]
        print(f"\n{label}: street segments split {100*st['split_share']:.1f} % of {st['segments']}, "
              f"doors on split segments {100*st['doors_on_split_share']:.1f} %, PP {q['polsby_popper_mean']:.3f}, "
              f"sd {q['doors_std']:.2f} ({q['doors_min']}–{q['doors_max']}), overlap {q['hull_overlap']:.3f}, "
              f"walking {r['report']['routes']['metres_per_door']:.2f} m/door (open routes)")
