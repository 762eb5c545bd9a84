"""Imports in the console (central staff): upload a CSV of bodies, exam records or registered people, read the
validation report (第N行 列名：原因) before anything is saved, then run the import and watch its progress.

The rules are the command line's: both call ``portal.services.data.imports.import_csv`` (the check with
``validate_only=True``, the run with a ``progress`` callback). The uploaded file waits in the instance folder
between the two steps, named after the staff member and a random token. The run happens in the web process: the
page is streamed, a line per 10,000 rows, while a thread imports inside its own transaction; files are limited to
``MAX_CONTENT_LENGTH`` (8 MB by default, about 50,000 registered people) so a run stays inside a worker's timeout.
"""

from __future__ import annotations

import queue
import secrets
import threading
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, stream_with_context, url_for
from flask_admin import expose
from flask_wtf.file import FileField
from markupsafe import escape
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Regexp

from ..extensions import db
from ..forms import SiteForm
from ..i18n import lazy_gettext as _l
from ..models import Staff
from ..services.data.imports import COLUMNS, ImportFailed, import_csv
from ..transaction import rollback_only
from .forms import select_choices
from .gate import CentralOnlyView, current_staff

KINDS = {"bodies": _l("注册机构"), "exam-records": _l("考试合格人员"), "registered": _l("注册人员")}
#: errors listed on the report page (the total is always given)
MAX_ERRORS_SHOWN = 200
_MARK = "<!--progress-->"


class UploadForm(SiteForm):
    kind = SelectField(_l("导入内容"), choices=select_choices((kind, label) for kind, label in KINDS.items()))
    file = FileField(_l("CSV 文件"), description=_l("UTF-8 编码（可带 BOM），第一行为列名。"))


class RunForm(SiteForm):
    kind = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upload_path(staff: Staff, token: str) -> Path:
    """The waiting file of this staff member (another's token names no file of theirs)."""
    return _folder() / f"{staff.id}-{token}.csv"


class ImportView(CentralOnlyView):
    """数据导入: 注册机构、考试合格人员、注册人员."""

    @expose("/")
    def index(self):
        """The upload form, with the columns each kind of file needs."""
        return self._render_upload(UploadForm())

    def _render_upload(self, form: UploadForm):
        return self.render("reviewer/import_upload.html", form=form, kinds=KINDS, columns=COLUMNS,
                           max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))

    @expose("/check/", methods=("POST",))
    def check(self):
        """Validate the uploaded file with the import's own rules; nothing is saved. The report lists every bad row;
        a good file can then be imported."""
        form = UploadForm()
        upload = form.file.data
        if not form.validate() or form.kind.data not in KINDS:
            return self._render_upload(form)
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors.append(_l("请选择要导入的 CSV 文件。"))
            return self._render_upload(form)
        staff = current_staff()
        token = secrets.token_hex(16)
        path = _upload_path(staff, token)
        upload.save(path)
        try:
            with path.open("rb") as stream:
                result = import_csv(form.kind.data, stream, validate_only=True, staff=staff)
        except ImportFailed as failure:
            rollback_only()
            path.unlink(missing_ok=True)
            return self.render("reviewer/import_report.html", kind=KINDS[form.kind.data],
                               errors=failure.errors[:MAX_ERRORS_SHOWN], total=failure.total, result=None,
                               form=None, filename=upload.filename)
        rollback_only()  # a check writes nothing (and keeps nothing it may have staged)
        return self.render("reviewer/import_report.html", kind=KINDS[form.kind.data], errors=[], total=0,
                           result=result, form=RunForm(formdata=None, kind=form.kind.data, token=token),
                           filename=upload.filename)

    @expose("/run/", methods=("POST",))
    def run(self):
        """Import the checked file, showing progress as it goes (a streamed page), then the outcome."""
        form = RunForm()
        if not form.validate() or form.kind.data not in KINDS:
            abort(400)
        staff = current_staff()
        path = _upload_path(staff, form.token.data)
        if not path.exists():
            flash(_l("上传的文件已失效，请重新上传并检查。"), "error")
            return redirect(url_for(".index"))
        page = str(self.render("reviewer/import_run.html", kind=KINDS[form.kind.data], mark=_MARK))
        head, tail = page.split(_MARK, 1)
        events = _start(current_app._get_current_object(), form.kind.data, path, staff.id)
        return Response(stream_with_context(_progress_page(head, tail, events)), mimetype="text/html")


def _start(app, kind: str, path: Path, staff_id: int) -> queue.Queue:
    """Run the import in a thread with its own app context and transaction; its progress and outcome arrive on the
    returned queue as ("progress", rows, percent), then ("done", result) or ("failed", errors, total)."""
    events: queue.Queue = queue.Queue()

    def progress(rows: int, done: int, total: int | None) -> None:
        events.put(("progress", rows, round(100 * done / total) if total else None))

    def work() -> None:
        with app.app_context():
            try:
                with path.open("rb") as stream:
                    result = import_csv(kind, stream, progress=progress, staff=db.session.get(Staff, staff_id))
                db.session.commit()
                events.put(("done", result))
            except ImportFailed as failure:
                db.session.rollback()
                events.put(("failed", failure.errors[:MAX_ERRORS_SHOWN], failure.total))
            except Exception:  # the page must end with a message, not hang; the error is logged
                db.session.rollback()
                app.logger.exception("Console import of %s failed", kind)
                events.put(("error",))
            finally:
                db.session.remove()
                path.unlink(missing_ok=True)

    threading.Thread(target=work, name=f"import-{kind}", daemon=True).start()
    return events


def _progress_page(head: str, tail: str, events: queue.Queue):
    """The page's head, one line per progress report, the outcome, and the page's end."""
    yield head
    while True:
        event = events.get()
        if event[0] == "progress":
            _kind, rows, percent = event
            shown = f"（{percent}%）" if percent is not None else ""
            yield f'<li class="import-progress">{escape(_l("已处理 %(rows)s 行", rows=f"{rows:,}"))}{shown}</li>\n'
            continue
        yield "</ol>"
        if event[0] == "done":
            result = event[1]
            message = _l("导入成功：共 %(rows)s 行，新增 %(created)s 条，更新 %(updated)s 条。",
                         rows=f"{result.rows:,}", created=f"{result.created:,}", updated=f"{result.updated:,}")
            yield f'<div class="alert alert-success" role="status" id="import-done">{escape(message)}</div>'
        elif event[0] == "failed":
            _kind, errors, total = event
            lines = "".join(f"<li>{escape(str(error))}</li>" for error in errors)
            message = _l("导入失败：%(total)s 处错误，文件中的数据均未导入。", total=total)
            yield (f'<div class="alert alert-danger" role="alert" id="import-failed">{escape(message)}'
                   f'<ul class="mb-0">{lines}</ul></div>')
        else:
            yield (f'<div class="alert alert-danger" role="alert" id="import-failed">'
                   f'{escape(_l("导入失败：系统错误，文件中的数据均未导入，请稍后再试。"))}</div>')
        break
    yield tail
