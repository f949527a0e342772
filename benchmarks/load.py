"""The load benchmark: a territory's morning (``morning.py``, locust) against the cluster
(``cluster.py``: nginx, two gunicorn instances of 2 workers, two push workers, PostgreSQL,
Redis) over the big territory. Not a test: run it by hand, and copy the table into
README.md's "Performance":

    .venv/bin/pip install -e '.[bench]'      # locust (or: make bench)
    .venv/bin/python benchmarks/load.py [--territory 10000] [--users 60] [--seconds 120] [--keep]

``--keep`` keeps the territory's database (``carnet_cluster``) for the next run, which then
skips the minute it takes to make. Per page: requests, requests/s, p50/p95/p99 (ms, as
locust saw them through nginx and TLS) and the CPU time the app spent on it (ms, mean of the
answers' ``Server-Timing``); then the ratio of Jeanne's home to the bare route, both served
by the same server in the same run. Everything runs on this machine: locust's own CPU, nginx
and PostgreSQL share its cores with the app.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cluster import JEANNE, ROOT, VENV, Cluster

LEFEVRE = "paul.lefevre@example.org"
SAMPLE = 400  # generated patients (and 100 professionals) the users are drawn from


def people(cluster: Cluster) -> dict:
    """Who the users sign in as: generated patients (with the answers of their latest
    report, sent again as a calm morning), generated professionals and the patients of their
    care teams, Jeanne and Dr Lefèvre."""
    patients = cluster.query("""
        SELECT DISTINCT ON (r.patient_id) p.account_id, r.patient_id, r.questionnaire_id,
               r.answers
        FROM symptom_report r JOIN patient p ON p.id = r.patient_id
        JOIN account a ON a.id = p.account_id
        WHERE r.patient_id IN (SELECT p2.id FROM patient p2 JOIN account a2
                               ON a2.id = p2.account_id
                               WHERE a2.email LIKE '%%@example.net'
                               ORDER BY md5(p2.id::text) LIMIT :n)
          AND r.reported_by_account_id = p.account_id
        ORDER BY r.patient_id, r.reported_at DESC""", n=SAMPLE)
    professionals = cluster.query("""
        SELECT a.id, array_agg(m.patient_id ORDER BY m.patient_id)
        FROM professional pr JOIN account a ON a.id = pr.account_id
        JOIN care_team_member m ON m.professional_id = pr.id
        WHERE a.email LIKE '%%@example.net' OR a.email = :lefevre
        GROUP BY a.id, a.email ORDER BY a.email = :lefevre DESC, md5(a.id::text) LIMIT 101""",
                                  lefevre=LEFEVRE)
    if not patients or len(professionals) < 2:
        raise SystemExit("No big territory here: run with --territory N.")

    lefevre, *others = [{"account": account, "patients": ids} for account, ids in professionals]
    return {
        "patients": [{"account": account, "carnet": carnet, "questionnaire": questionnaire,
                      "answers": {k: form_value(v) for k, v in answers.items()}}
                     for account, carnet, questionnaire, answers in patients],
        "professionals": others,
        "lefevre": lefevre,
        "jeanne": cluster.account_id(JEANNE),
    }


def form_value(value) -> str:
    """A stored answer as its form sends it."""
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def run_locust(cluster: Cluster, users: int, seconds: int, folder: Path) -> tuple[list, dict]:
    """locust's rows, and the Server-Timing figures per page (``{"cpu"|"app": {page: [ms]}}``)."""
    (folder / "people.json").write_text(json.dumps(people(cluster)))
    env = {**os.environ, "CARNET_LOAD_PEOPLE": str(folder / "people.json"),
           "CARNET_LOAD_CPU": str(folder / "cpu.json")}
    subprocess.run(
        [str(VENV / "locust"), "-f", str(ROOT / "benchmarks" / "morning.py"), "--headless",
         "--users", str(users), "--spawn-rate", str(max(1, users // 10)),
         "--run-time", f"{seconds}s", "--host", cluster.origin, "--csv", str(folder / "stats"),
         "--reset-stats", "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    with (folder / "stats_stats.csv").open() as stats:
        rows = list(csv.DictReader(stats))
    return rows, json.loads((folder / "cpu.json").read_text())


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def table(rows: list[dict], timing: dict[str, dict[str, list[float]]]) -> list[str]:
    """One line per page: locust's figures (what the phone waited, through nginx), then
    the app's own from Server-Timing (its CPU, and its wall time: CPU and PostgreSQL)."""
    lines = ["| page | requests | failures | req/s | p50 ms | p95 ms | p99 ms | app p99 ms "
             "| CPU ms |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"], r["Type"])):
        name = row["Name"]
        spent, inside = ([x for values in timing[kind].values() for x in values]
                         if name == "Aggregated" else timing[kind].get(f"{row['Type']} {name}")
                         for kind in ("cpu", "app"))
        shown = f"{name} ({row['Type']})" if name == "sign in" else name
        lines.append(
            f"| {shown} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
            f"{_p99(inside):.0f} | {statistics.mean(spent):.2f} |" if spent else "| – |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--territory", type=int, default=10_000, metavar="N")
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--keep", action="store_true",
                        help="keep the territory's database for the next run (and reuse it)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="carnet-load-"))
    with Cluster(territory=args.territory, keep=args.keep) as cluster:
        for line in cluster.check_instances_share():
            print("ok:", line)
        rows, timing = run_locust(cluster, args.users, args.seconds, folder)
    print(f"\n{args.users} users for {args.seconds} s, territory of {args.territory} patients, "
          f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
          f"Python {platform.python_version()}\n")
    print("\n".join(table(rows, timing)))
    cpu = timing["cpu"]
    home, hello = cpu.get("GET home (Jeanne)"), cpu.get("GET hello (bare route)")
    if home and hello:
        ratio = statistics.mean(hello) / statistics.mean(home)
        print(f"\nJeanne's home {statistics.mean(home):.2f} ms of CPU, the bare route "
              f"{statistics.mean(hello):.2f} ms: 1 : {1 / ratio:.1f}")
    worst = max((float(r["99%"]), r["Name"]) for r in rows
                if r["Name"] not in ("Aggregated", "sign in"))
    print(f"worst p99: {worst[0]:.0f} ms ({worst[1]})")


if __name__ == "__main__":
    sys.exit(main())
