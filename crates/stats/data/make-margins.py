"""Makes the default margins shipped with terrain-stats from the real public data in
../../../../shared/data (see README.md beside this script). Run from crates/stats/data:
    python3 make-margins.py
Standard library only. The outputs are committed; the crate's tests check them against the
sources whenever shared/data is present.
"""
import collections
import csv
import json
import os

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data")

# 1. France (metropolitan and overseas regions): population by region and by commune size band,
#    from the commune populations of the COG 2026 package.
cog = os.path.join(DATA, "cog-decoupage-administratif-2026")
communes = json.load(open(os.path.join(cog, "communes.json"), encoding="utf-8"))
regions = {r["code"]: r["nom"] for r in json.load(open(os.path.join(cog, "regions.json"), encoding="utf-8"))}
BANDS = [(0, "0-1999"), (2000, "2000-9999"), (10000, "10000-49999"), (50000, "50000-199999"), (200000, "200000+")]
by_region = collections.Counter()
by_band = collections.Counter()
for c in communes:
    if c["type"] != "commune-actuelle" or c["zone"] not in ("metro", "drom"):
        continue
    pop = c.get("population", 0)
    by_region[c["region"]] += pop
    band = [label for low, label in BANDS if pop >= low][-1]
    by_band[band] += pop
with open("margins-france-cog2026.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["variable", "category", "target", "label"])
    for code in sorted(by_region):
        w.writerow(["region", code, by_region[code], regions[code]])
    for _, label in BANDS:
        w.writerow(["commune_size", label, by_band[label], f"communes of {label} inhabitants"])

# 2. Paris: residents aged 15 or more by socio-professional group (PCS, 8 groups) and by
#    arrondissement, census 2011, summed over the 992 IRIS.
CS = ["agriculteurs", "artisans-commercants-chefs", "cadres", "professions-intermediaires",
      "employes", "ouvriers", "retraites", "autres-inactifs"]
path = os.path.join(DATA, "paris-75", "iris-et-bureaux-2011-2013", "RP_2011_CS8_Paris_iris.csv")
by_cs = collections.Counter()
by_arr = collections.Counter()
with open(path, encoding="utf-8") as f:
    for row in csv.DictReader(f, delimiter=";"):
        # The arrondissement totals are the sums of the 8 groups (C11_POP15P differs from that
        # sum by rounding in 3 IRIS), so that both margins add up to the same total.
        for i, name in enumerate(CS, start=1):
            by_cs[name] += int(row[f"C11_POP15P_CS{i}"])
            by_arr[row["IRIS"][:5]] += int(row[f"C11_POP15P_CS{i}"])
with open("margins-paris-rp2011.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["variable", "category", "target", "label"])
    for i, name in enumerate(CS, start=1):
        w.writerow(["occupation", name, by_cs[name], f"PCS group {i}"])
    for code in sorted(by_arr):
        w.writerow(["arrondissement", code, by_arr[code], f"Paris {int(code[3:])}{'er' if code.endswith('01') else 'e'}"])
print("region total", sum(by_region.values()), "paris 15+", sum(by_cs.values()), sum(by_arr.values()))
