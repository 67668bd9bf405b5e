#!/usr/bin/env python3
"""Sweep throughput: a sweep of N points (default 1,000) of a tiny scenario, run at -j 1 and at -j 2
(or the --jobs given), each from scratch; prints wall time, points/s and the speed-up over the first,
and the CPU time per point with the load average (on a shared machine the wall time shows the load).
Checks that every run produced the same results.json, so the figure is for a correct sweep.

    cmake --build build --target sweep_bench          # or:
    python3 bench/sweep_bench.py --irqrig build/bin/irqrig [--points 1000] [--jobs 1 2]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

# A point costs one process start, one elaboration and a run of 100 events: the sweep machinery,
# not the simulation, is what this measures.
TINY = """\
name: sweep_bench_tiny
seed: 1
device:
  interrupts: { mode: msix, vectors: 2 }
  ring: { entries: 64 }
  bursts:
    - { vectors: [0, 1], events: 100, gap_ns: 500, pattern: round_robin }
host:
  cpus: 2
run:
  until: drained
  time_us: 2000
expect: { lost: 0, duplicated: 0 }
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--irqrig", default="build/bin/irqrig")
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="irqrig_sweep_bench_")
    try:
        with open(os.path.join(work, "tiny.yaml"), "w") as f:
            f.write(TINY)
        with open(os.path.join(work, "bench.yaml"), "w") as f:
            f.write(f"name: sweep_bench\nscenario: tiny.yaml\nseeds: {args.points}\n")
        print(f"sweep_bench: {args.points} points of a 100-event scenario, {os.cpu_count()} CPUs online")
        first = None
        results = None
        for jobs in args.jobs:
            out = os.path.join(work, f"out_j{jobs}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            rc = subprocess.run([args.irqrig, "sweep", os.path.join(work, "bench.yaml"), "-j", str(jobs),
                                 "--quiet", "--out", out]).returncode
            wall = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if rc != 0:
                print(f"sweep_bench: -j {jobs}: the sweep exited {rc}", file=sys.stderr)
                return 1
            with open(os.path.join(out, "results.json")) as f:
                text = f.read()
            if results is not None and text != results:
                print(f"sweep_bench: -j {jobs}: results.json differs from -j {args.jobs[0]}", file=sys.stderr)
                return 1
            results = text
            first = first or wall
            # CPU time (the sweep and every point's process) says what the machine's other load hides.
            print(f"  -j {jobs}: {wall:8.2f} s wall, {args.points / wall:7.1f} points/s, "
                  f"speed-up {first / wall:4.2f}x over -j {args.jobs[0]}; "
                  f"{1000 * cpu / args.points:.1f} ms CPU per point, load average {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
