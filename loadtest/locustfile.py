"""Locust scenarios: the real clients of Miaopi at a hall's opening hour.

- terminals (self-service kiosks): submit with an Idempotency-Key (now and then a retry of the
  same request, as after a lost answer), show the application again, print the licence PDF;
- the mobile app: the applicant submits for themself, reads their application, their
  data-access log, and rates a completed application once;
- staff: the manual-review queue and a case, the explanation of a decision, now and then a
  simulation of the running ruleset over today's applications (heavy; weight very low);
- supervisors: pull their department's pushed copies and acknowledge them (签收);
- the public: verify a licence by its QR code (JSON or the browser page).

About one submission in twelve comes from a persona whose application is rejected or sent to
manual review (``applicants.ADVERSE``). Keys: ``python loadtest/prepare.py`` (see there), read
from the file ``MIAOPI_LOADTEST_KEYS`` (default var/loadtest-keys.json) or from the JSON itself
in ``MIAOPI_LOADTEST_KEYS_JSON``. The service runs with ``APPROVAL_FIXED_TODAY=2026-11-26``
(the seeded world's reference date). README, "Benchmarks", has the headless command.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import uuid
from collections import Counter, deque
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from applicants import (
    ADVERSE,
    application,
    clean_applicants,
    persona_application,
    personas,
)

ADVERSE_SHARE = 1 / 12
RETRY_SHARE = 0.05  # submissions repeated with the same Idempotency-Key
PDF_SHARE = 0.3  # applicants who print the licence at the terminal
JSON_HEADERS = {"Content-Type": "application/json"}


def _load_keys() -> dict[str, Any]:
    inline = os.environ.get("MIAOPI_LOADTEST_KEYS_JSON")
    if inline:
        return dict(json.loads(inline))
    root = Path(__file__).resolve().parent.parent
    path = Path(os.environ.get("MIAOPI_LOADTEST_KEYS", root / "var" / "loadtest-keys.json"))
    if not path.exists():
        raise SystemExit(f"no keys: run `python loadtest/prepare.py` first ({path} is missing)")
    return dict(json.loads(path.read_text(encoding="utf-8")))


KEYS = _load_keys()
_next = {role: itertools.count() for role in KEYS}


def _key(role: str) -> Any:
    pool = KEYS[role]
    return pool[next(_next[role]) % len(pool)]


# what the clients have seen, shared by the simulated users of this locust process
ISSUED: deque[str] = deque(maxlen=5000)  # credit codes (printed on licences, scanned by anyone)
APPLICATIONS: deque[str] = deque(maxlen=5000)  # application ids (staff may read any)
DECISIONS: Counter[str] = Counter()

_people = {p["id_number"]: p for p in clean_applicants()}
_people.update({p["id_number"]: p for name, p in personas().items() if "id_number" in p})


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Applicant(FastHttpUser):
    abstract = True
    key: str

    def _submit(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Submit; with RETRY_SHARE, repeat it with the same key and expect the same answer."""
        headers = {**_auth(self.key), **JSON_HEADERS, "Idempotency-Key": uuid.uuid4().hex}
        payload = json.dumps(body, ensure_ascii=False).encode()
        with self.client.post(
            "/v1/applications",
            data=payload,
            headers=headers,
            name="POST /v1/applications",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"submit: {response.status_code} {response.text[:200]}")
                return None
            answer: dict[str, Any] = response.json()
        if random.random() < RETRY_SHARE:
            with self.client.post(
                "/v1/applications",
                data=payload,
                headers=headers,
                name="POST /v1/applications (retry, same key)",
                catch_response=True,
            ) as response:
                if response.status_code != 201 or response.json().get("id") != answer["id"]:
                    response.failure(f"retry answered {response.status_code}, another application")
        DECISIONS[answer.get("decision") or answer["status"]] += 1
        APPLICATIONS.append(answer["id"])
        if answer.get("licence"):
            ISSUED.append(answer["licence"]["credit_code"])
        return answer

    def _read(self, application_id: str) -> dict[str, Any] | None:
        with self.client.get(
            f"/v1/applications/{application_id}",
            headers=_auth(self.key),
            name="GET /v1/applications/{id}",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"read: {response.status_code}")
                return None
            body: dict[str, Any] = response.json()
            return body


class Terminal(Applicant):
    """A self-service kiosk in a hall: one applicant after another."""

    weight = 5
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.key = _key("terminal")
        self.rng = random.Random()
        self.mine: deque[tuple[str, str | None]] = deque(maxlen=50)  # (id, credit code)

    @task(5)
    def serve_applicant(self) -> None:
        if self.rng.random() < ADVERSE_SHARE:
            body = persona_application(self.rng.choice(ADVERSE), self.rng)
        else:
            body = application(self.rng.choice(clean_applicants()), self.rng)
        answer = self._submit(body)
        if answer is None:
            return
        code = answer["licence"]["credit_code"] if answer.get("licence") else None
        self.mine.append((answer["id"], code))
        if code and self.rng.random() < PDF_SHARE:
            self.client.get(
                f"/v1/licences/{code}/pdf",
                headers=_auth(self.key),
                name="GET /v1/licences/{code}/pdf",
            )

    @task(3)
    def poll(self) -> None:
        """The screen shows an application again (a pending one until it is decided)."""
        if self.mine:
            self._read(self.rng.choice(self.mine)[0])


