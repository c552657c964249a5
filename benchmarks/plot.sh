#!/usr/bin/env bash
# Plots the JSON rows of `evlog-bench --json FILE` as throughput (events/s,
# log scale) per workload and subject, with gnuplot.
#
#   benchmarks/plot.sh results.json [out.png]     # default out: docs/benchmarks.png
#
# Needs python3 and gnuplot (Debian: gnuplot-nox).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
json=${1:?usage: benchmarks/plot.sh results.json [out.png]}
out=${2:-$here/../docs/benchmarks.png}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One row per workload, one column per subject; '-' where a subject did not run.
python3 - "$json" "$tmp/data.txt" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
subjects = ["evlog", "raw_limit", "naive", "sqlite", "rocksdb"]
subjects += sorted({r["subject"] for r in rows} - set(subjects))
workloads = []
for r in rows:
    if r["workload"] not in workloads:
        workloads.append(r["workload"])
rate = {(r["workload"], r["subject"]): r["events_per_s"] for r in rows}
used = [s for s in subjects if any((w, s) in rate for w in workloads)]
with open(sys.argv[2], "w") as f:
    f.write("workload " + " ".join(used) + "\n")
    for w in workloads:
        vals = [rate.get((w, s)) for s in used]
        f.write(w + " " + " ".join("-" if v is None else repr(float(v)) for v in vals) + "\n")
EOF

ncol=$(head -1 "$tmp/data.txt" | wc -w)
gnuplot <<EOF
set terminal pngcairo size 1400,650 font "sans,11" enhanced
set output "$out"
set title "evlog-bench: throughput per workload and subject (median; higher is better)" noenhanced
set bmargin 5
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set format y "10^{%L}"
set ylabel "events/s (log scale)"
set yrange [10:*]
set grid ytics
set key top right noenhanced
set xtics rotate by -20 noenhanced
set datafile missing "-"
plot for [i=2:$ncol] "$tmp/data.txt" using i:xtic(1) title columnheader(i)
EOF
echo "wrote $out"
