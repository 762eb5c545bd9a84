"""申请材料: each kind's checklist of documents, their uploads, replacement after 退回, and the 初审 gate.

Each kind of application has its checklist (``CHECKLISTS``): ordered items with a code (stored on
``ApplicationMaterial.item``), a label, whether the item is required, and when it is uploaded — ``before_submit``
(in the wizard, before 上报) or ``after_submit`` (the signed and stamped 申请表, printed from the frozen form). Some
items depend on the application: a 变更 of employer asks for the new contract and the old employer's release
(``draft["change"]["types"]`` contains ``"employer"``, written by the wizard); a body-filed 注销 has no applicant's
申请表.

Who may do what, and when:

- before 上报 (填写中) the applicant uploads, replaces and removes the ``before_submit`` items freely;
- after 退回 (退回修改) only the documents the reviewer marked for replacement may be replaced or removed, and items
  that have no file yet may be filled (files uploaded since the 退回 may be removed again);
- after 上报 (已上报 / 退回修改) only ``signed_form`` is uploaded; 初审 cannot pass until it is there, unless the body
  has marked 「纸质材料已收到」 (the guide's paper route); 延续注册 keeps its paper route as it always was, its uploads
  are optional.

Files are checked by ``uploads.inspect`` (content, size, decompression bombs, images re-encoded) and kept in
``storage()``: at most ``UPLOAD_MAX_FILES_PER_ITEM`` files an item and ``UPLOAD_MAX_APPLICATION_BYTES`` in all.
Services only flush; the view commits. A removed or replaced file's bytes go with the transaction (database
backend) or once it has committed (filesystem backend).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Application, ApplicationKind, ApplicationMaterial, ApplicationStatus, Person, Staff
from .. import uploads
from ..errors import DomainError, NotFound
from ..infrastructure.audit import record
from ..storage import DatabaseStorage, storage

K = ApplicationKind
S = ApplicationStatus
BEFORE_SUBMIT, AFTER_SUBMIT = "before_submit", "after_submit"

#: per item and per application (settings with these defaults)
MAX_FILES_PER_ITEM = 10
MAX_APPLICATION_BYTES = 60 * 1024 * 1024

#: the items' names: lazy labels for pages, Chinese text for what is stored (snapshots' 附件清单, audit rows)
LABELS = {
    "signed_form": _l("签字盖章的申请表"),
    "qualification": _l("资格证书"),
    "contract": _l("劳动合同或聘用文件"),
    "id_card": _l("身份证件"),
    "ce_proof": _l("继续教育证明"),
    "practice_cert": _l("执业证"),
    "performance": _l("聘用单位履职情况证明"),
    "release": _l("原聘用单位解聘证明或劳动合同终止证明"),
    "cancel_proof": _l("注销理由证明材料"),
}
TEXTS = {
    "signed_form": "签字盖章的申请表", "qualification": "资格证书", "contract": "劳动合同或聘用文件",
    "id_card": "身份证件", "ce_proof": "继续教育证明", "practice_cert": "执业证",
    "performance": "聘用单位履职情况证明", "release": "原聘用单位解聘证明或劳动合同终止证明",
    "cancel_proof": "注销理由证明材料",
}
#: ASCII names of served files (``filename=`` for clients without UTF-8 names)
ASCII_NAMES = {code: code.replace("_", "-") for code in LABELS}


def employer_change(application: Application) -> bool:
    """A 变更 that includes a change of employer (the wizard writes ``draft["change"]["types"]``)."""
    change = (application.draft or {}).get("change") or {}
    types = change.get("types") or []
    if isinstance(types, str):
        types = [part for part in types.replace("、", ",").split(",") if part]
    return "employer" in types


def filed_by_applicant(application: Application) -> bool:
    """Not a 注销 filed by a registration body (which has no applicant's 申请表)."""
    return application.filed_by_id is None


@dataclass(frozen=True)
class ItemSpec:
    code: str
    required: bool = True
    stage: str = BEFORE_SUBMIT
    #: the item applies only when this says so (None: always)
    condition: Callable[[Application], bool] | None = None

    @property
    def label(self):
        return LABELS[self.code]

    def applies(self, application: Application) -> bool:
        return self.condition is None or self.condition(application)


_SIGNED = ItemSpec("signed_form", stage=AFTER_SUBMIT, condition=filed_by_applicant)
_INITIAL = (_SIGNED, ItemSpec("qualification"), ItemSpec("contract"), ItemSpec("id_card"))
CHECKLISTS: dict[ApplicationKind, tuple[ItemSpec, ...]] = {
    K.INITIAL: _INITIAL,
    K.LATE_INITIAL: (*_INITIAL, ItemSpec("ce_proof")),
    K.REREGISTRATION: (*_INITIAL, ItemSpec("ce_proof")),
    # 延续注册: the paper route of the guide stays as it is; uploads are offered, none required
    K.RENEWAL: (ItemSpec("signed_form", required=False, stage=AFTER_SUBMIT), ItemSpec("practice_cert", False),
                ItemSpec("contract", False), ItemSpec("performance", False), ItemSpec("ce_proof", False)),
    K.CHANGE: (_SIGNED, ItemSpec("practice_cert"), ItemSpec("release", condition=employer_change),
               ItemSpec("contract", condition=employer_change)),
    K.CANCELLATION: (_SIGNED, ItemSpec("cancel_proof", required=False)),
}


@dataclass
class Item:
    """One checklist item of an application as the pages show it."""

    code: str
    label: object
    required: bool
    stage: str
    #: its files, in order
    files: list[ApplicationMaterial] = field(default_factory=list)
    #: those 退回 marked to be replaced
    flagged: list[ApplicationMaterial] = field(default_factory=list)
    #: whether the applicant may upload to it now
    can_upload: bool = False
    #: ids of the files the applicant may remove now
    removable: frozenset[int] = frozenset()

    @property
    def missing(self) -> bool:
        return self.required and not self.files

    @property
    def text(self) -> str:
        return TEXTS[self.code]


def specs(application: Application) -> list[ItemSpec]:
    """The items that apply to this application, in checklist order."""
    return [spec for spec in CHECKLISTS.get(application.kind, ()) if spec.applies(application)]


def spec_of(application: Application, code: str) -> ItemSpec:
    for spec in specs(application):
        if spec.code == code:
            return spec
    raise DomainError(_l("该申请没有这一项材料。"), field="file")


def files_of(application: Application, code: str | None = None) -> list[ApplicationMaterial]:
    query = select(ApplicationMaterial).where(ApplicationMaterial.application_id == application.id)
    if code is not None:
        query = query.where(ApplicationMaterial.item == code)
    return list(db.session.scalars(query.order_by(ApplicationMaterial.item, ApplicationMaterial.position,
                                                  ApplicationMaterial.id)))


def checklist(application: Application) -> list[Item]:
    """The application's checklist with its files, what 退回 marked, and what the applicant may do now."""
    by_item: dict[str, list[ApplicationMaterial]] = {}
    for material in files_of(application):
        by_item.setdefault(material.item, []).append(material)
    items = []
    for spec in specs(application):
        files = by_item.get(spec.code, [])
        allowed = _upload_refusal(application, spec, files) is None
        items.append(Item(code=spec.code, label=spec.label, required=spec.required, stage=spec.stage, files=files,
                          flagged=[f for f in files if f.replace_requested_at is not None], can_upload=allowed,
                          removable=frozenset(f.id for f in files if _remove_refusal(application, spec, f) is None)))
    return items


# --- what the applicant may do now ---------------------------------------------------------------------------


def _returned_at(application: Application) -> datetime | None:
    """When it was returned (退回 is a decision: ``decided_at``), while it is 退回修改."""
    if application.status is not S.RETURNED:
        return None
    return application.decided_at or application.submitted_at


def _since(material: ApplicationMaterial, moment: datetime | None) -> bool:
    return moment is not None and material.uploaded_at >= moment


def _upload_refusal(application: Application, spec: ItemSpec, files: Sequence[ApplicationMaterial]):
    """None when a file may be added to the item now, else why not."""
    if spec.stage == AFTER_SUBMIT:
        if application.status is S.DRAFT:
            return _l("请在上报后上传签字盖章的申请表。")
        if application.status not in (S.SUBMITTED, S.RETURNED):
            return _l("初审已有结果，不能再上传申请表。")
        return None
    if application.status is S.DRAFT:
        return None
    if application.status is S.RETURNED:
        returned = _returned_at(application)
        if not files or any(f.replace_requested_at is not None or _since(f, returned) for f in files):
            return None  # an item still missing, or one with a document to replace (or replaced since)
        return _l("退回后只能重新上传注册机构要求更换的材料。")
    return _l("申请已上报，材料不能再修改。如需修改，请先撤回申请。")


def _remove_refusal(application: Application, spec: ItemSpec, material: ApplicationMaterial):
    if spec.stage == AFTER_SUBMIT:
        return None if application.status in (S.SUBMITTED, S.RETURNED) else _l("初审已有结果，不能再删除申请表。")
    if application.status is S.DRAFT:
        return None
    returned = _returned_at(application)
    if returned is not None and (material.replace_requested_at is not None or _since(material, returned)):
        return None
    if application.status is S.RETURNED:
        return _l("退回后只能删除或更换注册机构要求更换的材料。")
    return _l("申请已上报，材料不能再修改。如需修改，请先撤回申请。")


def _owned(application: Application, person: Person) -> None:
    if application.person_id != person.id or application.filed_by_id is not None:
        raise NotFound(_l("申请不存在。"))


# --- upload, replace, remove ---------------------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def upload(application: Application, person: Person, item: str, data: bytes | Sequence[bytes], now: datetime,
           *, replace: int | None = None) -> list[ApplicationMaterial]:
    """Add one or more files (pages or photos) to checklist ``item`` of the person's own application; with
    ``replace`` (a file's id) the first new file takes that file's place and the old one is deleted. Every file is
    checked before any is stored. DomainError (field ``file``) says why not."""
    _owned(application, person)
    spec = spec_of(application, item)
    datas = [data] if isinstance(data, bytes | bytearray) else list(data)
    if not datas:
        raise DomainError(_l("请选择要上传的文件。"), field="file")
    files = files_of(application, item)
    refusal = _upload_refusal(application, spec, files)
    if refusal is not None:
        raise DomainError(refusal, field="file")
    old = None
    if replace is not None:
        old = next((f for f in files if f.id == replace), None)
        if old is None or _remove_refusal(application, spec, old) is not None:
            raise DomainError(_l("只能更换本项中允许更换的文件。"), field="file")
    checked = [uploads.inspect(bytes(one)) for one in datas]
    max_files = _setting("UPLOAD_MAX_FILES_PER_ITEM", MAX_FILES_PER_ITEM)
    if len(files) - (1 if old else 0) + len(checked) > max_files:
        raise DomainError(_l("每项材料最多上传 %(count)d 个文件，请合并后上传（例如合成一个 PDF）。", count=max_files),
                          field="file")
    max_total = _setting("UPLOAD_MAX_APPLICATION_BYTES", MAX_APPLICATION_BYTES)
    stored = db.session.scalar(select(func.coalesce(func.sum(ApplicationMaterial.size), 0))
                               .where(ApplicationMaterial.application_id == application.id)) or 0
    if stored - (old.size if old else 0) + sum(len(c.data) for c in checked) > max_total:
        raise DomainError(_l("本申请的材料总大小不能超过 %(size)s MB，请压缩后上传。",
                             size=f"{max_total / 1024 / 1024:g}"), field="file")
    store = storage()
    if old is not None:
        position = old.position
        for following in files:  # make room after the replaced file for the other new ones
            if following.position > old.position:
                following.position += len(checked) - 1
    else:
        position = max((f.position for f in files), default=-1) + 1
    added = []
    for offset, one in enumerate(checked):
        material = ApplicationMaterial(
            application_id=application.id, item=item, position=position + offset, storage_key=store.put(one.data),
            thumbnail_key=store.put(one.thumbnail) if one.thumbnail else None, content_type=one.content_type,
            size=len(one.data), pages=one.pages, uploaded_at=now, person_id=person.id)
        db.session.add(material)
        added.append(material)
    if old is not None:
        _delete(old, store)
    db.session.flush()
    db.session.expire(application, ["materials"])
    return added