class MobileApp(Applicant):
    """The applicant's phone: their own applications only."""

    weight = 4
    wait_time = between(2, 6)

    def on_start(self) -> None:
        bound = _key("mobile")
        self.key = bound["key"]
        self.person = _people[bound["id_number"]]
        self.rng = random.Random()
        self.mine: list[str] = []
        self.to_rate: list[str] = []

    @task(2)
    def submit(self) -> None:
        answer = self._submit(application(self.person, self.rng))
        if answer is None:
            return
        self.mine.append(answer["id"])
        if answer["status"] in ("issued", "decided") and answer.get("decision") != "manual_review":
            self.to_rate.append(answer["id"])

    @task(3)
    def read_own(self) -> None:
        if self.mine:
            self._read(self.rng.choice(self.mine))

    @task(2)
    def list_own(self) -> None:
        self.client.get(
            "/v1/applications?limit=20", headers=_auth(self.key), name="GET /v1/applications"
        )

    @task(2)
    def data_access(self) -> None:
        self.client.get(
            "/v1/me/data-access?limit=50", headers=_auth(self.key), name="GET /v1/me/data-access"
        )

    @task(1)
    def rate(self) -> None:
        if not self.to_rate:
            return
        application_id = self.to_rate.pop()
        self.client.post(
            f"/v1/applications/{application_id}/rating",
            json={"rating": self.rng.choice((5, 5, 5, 4, 4, 3)), "comment": None},
            headers=_auth(self.key),
            name="POST /v1/applications/{id}/rating",
        )


class Staff(FastHttpUser):
    """Registry staff at a desk: the review queue, a case, why an application was decided."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.key = _key("staff")
        self.rng = random.Random()
        self.cases: list[str] = []

    @task(4)
    def queue(self) -> None:
        with self.client.get(
            "/v1/review/cases",
            headers=_auth(self.key),
            name="GET /v1/review/cases",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.cases = [c["application_id"] for c in response.json()["items"][:50]]

    @task(2)
    def case(self) -> None:
        if self.cases:
            self.client.get(
                f"/v1/review/cases/{self.rng.choice(self.cases)}",
                headers=_auth(self.key),
                name="GET /v1/review/cases/{id}",
            )

    @task(3)
    def explain(self) -> None:
        if APPLICATIONS:
            self.client.get(
                f"/v1/applications/{self.rng.choice(APPLICATIONS)}/explanation",
                headers=_auth(self.key),
                name="GET /v1/applications/{id}/explanation",
            )


class RuleAnalyst(FastHttpUser):
    """Now and then, a simulation of the running ruleset over today's applications.

    Its cost grows with the applications stored, so it is rare (one user, long waits).
    """

    weight = 1
    fixed_count = 1
    wait_time = between(20, 40)

    def on_start(self) -> None:
        self.key = _key("staff")
        response = self.client.get("/v1/rulesets", headers=_auth(self.key), name="GET /v1/rulesets")
        self.version = response.json()["running"] if response.status_code == 200 else None

    @task
    def simulate(self) -> None:
        if self.version:
            self.client.post(
                "/v1/rulesets/simulations",
                json={"version": self.version, "flip_limit": 20},
                headers=_auth(self.key),
                name="POST /v1/rulesets/simulations",
            )


class Supervisor(FastHttpUser):
    """A supervising department pulls its new copies and acknowledges each (签收)."""

    weight = 1
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.key = _key("supervisor")["key"]

    @task
    def pull_and_acknowledge(self) -> None:
        response = self.client.get(
            "/v1/supervision/copies?status=pending&limit=20",
            headers=_auth(self.key),
            name="GET /v1/supervision/copies",
        )
        if response.status_code != 200:
            return
        for copy in response.json()["items"]:
            self.client.post(
                f"/v1/supervision/copies/{copy['id']}/ack",
                headers=_auth(self.key),
                name="POST /v1/supervision/copies/{id}/ack",
            )


class Public(FastHttpUser):
    """Someone scans a licence's QR code: a phone browser, or an app asking for JSON."""

    weight = 3
    wait_time = between(1, 4)

    @task
    def verify(self) -> None:
        if not ISSUED:
            return
        code = random.choice(ISSUED)
        browser = random.random() < 0.5
        self.client.get(
            f"/v1/verify/{code}",
            headers={"Accept": "text/html" if browser else "application/json"},
            name="GET /v1/verify/{code} (page)" if browser else "GET /v1/verify/{code}",
        )


@events.quitting.add_listener
def _print_decisions(environment: Any, **_: Any) -> None:
    total = sum(DECISIONS.values())
    if total:
        shares = ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in DECISIONS.most_common())
        print(f"decisions of {total} new applications: {shares}")
