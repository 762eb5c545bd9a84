"""The 申请表 of every kind (延续注册: guide 一.8–一.9): one view model built from an application's snapshot, shown
by the preview page and printed as PDF from the same partial's HTML (laid out by ``form_pdf``), so preview ==
print. The partial is chosen by the snapshot's kind (``KIND_FORMS``): 延续注册 ``applicant/renewal/_form.html``,
the other kinds ``pdf/kinds/*.html``; a snapshot without a kind prints as 延续注册 (the forms from before the other
kinds).

The form is an official document handed to a registration body: it is always rendered in Chinese, whatever
language the applicant's interface is in. A snapshot may be partial (demonstration data, older forms): every
value falls back to an empty string.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup

from ...models import Application
from . import form_pdf
from .snapshot import ApplicationSnapshot

FORM_PARTIAL = "applicant/renewal/_form.html"
#: blank rows printed when a table is empty, so the applicant can write by hand if needed
BLANK_ROWS = 2
#: blank rows of an empty 附件清单
MATERIAL_BLANK_ROWS = 2


@dataclass(frozen=True)
class KindForm:
    partial: str  #: the form's partial, shared by the preview and the PDF
    title: str  #: the official title (Chinese only)


KIND_FORMS = {
    "renewal": KindForm(FORM_PARTIAL, "注册安全工程师延续注册申请表"),
    "initial": KindForm("pdf/kinds/initial.html", "注册安全工程师初始注册申请表"),
    "late_initial": KindForm("pdf/kinds/initial.html", "注册安全工程师初始注册申请表"),
    "change": KindForm("pdf/kinds/change.html", "注册安全工程师变更注册申请表"),
    "reregistration": KindForm("pdf/kinds/reregistration.html", "注册安全工程师重新注册申请表"),
    "cancellation": KindForm("pdf/kinds/cancellation.html", "注册安全工程师注销注册申请表"),
}

#: 变更事项 as printed (checkboxes), each with how a ``ChangePart.types`` entry is recognised
CHANGE_TYPES = (("employer", "变更聘用单位"), ("category", "变更专业类别"), ("employer_name", "聘用单位名称变更"))
#: 注销 reasons of the holder and grounds of a registration body (the labels of registration.kinds)
CANCELLATION_REASONS = ("退休", "离职", "不再从事安全生产工作", "其他")
CANCELLATION_GROUNDS = ("死亡", "丧失民事行为能力", "注册被撤销", "注册被吊销", "受到刑事处罚", "聘用单位申请注销",
                        "其他")


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


def kind_form(kind: str | None) -> KindForm:
    """The form of a kind; an unknown or missing kind prints as 延续注册."""
    return KIND_FORMS.get(kind or "", KIND_FORMS["renewal"])


def _change_type(entry: str) -> str:
    if "名称" in entry:
        return "employer_name"
    if "类别" in entry:
        return "category"
    return "employer" if "单位" in entry else ""


def _marks(labels: tuple[str, ...], value: str) -> list[dict]:
    """Checkboxes: the label the value starts with is marked (a free text after 其他 stays in the value)."""
    found = next((label for label in labels if value.startswith(label)), "其他" if value else "")
    return [{"label": label, "checked": label == found} for label in labels]


def _kind_parts(snapshot: ApplicationSnapshot) -> dict:
    """What the forms of the other kinds print besides the renewal form's parts."""
    exam, change, cancellation = snapshot.exam, snapshot.change, snapshot.cancellation
    entries = [entry.strip() for entry in change.types.split("、") if entry.strip()]
    chosen = {_change_type(entry) for entry in entries}
    by_body = bool(cancellation.filed_by) and cancellation.filed_by != "本人"
    materials = [{"index": index, "item_label": row.item_label, "count": row.count, "pages": row.pages}
                 for index, row in enumerate(snapshot.materials, start=1)]
    return {
        "late": snapshot.kind == "late_initial",
        "exam": {**asdict(exam), "qualified_on": _date(exam.qualified_on)},
        "change": {**asdict(change), "marks": [{"label": label, "checked": code in chosen}
                                               for code, label in CHANGE_TYPES]},
        "cancellation": {**asdict(cancellation), "by_body": by_body,
                         "reasons": _marks(CANCELLATION_REASONS, "" if by_body else cancellation.reason),
                         "grounds": _marks(CANCELLATION_GROUNDS, cancellation.ground if by_body else "")},
        "materials": materials,
        "materials_blank_rows": 0 if materials else MATERIAL_BLANK_ROWS,
    }


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
        "kind": snapshot.kind or "renewal",
        "title": kind_form(snapshot.kind).title,
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
        **_kind_parts(snapshot),
    }


def _form_html(form: dict) -> str:
    """The partial of the form's kind, in Chinese."""
    with force_locale("zh"):
        return render_template(kind_form(form["kind"]).partial, form=form)


def render_form_html(snapshot: ApplicationSnapshot | dict | None, number: str | None) -> Markup:
    """The form as HTML for the preview page (in Chinese, as it prints), the partial of the snapshot's kind."""
    return Markup(_form_html(form_context(snapshot, number)))  # noqa: S704


def render_application_pdf(application: Application) -> bytes:
    """The submitted application's form as an A4 PDF, from its frozen snapshot (later profile edits do not
    change it)."""
    return render_form_pdf(application.snapshot, application.number)


def render_form_pdf(snapshot: ApplicationSnapshot | dict | None, number: str | None) -> bytes:
    """The form of ``snapshot`` as an A4 PDF (also used by the benchmark): the HTML of the preview page, laid out
    by ``form_pdf``."""
    form = form_context(snapshot, number)
    return form_pdf.render(_form_html(form), title=f"{form['title']} {form['number']}".strip(),
                           number=form["number"])
