"""The 延续注册申请表 (guide 一.8–一.9): one view model built from an application's snapshot, shown by the
preview page and printed as PDF from the same partial (``applicant/renewal/_form.html``), so preview == print.

The form is an official document handed to a registration body: it is always rendered in Chinese, whatever
language the applicant's interface is in. A snapshot may be partial (demonstration data, older forms): every
value falls back to an empty string.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup

from ...models import Application
from .pdf import render_pdf
from .snapshot import ApplicationSnapshot

FORM_PARTIAL = "applicant/renewal/_form.html"
PDF_TEMPLATE = "pdf/application_form.html"
#: blank rows printed when a table is empty, so the applicant can write by hand if needed
BLANK_ROWS = 2


def _date(value: str | None) -> str:
    """``2026-03-31`` → ``2026年03月31日``; anything unparsable is shown as given."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def _period(start: str | None, end: str | None, open_end: str = "至今") -> str:
    return f"{_short(start)}—{_short(end) if end else open_end}"


def _short(value: str | None) -> str:
    return (value or "").replace("-", ".")


def form_context(snapshot: ApplicationSnapshot | dict | None, number: str | None) -> dict:
    """Everything the form template prints, as display strings."""
    if not isinstance(snapshot, ApplicationSnapshot):
        snapshot = ApplicationSnapshot.from_json(snapshot)
    person, certificate, education = snapshot.person, snapshot.certificate, snapshot.education
    entries = [
        {
            "course": entry.course,
            "organiser": entry.organiser,
            "period": _period(entry.start_date, entry.end_date),
            "hours": entry.hours,
            "counted": entry.counted,
        }
        for entry in education.entries
    ]
    work = [
        {
            "period": _period(row.start_date, row.end_date),
            "employer_name": row.employer_name,
            "position": row.position,
            "duties": row.duties,
        }
        for row in snapshot.work
    ]
    return {
        "number": number or "",
        "date": _date(snapshot.date),
        "person": {**asdict(person), "birth_date": _date(person.birth_date)},
        "certificate": {
            "number": certificate.number,
            "category": certificate.category,
            "period": (f"{_date(certificate.valid_from)} 至 {_date(certificate.valid_until)}"
                       if certificate.valid_until else ""),
        },
        "employer": asdict(snapshot.employer),
        "body": snapshot.body.name,
        "education": {
            "entries": entries,
            "blank_rows": 0 if entries else BLANK_ROWS,
            "total": education.total,
            "required": education.required,
            "period": (f"{_date(education.period_from)} 至 {_date(education.period_to)}"
                       if education.period_from else ""),
        },
        "work": work,
        "work_blank_rows": 0 if work else BLANK_ROWS,
    }


def render_form_html(snapshot: ApplicationSnapshot | dict | None, number: str | None) -> Markup:
    """The form as HTML for the preview page (in Chinese, as it prints)."""
    with force_locale("zh"):
        return Markup(render_template(FORM_PARTIAL, form=form_context(snapshot, number), for_pdf=False))  # noqa: S704


def render_application_pdf(application: Application) -> bytes:
    """The submitted application's form as an A4 PDF, from its frozen snapshot (later profile edits do not
    change it)."""
    return render_form_pdf(application.snapshot, application.number)


def render_form_pdf(snapshot: ApplicationSnapshot | dict | None, number: str | None) -> bytes:
    """The form of ``snapshot`` as an A4 PDF (also used by the benchmark)."""
    with force_locale("zh"):
        return render_pdf(PDF_TEMPLATE, form=form_context(snapshot, number), for_pdf=True)