def remove(application: Application, person: Person, material_id: int, now: datetime) -> None:
    """Delete one file of the person's own application (and its stored bytes), where the stage allows it."""
    _owned(application, person)
    material = _material_of(application, material_id)
    spec = spec_of(application, material.item)
    refusal = _remove_refusal(application, spec, material)
    if refusal is not None:
        raise DomainError(refusal, field="file")
    _delete(material, storage())
    db.session.flush()
    for position, following in enumerate(files_of(application, material.item)):
        following.position = position
    db.session.flush()
    db.session.expire(application, ["materials"])


def _delete(material: ApplicationMaterial, store) -> None:
    """The row, then its files: the database backend deletes them in the transaction; files of the filesystem
    backend are deleted once the transaction has committed (a rolled-back request keeps them, with their row)."""
    keys = [key for key in (material.storage_key, material.thumbnail_key) if key]
    db.session.delete(material)
    db.session.flush()
    if isinstance(store, DatabaseStorage):
        for key in keys:
            store.delete(key)
    else:
        db.session.info.setdefault(_DELETE_AFTER_COMMIT, []).extend((store, key) for key in keys)


_DELETE_AFTER_COMMIT = "materials_delete_after_commit"


@event.listens_for(Session, "after_commit")
def _delete_committed(session) -> None:
    for store, key in session.info.pop(_DELETE_AFTER_COMMIT, []):
        store.delete(key)


