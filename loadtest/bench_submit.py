"""Benchmark the submit path against a trivial endpoint on the same server, in one run.

Starts ``miaopi serve`` on a fresh SQLite file and prints:
- requests/s under wrk (2 threads, 32 connections) of the trivial endpoint (a 2-field pydantic
  body returning a dict) and of the happy-path ``POST /v1/applications`` — alternated, median of
  the runs — and their ratio;
- p50/p99 latency of both at about 100 requests/s, evenly spaced (one connection, wrk's delay());
- the engine alone: evaluations/s of the shipped ruleset.

Targets on a 2-core machine: ratio >= 0.10, p99 <= 10 ms at 100 requests/s, engine >= 5,000/s.

Usage: python loadtest/bench_submit.py [--seconds 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approval.engine.ruleset import Ruleset  # noqa: E402
from tests.fixtures import application_for  # noqa: E402

# Each submission needs its own Idempotency-Key, as a terminal sends it.
UNIQUE_KEYS = """
counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
end
function request()
  n = n + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", os.time(), tid, n)
  return wrk.format("POST", nil, nil, nil)
end
"""
# One connection, 8 ms between a response and the next request: about 100 requests/s for a
# 2 ms request, evenly spaced. (Several paced connections would start in step and arrive in
# bursts, which measures queueing, not the request.)
PACED = "\nfunction delay()\n  return 8\nend\n"


class Target:
    def __init__(self, work: Path, name: str, url: str, body: object, headers: dict[str, str]):
        self.url = url
        self.lua = work / f"{name}.lua"
        setup = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
        payload = json.dumps(body, ensure_ascii=False)
        self.script = f'wrk.method = "POST"\nwrk.body = [==[{payload}]==]\n{setup}'
        if "Authorization" in headers:
            self.script += UNIQUE_KEYS

    def wrk(self, seconds: int, paced: bool = False) -> str:
        self.lua.write_text(self.script + (PACED if paced else ""), encoding="utf-8")
        load = ["-t1", "-c1"] if paced else ["-t2", "-c32"]
        command = ["wrk", *load, f"-d{seconds}s", "--latency"]
        run = subprocess.run(
            [*command, "-s", str(self.lua), self.url], capture_output=True, text=True
        )
        if run.returncode or "Non-2xx" in run.stdout:
            raise SystemExit(f"wrk failed on {self.url}:\n{run.stdout}{run.stderr}")
        return run.stdout


def _rate(output: str) -> float:
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


def _percentile_ms(output: str, label: str) -> float:
    match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _engine_rate(seconds: float = 3.0) -> float:
    ruleset = Ruleset.load(ROOT / "rules")
    baseline = yaml.safe_load((ROOT / "rules" / "tests" / "baseline.yaml").read_text())
    facts = baseline["baseline"]
    variants = [
        {**facts, "operator.age": age, "scope.post_permit_count": age % 2} for age in range(10, 70)
    ]
    warm_until = time.perf_counter() + 1.0  # the CPU ramps up under load; measure warm
    while time.perf_counter() < warm_until:
        ruleset.fired(variants[0])
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for variant in variants:
            ruleset.fired(variant)
        count += len(variants)
    rate = count / (time.perf_counter() - started)
    ruleset.close()
    return rate


def _wait_until_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if server.poll() is not None:
            break
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the service did not start:\n{log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian package wrk)")

    work = Path(tempfile.mkdtemp(prefix="miaopi-bench-"))
    port = _free_port()
    env = {
        **os.environ,
        "APPROVAL_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "APPROVAL_SIGNING_KEY_PATH": str(work / "key.pem"),
        "APPROVAL_FIXED_TODAY": "2026-11-26",
        "APPROVAL_PORT": str(port),
        "PYTHONFAULTHANDLER": "1",
        # the submit path alone: supervision dispatch, re-verification and filing run as
        # processes of their own in production (miaopi dispatch, miaopi worker)
        "APPROVAL_DISPATCH_INTERVAL_SECONDS": "0",
        "APPROVAL_VERIFICATION_WORKER": "false",
        "APPROVAL_FILING_INTERVAL_SECONDS": "0",
    }
    miaopi = str(Path(sys.executable).parent / "miaopi")
    create = [miaopi, "keys", "create", "--role", "terminal"]
    key = subprocess.run(create, env=env, capture_output=True, text=True, check=True).stdout.strip()
    log = work / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([miaopi, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    json_only = {"Content-Type": "application/json"}
    trivial = Target(work, "echo", f"{base}/v1/echo", {"number": 1, "text": "ping"}, json_only)
    application = application_for("clean_owner", name="泰州市姜堰区周记百货店")
    auth = {"Authorization": f"Bearer {key}", **json_only}
    hot = Target(work, "submit", f"{base}/v1/applications", application, auth)
    try:
        _wait_until_ready(base, server, log)
        trivial.wrk(2)  # warm-up
        hot.wrk(2)
        trivial_runs, hot_runs = [], []
        for _ in range(args.runs):
            trivial_runs.append(_rate(trivial.wrk(args.seconds)))
            hot_runs.append(_rate(hot.wrk(args.seconds)))
        paced_hot = hot.wrk(10, paced=True)
        paced_trivial = trivial.wrk(5, paced=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    engine = _engine_rate()
    trivial_rps, hot_rps = statistics.median(trivial_runs), statistics.median(hot_runs)

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    def paced(output: str) -> str:
        p50, p99 = _percentile_ms(output, "50"), _percentile_ms(output, "99")
        return f"{_rate(output):4.0f} req/s   p50 {p50:5.2f} ms   p99 {p99:5.2f} ms"

    print(
        f"Miaopi submit-path benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs"
    )
    print(
        f"baseline  POST /v1/echo          {trivial_rps:8.0f} req/s   (runs {runs(trivial_runs)})"
    )
    print(f"hot path  POST /v1/applications  {hot_rps:8.0f} req/s   (runs {runs(hot_runs)})")
    print(f"ratio     hot / baseline         {hot_rps / trivial_rps:8.3f}         (target >= 0.10)")
    print(f"paced     POST /v1/applications  {paced(paced_hot)}   (target p99 <= 10 ms)")
    print(f"paced     POST /v1/echo          {paced(paced_trivial)}   (baseline)")
    print(f"engine    shipped ruleset alone  {engine:8.0f} evaluations/s   (target >= 5,000)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
