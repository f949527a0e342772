"""How long a few pages take, and how many SQL statements they run, for one person of the
demo over a database of any size: for "My day" and the like, whose cost must not grow with
the territory.

Not a test: run it by hand over the big territory (README, "Performance"):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/carnet_big \\
        .venv/bin/python benchmarks/page_times.py --as lefevre /day /day/week /inbox

Each page is asked ``--times`` times (20) after two warm-up requests, one at a time, in this
process (Flask's test client: no network, no gunicorn); it prints the median and the
slowest wall time, and the SQL statements of one request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--as", dest="person", default="lefevre",
                        help="a demo persona: lefevre, amina, dubois…")
    parser.add_argument("--times", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("CARNET_INSTANCE", tempfile.mkdtemp(prefix="carnet-times-"))
    url = os.environ["DATABASE_URL"]  # read before the tests' helpers, which clear it

    import re

    import sqlalchemy as sa
    from sqlmodel import Session

    from app import create_app
    from tests.conftest import persona

    app = create_app({"DATABASE_URL": url, "CARNET_DEMO": True,
                      "PUSH_WORKER_THREAD": False})
    engine = app.extensions["carnet.engine"]
    with Session(engine) as db:
        account_id = persona(db, args.person).id
        patients = db.exec(sa.text("SELECT count(*) FROM patient")).one()[0]
    client = app.test_client()
    page = client.get("/demo/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/demo/sign-in", data={"account_id": account_id, "csrf_token": token})

    statements = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda *_args, **_kwargs: statements.append(1))
    print(f"{patients} patients in the database; as {args.person}")
    for path in args.paths:
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        statements.clear()
        client.get(path)
        count = len(statements)
        times = []
        for _ in range(args.times):
            began = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - began) * 1000)
        print(f"{path}: median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms, "
              f"{count} SQL statements")


if __name__ == "__main__":
    main()
