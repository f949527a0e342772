"""My day: a professional's worklist (``my_day``), filtered by kind and by patient; and the
week's summary of their patients (``my_week``).

Acting on a line (mark a report as seen, mark an action done) posts to the carnet's own
endpoint with ``back=day``: it comes back here, with the same filters; with htmx, the list
alone is swapped in (the same template block).
"""

from __future__ import annotations

from flask import flash, g, get_flashed_messages, redirect, request, url_for

from ..auth import login_required, require_professional
from ..db import get_session
from ..paging import page_number
from ..rendering import announce, render
from ..types import utcnow
from . import bp, my_day, my_week
from .access import record_reads


def filters() -> dict[str, str | int]:
    """The list's filters of this request, as ``url_for`` takes them (unknown ones left out)."""
    chosen: dict[str, str | int] = {}
    if request.args.get("kind") in my_day.KINDS:
        chosen["kind"] = request.args["kind"]
    patient = request.args.get("patient", type=int)
    if patient is not None and patient > 0:
        chosen["patient"] = patient
    return chosen


def back_to_day(message: str):
    """After a change made from the list: the list again, as it was filtered, saying
    ``message`` (at the top of the page; with htmx, in the live region)."""
    flash(message)
    return redirect(url_for("carnet.my_day", **filters()), code=303)


@bp.get("/day", endpoint="my_day")
@login_required
def my_day_page():
    """What needs this professional today, across their patients' carnets."""
    professional = require_professional()
    db = get_session()
    chosen = filters()
    day = my_day.build(db, g.account, professional, utcnow(), chosen.get("kind"),
                       chosen.get("patient"))
    record_reads(db, g.account, my_day.reads(day))
    # The list swapped in after a change: its message goes to the live region (a full page
    # shows it at its top).
    said = " ".join(get_flashed_messages()) if request.htmx else ""
    answer = render("carnet/my_day.html", "worklist", day=day, chosen=chosen,
                    focus_list=bool(said))
    return announce(answer, said) if said else answer


@bp.get("/day/week", endpoint="my_week")
@login_required
def my_week_page():
    """Per patient, what changed in the last seven days and what is due in the next seven."""
    professional = require_professional()
    db = get_session()
    week = my_week.build(db, g.account, professional, utcnow(), page_number())
    record_reads(db, g.account, my_week.reads(week))
    return render("carnet/my_week.html", None, week=week)
