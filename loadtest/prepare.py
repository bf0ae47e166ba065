"""Create the API keys the load scenarios use, with ``miaopi keys create``, into a JSON file.

Run it with the same environment as the service (``APPROVAL_DATABASE_URL`` …):

    python loadtest/prepare.py                      # writes var/loadtest-keys.json
    python loadtest/prepare.py --out keys.json --terminals 8 --mobiles 12

Keys: terminals; staff; mobile keys bound to applicants of the seeded world (clean ones and the
personas whose applications are rejected or reviewed); one supervisor key per department of
``rules/supervision/departments.yaml``. The locustfile reads the file (``MIAOPI_LOADTEST_KEYS``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from applicants import ADVERSE, clean_applicants, personas  # noqa: E402

DEFAULT_OUT = ROOT / "var" / "loadtest-keys.json"


def _miaopi() -> str:
    beside = Path(sys.executable).parent / "miaopi"
    return str(beside) if beside.exists() else "miaopi"


def create_key(role: str, *options: str) -> str:
    run = subprocess.run(
        [_miaopi(), "keys", "create", "--role", role, *options],
        capture_output=True,
        text=True,
    )
    if run.returncode:
        raise SystemExit(f"miaopi keys create --role {role} failed:\n{run.stderr}")
    return run.stdout.strip().splitlines()[-1]


def departments(rules_dir: Path) -> list[str]:
    """Every department, those pushed every licence first (supervisor users take keys in turn)."""
    data = yaml.safe_load((rules_dir / "supervision" / "departments.yaml").read_text())
    codes = [d["code"] for d in data["departments"]]
    return [*data["always"], *(c for c in codes if c not in data["always"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--terminals", type=int, default=6)
    parser.add_argument("--staff", type=int, default=2)
    parser.add_argument("--mobiles", type=int, default=10, help="clean applicants' phones")
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()

    # the first call brings the schema up to date alone; the rest may run side by side
    first = create_key("staff", "--label", "loadtest staff 1")
    jobs: list[tuple[str, str, tuple[str, ...]]] = []
    for n in range(args.terminals):
        jobs.append(("terminal", f"t{n}", ("--label", f"loadtest terminal {n + 1}")))
    for n in range(1, args.staff):
        jobs.append(("staff", f"s{n}", ("--label", f"loadtest staff {n + 1}")))
    mobile_people = [p["id_number"] for p in clean_applicants()[: args.mobiles]]
    mobile_people += [personas()[name]["id_number"] for name in ADVERSE]
    for id_number in mobile_people:
        jobs.append(("mobile", id_number, ("--subject", id_number, "--label", "loadtest phone")))
    for code in departments(args.rules_dir):
        jobs.append(("supervisor", code, ("--department", code, "--label", f"loadtest {code}")))
    with ThreadPoolExecutor(args.parallel) as pool:
        secrets = list(pool.map(lambda job: create_key(job[0], *job[2]), jobs))

    keys: dict[str, Any] = {"terminal": [], "staff": [first], "mobile": [], "supervisor": []}
    for (role, tag, _), secret in zip(jobs, secrets, strict=True):
        if role == "mobile":
            keys["mobile"].append({"key": secret, "id_number": tag})
        elif role == "supervisor":
            keys["supervisor"].append({"key": secret, "department": tag})
        else:
            keys[role].append(secret)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(keys, indent=2), encoding="utf-8")
    args.out.chmod(0o600)
    counts = ", ".join(f"{len(v)} {k}" for k, v in keys.items())
    print(f"wrote {args.out}: {counts}")


if __name__ == "__main__":
    main()