@event.listens_for(Session, "after_rollback")
def _keep_rolled_back(session) -> None:
    session.info.pop(_DELETE_AFTER_COMMIT, None)


def _material_of(application: Application, material_id) -> ApplicationMaterial:
    material = db.session.get(ApplicationMaterial, material_id) if isinstance(material_id, int) else None
    if material is None or material.application_id != application.id:
        raise NotFound(_l("文件不存在。"))
    return material


def material_of(application: Application, material_id) -> ApplicationMaterial:
    """A file of this application (NotFound for another application's or none)."""
    return _material_of(application, material_id)


def read(material: ApplicationMaterial, *, thumbnail: bool = False) -> bytes:
    """The stored bytes (or the thumbnail's); NotFound when the storage has lost them."""
    key = material.thumbnail_key if thumbnail else material.storage_key
    if not key:
        raise NotFound(_l("文件不存在。"))
    try:
        return storage().get(key)
    except KeyError:
        raise NotFound(_l("文件不存在。")) from None


#: PDFium is not thread-safe: one page is rendered at a time in a process
_PDFIUM = threading.Lock()
#: the width a PDF page is rendered at for the viewers (an A4 page at about 150 dpi)
PAGE_WIDTH = 1240


def pdf_page_png(material: ApplicationMaterial, page: int | None, width: int = PAGE_WIDTH) -> bytes:
    """Page ``page`` (from 1) of a PDF material as a PNG ``width`` pixels wide, for the viewers (reviewers read the
    pages as images, in any browser, without a PDF plug-in). NotFound for a page it does not have."""
    import pypdfium2 as pdfium

    if material.content_type != uploads.PDF or page is None or not 1 <= page <= material.pages:
        raise NotFound(_l("页面不存在。"))
    data = read(material)
    with _PDFIUM:
        document = pdfium.PdfDocument(data)
        try:
            if page > len(document):
                raise NotFound(_l("页面不存在。"))
            pdf_page = document[page - 1]
            page_width = pdf_page.get_width() or 1
            bitmap = pdf_page.render(scale=min(width / page_width, 3.0))
            image = bitmap.to_pil()
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False)
            pdf_page.close()
        finally:
            document.close()
    return out.getvalue()


