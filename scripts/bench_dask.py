"""Dask engine vs the local pool: overhead per file and scaling from 1 to 2 workers.

    python scripts/bench_dask.py --count 10000 --full-count 1000 --markdown dask.md

Inputs are small mixed files (copies of the text, image and document samples, as
``bench_scaling.py`` makes them). For each mode (implicit-only ``--no-explicit``, and full
labelling with ``--no-ocr-check``) the real CLI runs four times: local pool ``--jobs 1`` and
``--jobs 2``, then ``--engine dask`` against a real ``dask scheduler`` with 1 and then 2
``dask worker`` processes (one thread each; started before the timed run, as a standing cluster
is). Overhead per file = (Dask time - local time at the same parallelism) / files. Scaling =
(time with 1 worker / time with 2) / 2 (1.0 = linear). The extrapolation fits Amdahl's law
T(N) = S + P/N to the 1- and 2-worker times and caps it by the dispatch rate measured with no-op
tasks through the same engine (``DaskEngine.run`` with a trivial function: scheduler, client
window and the worker's child-process round trip, no labelling). For the Dask runs it also records
the CPU seconds of the client (the CLI), the scheduler and the workers (with their child
processes): on a machine with as many cores as workers, the client's and scheduler's share is
what keeps two workers from scaling linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from bench_scaling import populate  # noqa: E402

PRODUCER = "001191110102MACQD9K64010000"
MODES = {"implicit-only": ["--no-explicit"], "full": ["--no-ocr-check"]}


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


class Cluster:
    """A scheduler and ``workers`` single-threaded worker processes on localhost."""

    def __init__(self, folder: Path, workers: int) -> None:
        file = folder / f"scheduler-{workers}.json"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env()}
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dask",
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--scheduler-file",
                    str(file),
                    "--no-dashboard",
                ],
                **quiet,
            )
        ]  # type: ignore[call-overload]
        while not file.exists() or not file.read_text().strip():
            time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        self.processes += [
            subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"], **quiet
            )
            for _ in range(workers)
        ]  # type: ignore[call-overload]
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=300)

    def close(self) -> None:
        for process in self.processes[::-1]:
            process.terminate()
            process.wait(60)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the CLI process with its pool (children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[3:6]} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a live process and its live children (a dask worker runs files in a child)."""
    import psutil

    total = 0.0
    process = psutil.Process(pid)
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)
    return total


def dispatch_rate(address: str, count: int) -> float:
    """Files/s the engine dispatches when a file costs nothing (its fixed overhead per file)."""
    from labeler.pool import Limits
    from labeler.remote.dask_engine import DaskEngine

    with DaskEngine(address, 1) as engine:
        start = time.perf_counter()
        engine.run([f"a/{n}" for n in range(count)], posixpath.basename, limits=Limits(), failed=lambda item, reason: reason)
        return count / (time.perf_counter() - start)


