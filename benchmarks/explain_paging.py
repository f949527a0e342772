"""What a long history costs the pages that read it, before and after migration 0008.

Not a test: run it by hand on an empty PostgreSQL database, and copy the figures into your
note (issue 16, point 7):

    createdb -h 127.0.0.1 -U postgres carnet_explain
    .venv/bin/python benchmarks/explain_paging.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/carnet_explain
    dropdb -h 127.0.0.1 -U postgres carnet_explain

It migrates the database to 0007, fills it in a few seconds with SQL (``--audit`` lines on
one carnet, ``--reports`` reports over ``--patients`` carnets, all acknowledged but the
newest few of each), and shows ``EXPLAIN (ANALYZE, BUFFERS)`` of the queries the pages make:
"Who saw my carnet", a carnet's reports and a professional's inbox, with the count of
"My patients" — as the code before paged them (a count, then OFFSET) and as it pages them
now (from a key). Then it upgrades to head, timing the index builds, and shows them again.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNACKNOWLEDGED = 3  # the newest reports of each carnet that no one has seen yet
DEEP = 0.9  # a deep page: this far into the history
REPEAT = 5  # each EXPLAIN ANALYZE, the fastest kept (a warm cache, less noise)


def _fill(connection, sa, patients: int, reports: int, audit: int, own: int) -> None:
    """Accounts and carnets, one questionnaire, the audit lines and the reports (``own`` more
    in the first carnet, the one whose pages are measured), in SQL."""
    run = lambda sql, **params: connection.execute(sa.text(sql), params)  # noqa: E731
    run("""INSERT INTO account (email, first_name, last_name, title, role, user_handle,
                                session_generation, is_active, created_at)
           SELECT 'patient.' || n || '@example.net', 'Patient', 'N° ' || n, '', 'patient',
                  'patient-' || n, 0, true, now()
           FROM generate_series(1, :patients) n""", patients=patients)
    run("""INSERT INTO account (email, first_name, last_name, title, role, user_handle,
                                session_generation, is_active, created_at)
           VALUES ('gp@example.net', 'Paul', 'Lefèvre', 'Dr', 'professional', 'gp', 0, true,
                   now())""")
    run("""INSERT INTO patient (account_id, town, address, phone, conditions, created_at)
           SELECT id, '', '', '', '["heart_failure"]', now() FROM account
           WHERE role = 'patient' ORDER BY id""")
    run("""INSERT INTO questionnaire (code, condition, language, version, status, title,
                                      definition, outdated, created_at)
           VALUES ('heart_failure', 'heart_failure', 'fr', 1, 'published', 'Insuffisance',
                   '{"items": [], "rules": []}', false, now())""")
    started = time.perf_counter()
    run("""INSERT INTO audit_event (patient_id, actor_account_id, actor_role, section, action,
                                    allowed, object_type, created_at)
           SELECT (SELECT min(id) FROM patient), (SELECT id FROM account WHERE email =
                   'gp@example.net'), 'professional', (ARRAY['plan', 'notes', 'symptoms'])[n % 3
                   + 1], 'read', true, '', now() - n * interval '37 seconds'
           FROM generate_series(1, :audit) n""", audit=audit)
    run("""INSERT INTO symptom_report (patient_id, questionnaire_id, client_id, content_hash,
                                       answers, note, urgent, fired_rules,
                                       reported_by_account_id, reported_at, created_at,
                                       acknowledged_by_id, acknowledged_at)
           SELECT p.id, (SELECT min(id) FROM questionnaire), lpad(n::text, 36, '0'),
                  md5(n::text) || md5(n::text), '{"weight": 72}', '', n % 7 = 0, '[]',
                  p.account_id, now() - (n / :patients) * interval '3 hours', now(),
                  CASE WHEN n / :patients >= :waiting THEN gp.id END,
                  CASE WHEN n / :patients >= :waiting THEN now() END
           FROM generate_series(0, :reports - 1) n
           JOIN patient p ON p.id = (SELECT min(id) FROM patient) + n % :patients
           CROSS JOIN (SELECT id FROM account WHERE email = 'gp@example.net') gp""",
        patients=patients, reports=reports, waiting=UNACKNOWLEDGED)
    # Years of a diary kept several times a day, all seen by the team.
    run("""INSERT INTO symptom_report (patient_id, questionnaire_id, client_id, content_hash,
                                       answers, note, urgent, fired_rules,
                                       reported_by_account_id, reported_at, created_at,
                                       acknowledged_by_id, acknowledged_at)
           SELECT p.id, (SELECT min(id) FROM questionnaire), 'own-' || lpad(n::text, 32, '0'),
                  md5(n::text) || md5(n::text), '{"weight": 72}', '', n % 7 = 0, '[]',
                  p.account_id, now() - interval '90 days' - n * interval '2 hours', now(),
                  gp.id, now()
           FROM generate_series(1, :own) n
           CROSS JOIN (SELECT id, account_id FROM patient ORDER BY id LIMIT 1) p
           CROSS JOIN (SELECT id FROM account WHERE email = 'gp@example.net') gp""", own=own)
    print(f"filled in {time.perf_counter() - started:.1f} s: {audit} audit lines on one carnet, "
          f"{reports} reports over {patients} carnets and {own} more in that one")


def _explain(engine, title: str, run) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the first statement ``run`` sends, the fastest of
    ``REPEAT`` runs: its plan's nodes, the buffers of its top node, its execution time."""
    import sqlalchemy as sa
    from sqlmodel import Session

    sent: list[tuple[str, object]] = []

    def listener(connection, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with Session(engine) as db:
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            run(db)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        db.rollback()
    statement, parameters = sent[0]
    raw = engine.raw_connection()
    plans = []
    try:
        cursor = raw.cursor()
        for _ in range(REPEAT):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plans.append([row[0] for row in cursor.fetchall()])
    finally:
        raw.close()
    plan = min(plans, key=lambda lines: float(lines[-1].split(":")[1].split()[0]))
    print(f"\n### {title}")
    for n, line in enumerate(plan):
        if n == 0 or "->" in line or "Execution Time" in line or (
                n == 1 and "Buffers" in line) or "Index Cond" in line or "Sort Method" in line:
            print("    " + (line if len(line) < 200 else line[:190] + " …"))


def _measure(engine, label: str, patient_ids: list[int], gp_account_id: int) -> None:
    import sqlalchemy as sa
    from sqlalchemy.orm import aliased
    from sqlmodel import col, select

    from app.carnet import queries as carnet_queries
    from app.consent import queries as consent_queries
    from app.models import Account, AuditEvent, Patient, SymptomReport
    from app.paging import Cursor
    from app.symptoms import reports

    print(f"\n## {label}")
    jeanne = Patient(id=patient_ids[0], account_id=0)
    with engine.connect() as connection:
        lines = connection.execute(sa.select(sa.func.count()).select_from(AuditEvent.__table__)
                                   .where(AuditEvent.patient_id == jeanne.id)).scalar_one()
        deep_line = connection.execute(
            sa.select(AuditEvent.created_at, AuditEvent.id).where(
                AuditEvent.patient_id == jeanne.id)
            .order_by(sa.desc(AuditEvent.created_at), sa.desc(AuditEvent.id))
            .offset(int(lines * DEEP)).limit(1)).one()
        own_reports = connection.execute(
            sa.select(sa.func.count()).select_from(SymptomReport.__table__)
            .where(SymptomReport.patient_id == jeanne.id)).scalar_one()
        deep_report = connection.execute(
            sa.select(SymptomReport.reported_at, SymptomReport.id).where(
                SymptomReport.patient_id == jeanne.id)
            .order_by(sa.desc(SymptomReport.reported_at), sa.desc(SymptomReport.id))
            .offset(int(own_reports * DEEP)).limit(1)).one()

    # As the code before 0008 paged "Who saw my carnet": a count, then OFFSET.
    who_saw = select(AuditEvent, Account).outerjoin(
        Account, Account.id == AuditEvent.actor_account_id).where(
        AuditEvent.patient_id == jeanne.id).order_by(
        col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
    _explain(engine, "Who saw my carnet: the count of pages (before)", lambda db: db.exec(
        select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.patient_id == jeanne.id)).one())
    _explain(engine, f"Who saw my carnet: page {int(lines * DEEP) // 30 + 1} by OFFSET (before)",
             lambda db: db.exec(who_saw.offset(int(lines * DEEP)).limit(30)).all())
    _explain(engine, "Who saw my carnet: first page (now)",
             lambda db: consent_queries.who_saw(db, jeanne, None))
    _explain(engine, f"Who saw my carnet: the page after line {int(lines * DEEP)} (now)",
             lambda db: consent_queries.who_saw(db, jeanne, Cursor(tuple(deep_line))))

    author, acknowledger = aliased(Account), aliased(Account)
    _explain(engine, f"Reports of one carnet: page {int(own_reports * DEEP) // 20 + 1} by OFFSET "
             "(before)", lambda db: db.exec(
                 select(SymptomReport, author, acknowledger)
                 .join(author, author.id == SymptomReport.reported_by_account_id)
                 .outerjoin(acknowledger, acknowledger.id == SymptomReport.acknowledged_by_id)
                 .where(SymptomReport.patient_id == jeanne.id)
                 .order_by(col(SymptomReport.reported_at).desc(), col(SymptomReport.id).desc())
                 .offset(int(own_reports * DEEP)).limit(20)).all())
    _explain(engine, "Reports of one carnet: first page (now)",
             lambda db: reports.page_of_reports(db, jeanne.id, None, "fr"))
    _explain(engine, f"Reports of one carnet: the page after report {int(own_reports * DEEP)} "
             "(now)", lambda db: reports.page_of_reports(db, jeanne.id, Cursor(tuple(deep_report)),
                                                       "fr"))

    _explain(engine, f"Inbox of a GP with {len(patient_ids)} patients: the count of pages "
             "(before)", lambda db: db.exec(
                 select(sa.func.count()).select_from(SymptomReport).where(
                     col(SymptomReport.patient_id).in_(patient_ids),
                     col(SymptomReport.acknowledged_at).is_(None))).one())
    _explain(engine, f"Inbox of a GP with {len(patient_ids)} patients: first page",
             lambda db: reports.inbox_page(db, patient_ids, None, "fr"))
    _explain(engine, f"My patients: reports to read in {len(patient_ids)} carnets",
             lambda db: carnet_queries.news_for(db, gp_account_id,
                                                {pid: {"symptoms"} for pid in patient_ids}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--audit", type=int, default=100_000)
    parser.add_argument("--own-reports", type=int, default=20_000,
                        help="more reports in the measured carnet")
    args = parser.parse_args()
    os.environ.setdefault("CARNET_INSTANCE", tempfile.mkdtemp(prefix="carnet-bench-"))

    import sqlalchemy as sa

    from app.config import sqlalchemy_url
    from app.db import upgrade

    url = sqlalchemy_url(args.database_url)
    upgrade(url, "0007")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        _fill(connection, sa, args.patients, args.reports, args.audit, args.own_reports)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
        patient_ids = connection.execute(sa.text("SELECT id FROM patient ORDER BY id")
                                         ).scalars().all()
        gp = connection.execute(sa.text("SELECT id FROM account WHERE email = 'gp@example.net'")
                                ).scalar_one()
        print(connection.execute(sa.text("SELECT version()")).scalar_one())

    _measure(engine, "At 0007 (before)", patient_ids, gp)
    started = time.perf_counter()
    upgrade(url)
    print(f"\nupgrade 0007 → head (the three indexes): {time.perf_counter() - started:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    _measure(engine, "At head (after)", patient_ids, gp)
    engine.dispose()


if __name__ == "__main__":
    main()