def served_name(material: ApplicationMaterial, *, ascii_name: bool = False, suffix: str = "") -> str:
    """The name a file is served under, made from its item and position (never from the uploader):
    ``资格证书-1.jpg`` (ASCII: ``qualification-1.jpg``)."""
    extension = {uploads.PDF: "pdf", uploads.JPEG: "jpg", uploads.PNG: "png"}.get(material.content_type, "bin")
    if suffix:
        extension = suffix
    base = ASCII_NAMES.get(material.item, "file") if ascii_name else TEXTS.get(material.item, "材料")
    return f"{base}-{material.position + 1}.{extension}"


# --- checks used by 上报 and 初审 ----------------------------------------------------------------------------


def problems_before_submit(application: Application) -> list[str]:
    """What stops 上报 (or 重新上报): required items without a file, documents 退回 marked and not yet replaced.
    Messages for the applicant; an empty list when the materials are complete."""
    problems = []
    for item in checklist(application):
        if item.stage != BEFORE_SUBMIT:
            continue
        if item.missing:
            problems.append(str(_l("请上传「%(item)s」。", item=item.label)))
        elif item.flagged:
            problems.append(str(_l("请更换「%(item)s」中注册机构要求更换的文件。", item=item.label)))
    return problems


def ready_for_initial_pass(application: Application) -> str | None:
    """None when 初审 may pass as far as the materials go: the signed and stamped 申请表 is uploaded (and not marked
    for replacement), or the body has marked 「纸质材料已收到」; else why not. 延续注册 keeps its paper route."""
    if application.kind is K.RENEWAL or application.paper_received_at is not None:
        return None
    if not any(spec.code == "signed_form" and spec.required for spec in specs(application)):
        return None
    signed = [f for f in files_of(application, "signed_form") if f.replace_requested_at is None]
    if signed:
        return None
    return str(_l("申请人尚未上传签字盖章的申请表，注册机构也未登记「纸质材料已收到」，不能初审通过。"))


