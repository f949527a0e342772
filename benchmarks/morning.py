"""A territory's morning, for locust: patients open their carnet and send their report,
professionals go through their patients, their inbox and a patient's trends.

Run by ``benchmarks/load.py``, which starts the cluster, picks the people (a JSON file named
by ``CARNET_LOAD_PEOPLE``) and reads the figures; not meant to be run alone. Everyone signs
in through the demo's sign-in (the cluster runs in demo mode), once, as a phone keeps its
session. Each answer's CPU time comes from its ``Server-Timing`` header (app/timing.py) and
is written, per page, to the JSON file named by ``CARNET_LOAD_CPU`` when locust stops.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from collections import defaultdict

from locust import FastHttpUser, between, events, task

PEOPLE = json.loads(open(os.environ["CARNET_LOAD_PEOPLE"]).read())  # noqa: SIM115
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
TIMING = re.compile(r"cpu;dur=([0-9.]+), app;dur=([0-9.]+)")
cpu_ms: dict[str, list[float]] = defaultdict(list)
app_ms: dict[str, list[float]] = defaultdict(list)


@events.request.add_listener
def _count_cpu(request_type, name, response, exception, **_) -> None:
    if exception is None and response is not None:
        found = TIMING.search(response.headers.get("Server-Timing") or "")
        if found:
            cpu_ms[f"{request_type} {name}"].append(float(found.group(1)))
            app_ms[f"{request_type} {name}"].append(float(found.group(2)))


@events.spawning_complete.add_listener
def _forget_warm_up(**_) -> None:
    """Every user is in: start counting afresh, as locust does with --reset-stats (each
    gunicorn worker has compiled its templates and filled its caches by now)."""
    cpu_ms.clear()
    app_ms.clear()


@events.quitting.add_listener
def _write_cpu(environment, **_) -> None:
    with open(os.environ["CARNET_LOAD_CPU"], "w") as out:
        json.dump({"cpu": cpu_ms, "app": app_ms}, out)


class Person(FastHttpUser):
    """Someone with a phone: signs in once, then comes and goes."""

    abstract = True
    insecure = True  # the cluster's self-signed certificate
    wait_time = between(1, 4)

    def sign_in(self, account_id: int) -> None:
        page = self.client.get("/demo/", name="sign in")
        token = CSRF.search(page.text).group(1)
        self.post("/demo/sign-in", {"account_id": account_id, "csrf_token": token},
                  name="sign in", allow_redirects=False)

    def post(self, path: str, data: dict, **kwargs):
        """A form sent as a browser does: with the page it came from as Referer (CSRF's
        same-origin check over https)."""
        return self.client.post(path, data=data, headers={"Referer": self.host + path},
                                **kwargs)

    def page(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True) as answer:
            # A carnet the policy does not show this professional is a 404: an answer too.
            if answer.status_code in (200, 404):
                answer.success()
            return answer


class Patient(Person):
    """A patient of the territory: home, plan, appointments, and a report now and then."""

    weight = 8

    def on_start(self) -> None:
        self.me = random.choice(PEOPLE["patients"])
        self.sign_in(self.me["account"])
        self.carnet = f"/carnet/{self.me['carnet']}"

    @task(5)
    def home(self) -> None:
        self.page("/", "home")

    @task(2)
    def plan(self) -> None:
        self.page(f"{self.carnet}/plan", "plan")

    @task(2)
    def appointments(self) -> None:
        self.page(f"{self.carnet}/appointments", "appointments")

    @task(1)
    def report(self) -> None:
        form = f"{self.carnet}/symptoms/new?questionnaire={self.me['questionnaire']}"
        page = self.page(form, "report form")
        token = CSRF.search(page.text).group(1)
        fields = {f"answer-{key}": value for key, value in self.me["answers"].items()}
        fields.update(questionnaire_id=self.me["questionnaire"], client_id=str(uuid.uuid4()),
                      note="", csrf_token=token)
        sent = self.post(f"{self.carnet}/symptoms/new", fields, name="send report",
                         allow_redirects=False)
        if sent.status_code == 303:
            self.page(sent.headers["Location"], "report sent")


class Jeanne(Person):
    """Jeanne Martin, the demo's patient, whose carnet is the most watched of the territory;
    her home against the bare route (the cost of a page above the minimum)."""

    weight = 0
    fixed_count = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.sign_in(PEOPLE["jeanne"])

    @task
    def home(self) -> None:
        self.page("/", "home (Jeanne)")

    @task
    def hello(self) -> None:
        self.page("/demo/hello", "hello (bare route)")


class Professional(Person):
    """A nurse, a pharmacist or a GP of the territory, at the start of the day."""

    weight = 2
    who = ""

    def on_start(self) -> None:
        self.me = self.chosen()
        self.sign_in(self.me["account"])

    def chosen(self) -> dict:
        return random.choice(PEOPLE["professionals"])

    def carnet(self) -> str:
        return f"/carnet/{random.choice(self.me['patients'])}"

    @task(3)
    def patients(self) -> None:
        self.page("/patients", "patients" + self.who)

    @task(3)
    def inbox(self) -> None:
        self.page("/inbox", "inbox" + self.who)

    @task(2)
    def patient_home(self) -> None:
        self.page(f"{self.carnet()}/", "a patient's carnet" + self.who)

    @task(2)
    def trends(self) -> None:
        self.page(f"{self.carnet()}/symptoms/trends", "a patient's trends" + self.who)


class DrLefevre(Professional):
    """The busiest GP: 300 patients."""

    weight = 0
    fixed_count = 1
    who = " (Dr Lefèvre)"

    def chosen(self) -> dict:
        return PEOPLE["lefevre"]