def ceiling(count: int, rounds: int) -> dict[str, Any]:
    """What this machine lets two workers gain, measured without the engine's own scaling: two
    independent 1-worker clusters, each with its own client, input and output, labelling
    implicit-only at the same time, against one of them alone. They share nothing but the machine,
    so ``alone / together`` is the best 1 -> 2 worker scaling any engine could show here."""
    results: dict[str, Any] = {"load_before": os.getloadavg(), "files": count}
    with tempfile.TemporaryDirectory(prefix="bench-dask-ceiling-") as scratch:
        work = Path(scratch)
        clusters = []
        try:
            for name in ("a", "b"):
                populate(work / f"in-{name}", count)
                (work / f"cluster-{name}").mkdir()
                clusters.append(Cluster(work / f"cluster-{name}", 1))

            def command(name: str, cluster: Cluster) -> list[str]:
                shutil.rmtree(work / f"out-{name}", ignore_errors=True)
                return [sys.executable, "-m", "labeler", "label", str(work / f"in-{name}"), "--out", str(work / f"out-{name}"),
                        "--producer", PRODUCER, "--no-progress", *MODES["implicit-only"], "--engine", "dask", "--scheduler", cluster.address]  # fmt: skip

            alone, together = [], []
            for _ in range(rounds):
                alone.append(timed(command("a", clusters[0]))[0])
                started = time.perf_counter()
                pair = [subprocess.Popen(command(n, c), env=env(), stdout=subprocess.DEVNULL) for n, c in zip("ab", clusters, strict=True)]
                for process in pair:
                    process.wait()
                together.append(time.perf_counter() - started)
        finally:
            for cluster in clusters:
                cluster.close()
    results |= {"alone_s": alone, "together_s": together, "ceiling": round(sum(alone) / sum(together), 2), "load_after": os.getloadavg()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="files for implicit-only labelling")
    parser.add_argument("--full-count", type=int, default=1_000, help="files for full labelling (notice + label)")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument(
        "--ceiling",
        type=int,
        metavar="ROUNDS",
        help="instead: the machine's own 1 -> 2 worker ceiling (two independent clusters; --count files each)",
    )
    args = parser.parse_args()
    if args.ceiling:
        print(json.dumps(ceiling(args.count, args.ceiling), indent=2))
        return
    results: dict[str, Any] = {"load_before": os.getloadavg(), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as scratch:
        work = Path(scratch)
        counts = {"implicit-only": args.count, "full": args.full_count}
        for mode, count in counts.items():
            populate(work / f"in-{mode}", count)
        times: dict[str, dict[str, float]] = {mode: {} for mode in MODES}
        cpu: dict[str, dict[str, dict[str, float]]] = {mode: {} for mode in MODES}

        def label(mode: str, name: str, *extra: str, cluster: Cluster | None = None) -> None:
            out = work / f"out-{mode}-{name}"
            engine = [cpu_seconds(p.pid) for p in cluster.processes] if cluster else []
            times[mode][name], client = timed(
                [
                    sys.executable,
                    "-m",
                    "labeler",
                    "label",
                    str(work / f"in-{mode}"),
                    "--out",
                    str(out),
                    "--producer",
                    PRODUCER,
                    "--no-progress",
                    *MODES[mode],
                    *extra,
                ]
            )
            if cluster:  # processes[0] is the scheduler, the rest are workers (a local pool's are not measured)
                spent = [cpu_seconds(p.pid) - b for p, b in zip(cluster.processes, engine, strict=True)]
                cpu[mode][name] = {"client": round(client, 2), "scheduler": round(spent[0], 2), "workers": round(sum(spent[1:]), 2)}
            shutil.rmtree(out)
            print(f"{mode:<14} {name:<8} {times[mode][name]:8.1f} s  cpu {cpu[mode].get(name, '-')}", flush=True)

        for mode in MODES:
            label(mode, "local-1", "--jobs", "1")
            label(mode, "local-2", "--jobs", "2")
        for workers in (1, 2):
            cluster = Cluster(work, workers)
            try:
                for mode in MODES:
                    label(mode, f"dask-{workers}", "--engine", "dask", "--scheduler", cluster.address, cluster=cluster)
                if workers == 1:
                    results["dispatch_files_per_s"] = dispatch_rate(cluster.address, min(args.count, 2000))
            finally:
                cluster.close()
    results["load_after"] = os.getloadavg()
    rows = []
    for mode, count in counts.items():
        t = times[mode]
        parallel = 2 * (t["dask-1"] - t["dask-2"])
        serial = t["dask-1"] - parallel
        row = {
            "mode": mode,
            "files": count,
            **{k: round(v, 1) for k, v in t.items()},
            "overhead_ms_1": round(1000 * (t["dask-1"] - t["local-1"]) / count, 2),
            "overhead_ms_2": round(1000 * (t["dask-2"] - t["local-2"]) / count, 2),
            "scaling": round(t["dask-1"] / t["dask-2"] / 2, 2),
            "extrapolated_files_per_s": {
                n: round(min(count / max(serial + parallel / n, 1e-9), results["dispatch_files_per_s"]), 1) for n in (4, 16, 64)
            },
        }
        row["cpu_seconds"] = cpu[mode]
        rows.append(row)
    results["rows"] = rows
    print(json.dumps(results, indent=2))
    if args.markdown:
        lines = [
            "| mode | files | local -j1 s | local -j2 s | dask 1 worker s | dask 2 workers s | overhead ms/file (1 / 2) | scaling 1→2 | est. files/s at 4 / 16 / 64 workers |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            est = r["extrapolated_files_per_s"]
            lines.append(
                f"| {r['mode']} | {r['files']:,} | {r['local-1']} | {r['local-2']} | {r['dask-1']} | {r['dask-2']} | "
                f"{r['overhead_ms_1']} / {r['overhead_ms_2']} | {r['scaling']} | {est[4]} / {est[16]} / {est[64]} |"
            )
        lines += ["", "| mode | run | wall s | CPU s: client / scheduler / workers | CPU ÷ wall |", "|---|---|---:|---:|---:|"]
        for r in rows:
            for name, c in r["cpu_seconds"].items():
                total = c["client"] + c["scheduler"] + c["workers"]
                lines.append(
                    f"| {r['mode']} | {name} | {r[name]} | {c['client']} / {c['scheduler']} / {c['workers']} | {total / r[name]:.2f} |"
                )
        lines.append(
            f"\nDispatch rate with no-op files: {results['dispatch_files_per_s']:.0f} files/s. "
            f"Load average before {results['load_before'][0]:.1f}, after {results['load_after'][0]:.1f}."
        )
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
