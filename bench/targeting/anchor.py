"""The anchor: LMP's baseline in pandas/numpy on the same counts file as Terrain.

PO = abstentions/inscrits x bloc/exprimes on 2022_pres_t1; doors = inscrits/1.4; the budget split
between departments in proportion to A_t = sum(inscrits x PO); within a department, bureaux in
decreasing PO (ties by id) while the cumulative doors fit the department's budget (LMP stops at
the first that does not fit); red/orange/yellow by quantiles 0.9/0.7/0.5 within department.
Also the five-election weighted average of the rates (no shrinkage: not in pandas).
Prints TASK|name|seconds|detail lines and writes the selected ids for comparison.
"""
import sys
import time

import numpy as np
import pandas as pd

BUDGET = 5_000_000.0
out = sys.argv[1]
reps = 7


def department(bureau: pd.Series) -> pd.Series:
    return bureau.str[:2]


def baseline(df: pd.DataFrame) -> pd.DataFrame:
    d = df[df["election"] == "2022_pres_t1"].copy()
    d["po"] = np.where(d["inscrits"] > 0, d["abstentions"] / d["inscrits"], 0.0) * np.where(
        d["exprimes"] > 0, d["bloc"] / d["exprimes"], 0.0
    )
    d["a"] = d["inscrits"] * d["po"]
    d["doors"] = d["inscrits"] / 1.4
    d["dep"] = department(d["bureau"])
    a_t = d.groupby("dep")["a"].sum()
    budget_t = BUDGET * a_t / a_t.sum()
    d = d.sort_values(["dep", "po", "bureau"], ascending=[True, False, True], kind="mergesort")
    d["cum"] = d.groupby("dep")["doors"].cumsum()
    d["budget"] = d["dep"].map(budget_t)
    fits = d["cum"] <= d["budget"] * (1 + 1e-12)
    # Stop at the first bureau that does not fit: a prefix per department.
    d["selected"] = fits.groupby(d["dep"]).cummin()
    q = d.groupby("dep")["po"].quantile([0.9, 0.7, 0.5]).unstack()
    r, o, y = (d["dep"].map(q[c]) for c in (0.9, 0.7, 0.5))
    d["class"] = np.select([d["po"] >= r, d["po"] >= o, d["po"] >= y], ["red", "orange", "yellow"], "none")
    return d


def five(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    d["abst"] = np.where(d["inscrits"] > 0, d["abstentions"] / d["inscrits"], np.nan)
    d["share"] = np.where(d["exprimes"] > 0, d["bloc"] / d["exprimes"], np.nan)
    g = d.groupby("bureau")[["abst", "share"]].mean()
    g["po"] = g["abst"] * g["share"]
    return g


times = {"read": [], "base": [], "five": []}
cpu = {"read": 0.0, "base": 0.0, "five": 0.0}
for _ in range(reps):
    t, c = time.perf_counter(), time.process_time()
    df = pd.read_csv(f"{out}/counts.csv", sep=";", dtype={"bureau": str, "circonscription": str, "election": str})
    times["read"].append(time.perf_counter() - t)
    cpu["read"] += time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    d = baseline(df)
    times["base"].append(time.perf_counter() - t)
    cpu["base"] += time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    five(df)
    times["five"].append(time.perf_counter() - t)
    cpu["five"] += time.process_time() - c
cpu = {k: v / reps for k, v in cpu.items()}

sel = sorted(d.loc[d["selected"], "bureau"])
with open(f"{out}/selected-pandas.txt", "w") as f:
    f.write("\n".join(sel) + "\n")
med = {k: float(np.median(v)) for k, v in times.items()}
print(f"TASK|pandas {pd.__version__}: read counts CSV (345,000 rows)|{med['read']:.4f}|CPU {cpu['read']:.3f} s")
print(f"TASK|pandas: baseline PO + department split + rank + select + classes|{med['base']:.4f}|CPU {cpu['base']:.3f} s; {len(sel)} bureaux selected")
print(f"TASK|pandas: 5 elections averaged (no shrinkage)|{med['five']:.4f}|CPU {cpu['five']:.3f} s")
