#!/usr/bin/env python3
"""The co-simulation's speed remote against in-process, side by side in one run: a scenario through
`irqrig run` with --target sim, remote:unix:... and remote:tcp:127.0.0.1:... (one `irqrig serve` per
transport, started here), the rounds interleaved so machine load hits all three alike. Prints the
median wall_s of each and the ratio remote / in-process, and checks that every report is the
in-process one less `wall_s` and `target`, so the figure is for a correct run.

    cmake --build build --target remote_cosim_bench   # or:
    python3 bench/remote_cosim_bench.py --irqrig build/bin/irqrig [--scenario scenarios/default.yaml] [--rounds 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def serve(irqrig, listen, log):
    """Starts `irqrig serve`; returns the process and the address from its first stdout line."""
    p = subprocess.Popen([irqrig, "serve", "--listen", listen], stdout=subprocess.PIPE, stderr=log, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("listening on "):
        p.kill()
        sys.exit(f"irqrig serve --listen {listen} did not start: {line!r}")
    return p, line[len("listening on "):]


def run(irqrig, scenario, target, report):
    subprocess.run([irqrig, "run", scenario, "--quiet", "--target", target, "--report", report], check=True)
    with open(report) as f:
        r = json.load(f)
    wall = r.pop("wall_s")
    r.pop("target")
    return wall, r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--irqrig", default="build/bin/irqrig")
    ap.add_argument("--scenario", default="scenarios/default.yaml")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="irqrig_remote_bench_")
    log = open(os.path.join(work, "serve.log"), "w")
    servers = []
    try:
        unix, unix_address = serve(args.irqrig, "unix:" + os.path.join(work, "s.sock"), log)
        servers.append(unix)
        tcp, tcp_address = serve(args.irqrig, "tcp:127.0.0.1:0", log)
        servers.append(tcp)
        targets = {"in-process": "sim", "unix": "remote:" + unix_address, "tcp": "remote:" + tcp_address}
        walls = {k: [] for k in targets}
        reference = None
        for _ in range(args.rounds):
            for name, target in targets.items():
                wall, report = run(args.irqrig, args.scenario, target, os.path.join(work, name + ".json"))
                walls[name].append(wall)
                if reference is None:
                    reference = report
                elif report != reference:
                    sys.exit(f"{name}: the report differs from the in-process one")
        base = statistics.median(walls["in-process"])
        print(f"{args.scenario}: {reference['device']['events']} events, {reference['sim_time_ns'] / 1e6:.3f} ms "
              f"simulated, {args.rounds} rounds, reports identical")
        for name, w in walls.items():
            m = statistics.median(w)
            print(f"  {name:10s} wall_s median {m:.3f} (min {min(w):.3f}, max {max(w):.3f})  x{m / base:.2f} of in-process")
    finally:
        for p in servers:
            p.terminate()
            p.wait()
        log.close()


if __name__ == "__main__":
    main()
