#!/usr/bin/env python3
"""Times the reference SAR (Microsoft Recommenders, SARSingleNode) on the rows that
`bench_cf_item case sar-heavy DIR` wrote, and compares its top-10 lists with ours.

    ./build/tests/bench/bench_cf_item case sar-heavy DIR
    cd RECOMMENDERS_CHECKOUT && PYTHONPATH=. /usr/bin/python3 \\
        /path/to/tests/bench/sar_reference.py DIR [--reps N]

--reps 0 skips the timing and compares DIR/reference_top10.tsv of an earlier run with ours.

Reads DIR/sar_heavy.csv (userID,itemID,rating,timestamp) and DIR/ours_top10.tsv (user, item,
score per line), writes DIR/reference_top10.tsv. Settings are the ones the bench passes to our
`sar` explicitly: jaccard, time decay on with a 30-day half-life, t_now = the latest training
timestamp, threshold 1, seen items removed, no normalisation.

Timing: fit, recommend_k_items for every user (top 10, remove_seen) and their sum, wall
(perf_counter) and CPU (process_time: user + system of every thread of the process), best and
median of the runs. Loading the CSV is not timed (the bench does not time generating it).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

from recommenders.models.sar import SAR

SETTINGS = dict(
    col_user="userID",
    col_item="itemID",
    col_rating="rating",
    col_timestamp="timestamp",
    similarity_type="jaccard",
    timedecay_formula=True,
    time_decay_coefficient=30,
    time_now=None,
    threshold=1,
    normalize=False,
)


def load_avg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def read_lists(path):
    lists = {}
    with open(path) as f:
        for line in f:
            u, i, s = line.rstrip("\n").split("\t")
            lists.setdefault(u, []).append((i, float(s)))
    return lists


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--reps", type=int, default=3,
                    help="timed runs; 0 = only compare the lists of an earlier run with ours")
    args = ap.parse_args()

    df = pd.read_csv(
        os.path.join(args.dir, "sar_heavy.csv"),
        dtype={"userID": str, "itemID": str, "rating": np.float64, "timestamp": np.int64},
    )
    users = pd.DataFrame({"userID": df["userID"].unique()})
    print(f"data: {len(df)} rows, {users.shape[0]} users, {df['itemID'].nunique()} items")
    print(f"load average before: {load_avg()}")
    fit_w, fit_c, rec_w, rec_c, tot_w, tot_c = [], [], [], [], [], []
    model = top = None
    for _ in range(args.reps):
        model = SAR(**SETTINGS)
        w0, c0 = time.perf_counter(), time.process_time()
        model.fit(df)
        w1, c1 = time.perf_counter(), time.process_time()
        top = model.recommend_k_items(users, top_k=10, sort_top_k=True, remove_seen=True)
        w2, c2 = time.perf_counter(), time.process_time()
        fit_w.append(w1 - w0)
        fit_c.append(c1 - c0)
        rec_w.append(w2 - w1)
        rec_c.append(c2 - c1)
        tot_w.append(w2 - w0)
        tot_c.append(c2 - c0)
        print(f"  run: fit {w1 - w0:.2f} s wall / {c1 - c0:.2f} s CPU, "
              f"top-10 {w2 - w1:.2f} s / {c2 - c1:.2f} s", flush=True)
    print(f"load average after: {load_avg()}")

    def fmt(name, w, c):
        return (f"{name}: wall min {min(w):.2f} s, median {statistics.median(w):.2f} s; "
                f"CPU min {min(c):.2f} s, median {statistics.median(c):.2f} s")

    ref_path = os.path.join(args.dir, "reference_top10.tsv")
    if args.reps > 0:
        print("reference SAR, heavy users (" + str(args.reps) + " runs)")
        print("  " + fmt("fit + top-10", tot_w, tot_c))
        print("  " + fmt("fit", fit_w, fit_c))
        print("  " + fmt("top-10 all users", rec_w, rec_c))
        top.to_csv(ref_path, sep="\t", header=False, index=False, float_format="%.17g")
        print(f"reference top-10 lists: {ref_path}")
    else:
        print(f"--reps 0: comparing with the lists of an earlier run, {ref_path}")

    ours_path = os.path.join(args.dir, "ours_top10.tsv")
    if not os.path.exists(ours_path):
        print("no ours_top10.tsv: parity not checked")
        return 0
    ours = read_lists(ours_path)
    ref = read_lists(ref_path)
    same = 0
    max_rel = 0.0
    differing = []
    for u, lst in ref.items():
        mine = dict(ours.get(u, []))
        if set(mine) == {i for i, _ in lst}:
            same += 1
        else:
            differing.append(u)
        for i, s in lst:
            if i in mine:
                max_rel = max(max_rel, abs(mine[i] - s) / abs(s))
    print(f"parity: {same} of {len(ref)} users have identical top-10 sets; largest relative "
          f"score difference on shared items {max_rel:.2e}")
    # For users whose sets differ: the reference's full score row tells whether the items
    # swapped are tied (within 1e-12 relative) at the 10th place.
    if differing:
        if model is None:
            model = SAR(**SETTINGS)
            model.fit(df)
        scores = model.score(pd.DataFrame({"userID": differing}), remove_seen=True)
        ties = 0
        for row, u in enumerate(differing):
            tenth = min(s for _, s in ref[u])
            swapped = [i for i, _ in ours.get(u, []) if i not in {j for j, _ in ref[u]}]
            vals = [scores[row, model.item2index[i]] for i in swapped]
            tied = all(abs(v - tenth) <= 1e-12 * abs(tenth) for v in vals)
            ties += tied
            if len(differing) <= 20 or not tied:
                print(f"  {u}: ours has {swapped} scored by the reference {vals}; "
                      f"its 10th score {tenth!r}{' (tie)' if tied else ''}")
        print(f"  {ties} of {len(differing)} differing users differ only by ties at the 10th place")
    return 0


if __name__ == "__main__":
    sys.exit(main())
