"""申请材料 in the console: every document of an application inline (images, PDF pages rendered as images), the
viewer, 「纸质材料已收到」, and the documents 退回 marks for replacement.

``MaterialsConsole`` is mixed into ``ApplicationView``, so every file goes through the view's one ``get_one``: the
body scope of the console's gate (another body's application answers 404 with an ``access.denied`` audit row),
drafts invisible, central staff everywhere. A file id must belong to the application named beside it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from ..clock import utcnow
from ..i18n import lazy_gettext as _l
from ..models import Application, ApplicationMaterial, ApplicationStatus
from ..services.errors import DomainError
from ..services.infrastructure.audit import record
from ..services.registration import materials as service
from ..services.review import desk
from ..services.review import queue as review_queue
from .forms import RecordForm
from .gate import attempt, current_staff, deny

#: the 退回 form's fields (its prefix is the decision's name): ticked file ids, and a reason per file
MARK_FIELD = "return-replace"
MARK_REASON_FIELD = "return-replace-reason-{id}"


def posted_marks(application: Application) -> dict[int, str]:
    """The documents the reviewer ticked at 退回, with the reason typed beside each ({file id: reason})."""
    marks = {}
    for value in request.form.getlist(MARK_FIELD):
        material_id = review_queue.parse_id(value)
        if material_id is None:
            abort(400)
        marks[material_id] = request.form.get(MARK_REASON_FIELD.format(id=material_id), "")
    return marks


def return_reason(application: Application, marks: dict[int, str], ticked, note) -> str:
    """The 退回 reason the applicant reads: the checklist items and the reviewer's words (``desk.return_reason``),
    then the documents to upload again, each with its reason."""
    reason = desk.return_reason(ticked, note)
    lines = service.marks_text(application, marks) if marks else ""
    combined = "\n".join(part for part in (reason, lines) if part)
    if len(combined) > desk.REASON_MAX_LENGTH:
        raise DomainError(_l("原因不能超过%(max)d个字。", max=desk.REASON_MAX_LENGTH), field="reason")
    return combined


class MaterialsConsole:
    """Routes and helpers of ``ApplicationView`` for the materials (its ``get_one`` does the scoping)."""

    def material_items(self, application: Application) -> list[service.Item]:
        """The checklist with its files, for ``reviewer/_materials.html``."""
        return service.checklist(application)

    def material_files(self, application: Application) -> list[tuple[service.Item, ApplicationMaterial, int]]:
        """(item, file, its number within the item) of every file, for the 退回 marks."""
        return [(item, material, position) for item in service.checklist(application)
                for position, material in enumerate(item.files, start=1)]

    def may_mark_paper(self, application: Application) -> bool:
        """Whether 「纸质材料已收到」 is offered: to a reviewer of the application's body, before 初审."""
        staff = current_staff()
        return (staff is not None and not staff.is_central and staff.body_id == application.body_id
                and application.paper_received_at is None
                and application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED))

    def paper_form(self, application: Application) -> RecordForm:
        return RecordForm(formdata=None, id=application.id)

    def initial_pass_problem(self, application: Application) -> str | None:
        return service.ready_for_initial_pass(application)

    def _material(self, application: Application) -> ApplicationMaterial:
        """The file ``m`` of the application (already in scope); a file of another application is refused and
        audit-logged."""
        material_id = review_queue.parse_id(request.args.get("m"))
        material = review_queue.get_any(ApplicationMaterial, material_id) if material_id else None
        if material is None:
            abort(404)
        if material.application_id != application.id:
            staff = current_staff()
            deny(material, f"{staff.username} 试图通过申请 {application.number} 访问其他申请的文件 #{material.id}")
        return material

    @expose("/material/")
    def material_file_view(self):
        """One file inline (``thumbnail=1``: its small image; ``page=N``: page N of a PDF as an image)."""
        from ..applicant.materials import file_response

        application = self.get_one(request.args.get("id"))
        return file_response(self._material(application), request.args)

    @expose("/materials/")
    def material_viewer_view(self):
        """The viewer: one document large (an image, or a PDF's pages as images), the application's other
        documents beside it. Opening a document is audit-logged (it may be an identity document)."""
        application = self.get_one(request.args.get("id"))
        items = service.checklist(application)
        files = [material for item in items for material in item.files]
        if request.args.get("m"):
            material = self._material(application)
        elif files:
            material = files[0]
        else:
            abort(404)
        staff = current_staff()
        record("material.view", f"查看申请材料：申请编号 {application.number} {service.served_name(material)}",
               staff=staff, target=application, body_id=application.body_id, data={"file": material.id})
        index = next((i for i, f in enumerate(files) if f.id == material.id), 0)
        position = 1 + sum(1 for f in files[:index] if f.item == material.item)
        return self.render("reviewer/material_viewer.html", application=application, items=items, material=material,
                           position=position, labels=service.LABELS,
                           previous=files[index - 1] if index > 0 else None,
                           following=files[index + 1] if index + 1 < len(files) else None,
                           return_url=url_for(".details_view", id=application.id))

    @expose("/paper/", methods=("POST",))
    def paper_received(self):
        """「纸质材料已收到」: the body holds the signed and stamped paper form; 初审 may then pass without the scan."""
        application = self.posted_record()
        back = url_for(".details_view", id=application.id) + "#materials"
        attempt(lambda: service.mark_paper_received(application, current_staff(), utcnow()), back=back)
        flash(_l("已登记纸质材料已收到。"), "success")
        return redirect(back)
