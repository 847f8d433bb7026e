"""Anchors for Terrain's turf cutting and walk ordering, run on the same inputs as Terrain.

  anchors.py kmc --in doors.csv --size 80 --out cut.csv   k-means-constrained per bureau
  anchors.py tsp --matrices turfs.json                     LKH-3 (elkai) and OR-Tools per turf

Timings are CPU seconds of this process (time.process_time), one core.
"""

import argparse
import csv
import json
import math
import sys
import time

import numpy as np


def project(lon, lat, lon0, lat0):
    """Local metric projection (same formulas as terrain_geo::proj::LocalProjection)."""
    a, e2 = 6378137.0, 0.006694380022900787
    phi0 = math.radians(lat0)
    w = math.sqrt(1 - e2 * math.sin(phi0) ** 2)
    m0 = a * (1 - e2) / w ** 3
    phi = np.radians(lat)
    n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    x = n * np.cos(phi) * np.radians(lon - lon0)
    y = m0 * np.radians(lat - lat0)
    return np.column_stack([x, y])


def kmc(args):
    from k_means_constrained import KMeansConstrained

    ids, lon, lat, bureau = [], [], [], []
    with open(args.input, newline="") as f:
        for row in csv.DictReader(f):
            ids.append(row["id"])
            lon.append(float(row["lon"]))
            lat.append(float(row["lat"]))
            bureau.append(row.get("bureau") or "")
    lon, lat = np.array(lon), np.array(lat)
    pos = project(lon, lat, (lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2)
    groups = {}
    for i, b in enumerate(bureau):
        groups.setdefault(b, []).append(i)
    labels = [None] * len(ids)
    t0 = time.process_time()
    for b, members in groups.items():
        n = len(members)
        k = max(1, round(n / args.size))
        if k == 1:
            for i in members:
                labels[i] = f"{b}-0"
            continue
        x = pos[members]
        model = KMeansConstrained(
            n_clusters=k,
            size_min=n // k,
            size_max=-(-n // k),
            random_state=args.seed,
            n_init=args.n_init,
        )
        lab = model.fit_predict(x)
        for i, l in zip(members, lab):
            labels[i] = f"{b}-{l}"
    secs = time.process_time() - t0
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "turf"])
        for i, l in zip(ids, labels):
            w.writerow([i, l])
    print(json.dumps({"method": "k-means-constrained", "seconds": secs, "n_init": args.n_init}))


def ortools_tour(matrix, seconds):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(matrix)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cost(i, j):
        return matrix[manager.IndexToNode(i)][manager.IndexToNode(j)]

    cb = routing.RegisterTransitCallback(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    if seconds > 0:
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(int(seconds * 1000))
    sol = routing.SolveWithParameters(params)
    return sol.ObjectiveValue()


def tour_length(matrix, tour):
    return sum(matrix[tour[i]][tour[i + 1]] for i in range(len(tour) - 1))


def tsp(args):
    import elkai

    turfs = json.load(open(args.matrices))
    rows = []
    cpu = {"lkh1": 0.0, "lkh10": 0.0, "ortools_default": 0.0, "ortools_gls": 0.0}
    for t in turfs:
        m = t["matrix"]
        if len(m) < 5:
            continue
        t0 = time.process_time()
        best = tour_length(m, elkai.DistanceMatrix(m).solve_tsp(runs=10))
        t1 = time.process_time()
        one = tour_length(m, elkai.DistanceMatrix(m).solve_tsp(runs=1))
        t2 = time.process_time()
        ort = ortools_tour(m, 0)
        t3 = time.process_time()
        gls = ortools_tour(m, args.gls_seconds)
        t4 = time.process_time()
        cpu["lkh10"] += t1 - t0
        cpu["lkh1"] += t2 - t1
        cpu["ortools_default"] += t3 - t2
        cpu["ortools_gls"] += t4 - t3
        rows.append({"n": len(m), "best": best, "lkh1": one, "ortools": ort, "gls": gls, "ours": t["ours_dm"]})
    k = max(1, len(rows))

    def gap(key):
        return 100.0 * (sum(r[key] for r in rows) / sum(r["best"] for r in rows) - 1.0)

    out = {
        "turfs": len(rows),
        "mean_stops": sum(r["n"] for r in rows) / k,
        "gap_percent": {"lkh_1_run": gap("lkh1"), "ortools_default": gap("ortools"),
                        "ortools_gls": gap("gls"), "terrain": gap("ours")},
        "ms_per_turf": {key: 1000.0 * v / k for key, v in cpu.items()},
        "gls_seconds": args.gls_seconds,
    }
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("kmc")
    a.add_argument("--in", dest="input", required=True)
    a.add_argument("--size", type=int, default=80)
    a.add_argument("--out", required=True)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--n-init", type=int, default=10)
    b = sub.add_parser("tsp")
    b.add_argument("--matrices", required=True)
    b.add_argument("--gls-seconds", type=float, default=0.1)
    args = p.parse_args()
    {"kmc": kmc, "tsp": tsp}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
