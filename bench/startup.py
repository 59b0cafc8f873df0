"""Start-up time of the `hoidap` command as users run it: the whole process, wall clock.

Targets (issue 12): `hoidap --help` at most 0.3 s; `hoidap ask` with a built index at most
1 s. The commands are run in turn (interleaved, so a burst of load from other processes
hits all of them alike), after one unmeasured run that builds the seeds' index; medians and
maxima are printed with the machine's load average. Usage:

    .venv/bin/python -m bench.startup [--runs 15]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    hoidap = str(Path(sys.executable).with_name("hoidap"))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        commands = {
            "hoidap --help": [hoidap, "--help"],
            "hoidap --version": [hoidap, "--version"],
            "hoidap ask (built index)": [hoidap, "ask", QUESTION],
            "hoidap search (built index)": [hoidap, "search", "Đại hội XIV"],
        }
        subprocess.run([hoidap, "index"], env=env, check=True, capture_output=True)
        times: dict[str, list[float]] = {name: [] for name in commands}
        loads = []
        for _ in range(args.runs):
            loads.append(os.getloadavg()[0])
            for name, command in commands.items():
                started = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - started)
    print(
        f"{args.runs} interleaved runs; 1-minute load average {min(loads):.1f}-{max(loads):.1f}"
        f" on {os.cpu_count()} cores"
    )
    for name, seconds in times.items():
        print(
            f"{name:30} median {statistics.median(seconds):.3f} s, "
            f"min {min(seconds):.3f} s, max {max(seconds):.3f} s"
        )


if __name__ == "__main__":
    main()