# --- the registration body: 退回 marks, 纸质材料已收到 ---------------------------------------------------------


def _reviewer_of(application: Application, staff: Staff) -> None:
    if staff.is_central or staff.body_id != application.body_id:
        raise DomainError(_l("只有该申请所属注册机构的审核人员可以进行此操作。"))


MAX_MARK_REASON = 200


def mark_for_replacement(application: Application, staff: Staff, marks: dict[int, str], now: datetime) -> None:
    """At 退回: mark the documents the applicant must replace, each with what is wrong (audit row). Called before
    the 退回 itself, in the same transaction; nothing to do without marks."""
    if not marks:
        return
    _reviewer_of(application, staff)
    if application.status is not S.SUBMITTED:
        raise DomainError(_l("只有已上报的申请可以退回并要求更换材料。"))
    lines = []
    for material_id, reason in marks.items():
        material = _material_of(application, material_id)
        reason = " ".join((reason or "").split())
        if not reason:
            raise DomainError(_l("请为每个要求更换的文件写明原因。"), field="reason")
        if len(reason) > MAX_MARK_REASON:
            raise DomainError(_l("更换原因不能超过%(max)d个字。", max=MAX_MARK_REASON), field="reason")
        material.replace_requested_at = now
        material.replace_reason = reason
        lines.append(f"{served_name(material)}：{reason}")
    db.session.flush()
    record("application.materials_marked", f"退回时要求更换材料：申请编号 {application.number}（{len(lines)} 个文件）",
           staff=staff, target=application, body_id=application.body_id, data={"files": lines})


def marks_text(application: Application, marks: dict[int, str]) -> str:
    """The lines of a 退回 reason that name the documents to replace (for the applicant's notice)."""
    if not marks:
        return ""
    lines = ["需要重新上传的文件："]
    for index, (material_id, reason) in enumerate(marks.items(), start=1):
        material = _material_of(application, material_id)
        lines.append(f"{index}. {served_name(material).rsplit('.', 1)[0]}：{' '.join((reason or '').split())}")
    return "\n".join(lines)


def mark_paper_received(application: Application, staff: Staff, now: datetime) -> None:
    """「纸质材料已收到」: the body holds the signed and stamped paper form (instead of an uploaded scan); 初审 may then
    pass without the upload. Reviewers of the application's own body only (audit row)."""
    _reviewer_of(application, staff)
    if application.status not in (S.SUBMITTED, S.RETURNED):
        raise DomainError(_l("只有已上报、尚未初审通过的申请可以登记纸质材料。"))
    if application.paper_received_at is not None:
        raise DomainError(_l("已登记纸质材料已收到。"))
    application.paper_received_at = now
    application.paper_received_by_id = staff.id
    db.session.flush()
    record("application.paper_received", f"纸质材料已收到：申请编号 {application.number}"
                                         f"（{application.person.masked_id_number}）",
           staff=staff, target=application, body_id=application.body_id)


def summary(application: Application) -> list[tuple[str, int, int]]:
    """(item text, files, pages) of each item with files, in checklist order: the 附件清单 of the snapshot."""
    rows = []
    for item in checklist(application):
        if item.files:
            rows.append((item.text, len(item.files), sum(f.pages for f in item.files)))
    return rows
