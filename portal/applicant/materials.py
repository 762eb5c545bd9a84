"""申请材料, the applicant's side: upload (several files at once), replace, remove, and the files themselves (inline,
a thumbnail, or one page of a PDF as an image), all on the logged-in person's own application. Another person's
application or file by URL answers 404 and leaves an ``access.denied`` audit row. The page ``materials`` shows the
checklist on its own; the wizard's 材料上传 step and the application page include the same partial
(``applicant/materials/_checklist.html``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import utcnow
from ..errors import render_error
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import Application, ApplicationMaterial
from ..services import uploads
from ..services.errors import DomainError, NotFound
from ..services.infrastructure.audit import record
from ..services.registration import materials as service
from ..transaction import rollback_only
from . import bp
from .public import content_disposition
from .renewal_forms import ActionForm
from .renewal_wizard import current_person

_ERROR_KEY = "material_error"


def own_application_or_404(application_id: int) -> Application:
    """The logged-in person's application; another person's answers 404 and the attempt is audit-logged."""
    person = current_person()
    application = db.session.get(Application, application_id)
    if application is not None and application.person_id == person.id and application.filed_by_id is None:
        return application
    if application is not None:
        _deny(application, f"申请人试图访问他人的申请 #{application.id} 的材料")
    abort(404)


def _deny(target, summary: str):
    """Refuse a request that crosses a boundary: an ``access.denied`` audit row, kept although the request fails."""
    person = current_person()
    db.session.rollback()
    record("access.denied", summary, person=person, target=target, body_id=getattr(target, "body_id", None),
           data={"path": request.path, "method": request.method}, ip=request.remote_addr)
    db.session.commit()
    abort(404)


def _material_or_404(application: Application, material_id: int) -> ApplicationMaterial:
    material = db.session.get(ApplicationMaterial, material_id)
    if material is None:
        abort(404)
    if material.application_id != application.id:
        _deny(material, f"申请人试图通过申请 #{application.id} 访问其他申请的文件 #{material.id}")
    return material


def safe_next(value: str | None, default: str) -> str:
    """A local path to go back to (``/applicant/...``): never another site, a scheme, or a protocol-relative URL."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in value):
        return default
    return value


def _back(application: Application, item: str | None = None, *, from_form: bool = True) -> Response:
    default = url_for("applicant.materials", application_id=application.id)
    target = safe_next(request.form.get("next") if from_form else None, default)
    if item and "#" not in target:
        target += f"#material-{item}"
    return redirect(target)


def _failed(application: Application, item: str, error: DomainError, *, from_form: bool = True) -> Response:
    """The message beside the item on the page it came from (the request's changes discarded)."""
    rollback_only()
    session[_ERROR_KEY] = {"item": item, "message": str(error.message)}
    return _back(application, item, from_form=from_form)


def _megabytes(setting: str) -> str:
    return f"{current_app.config[setting] / 1024 / 1024:g}"


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A request over ``MAX_CONTENT_LENGTH`` (refused before any view reads it): on an upload, the message beside
    the item; elsewhere the usual error page."""
    args = request.view_args or {}
    if request.endpoint == "applicant.material_upload" and "application_id" in args:
        application = own_application_or_404(args["application_id"])
        message = _l("一次上传的文件合计不能超过 %(size)s MB，请分几次上传。", size=_megabytes("MAX_CONTENT_LENGTH"))
        return _failed(application, args.get("item", ""), DomainError(message), from_form=False)
    return render_error(413)


@bp.app_template_global()
def material_error(item: str) -> str | None:
    """The upload error of ``item`` from the last request, shown once beside the item (a global, so that the
    imported macro of ``applicant/materials/_checklist.html`` reaches it without the page's context)."""
    error = session.get(_ERROR_KEY)
    if error and error.get("item") == item:
        session.pop(_ERROR_KEY, None)
        return error.get("message")
    return None


@bp.app_template_global()
def material_upload_mb() -> str:
    """The size limit of one file in MB, for the upload hint."""
    return _megabytes("UPLOAD_MAX_BYTES")


@bp.get("/applications/<id:application_id>/materials")
def materials(application_id: int):
    """申请材料: the checklist of the person's own application, with what may be uploaded, replaced or removed now."""
    application = own_application_or_404(application_id)
    items = service.checklist(application)
    stage = "all" if application.status.value == "draft" else service.AFTER_SUBMIT
    return render_template("applicant/materials/page.html", application=application, items=items, stage=stage,
                           next_url=url_for("applicant.materials", application_id=application.id),
                           person=current_person())


@bp.post("/applications/<id:application_id>/materials/<item>/upload")
def material_upload(application_id: int, item: str):
    """Upload one or more files (pages, photos) to an item; with ``replace`` the first takes that file's place."""
    application = own_application_or_404(application_id)
    if item not in service.LABELS:
        abort(404)
    form = ActionForm()
    if not form.validate():
        abort(400)
    files = [storage for storage in request.files.getlist("file") if storage and storage.filename]
    replace = request.form.get("replace", type=int)
    try:
        if not files:
            raise DomainError(_l("请选择要上传的文件。"), field="file")
        # at most one byte over the limit is read: inspect() then refuses the file as too large
        data = [storage.read(current_app.config["UPLOAD_MAX_BYTES"] + 1) for storage in files]
        added = service.upload(application, current_person(), item, data, utcnow(), replace=replace)
    except DomainError as error:
        return _failed(application, item, error)
    except NotFound:
        rollback_only()
        abort(404)
    flash(_("「%(item)s」已上传 %(count)d 个文件。", item=service.LABELS[item], count=len(added)), "success")
    return _back(application, item)


@bp.post("/applications/<id:application_id>/materials/<id:material_id>/remove")
def material_remove(application_id: int, material_id: int):
    """删除 one file (where the stage allows it)."""
    application = own_application_or_404(application_id)
    material = _material_or_404(application, material_id)
    form = ActionForm()
    if not form.validate():
        abort(400)
    item = material.item
    try:
        service.remove(application, current_person(), material.id, utcnow())
    except DomainError as error:
        return _failed(application, item, error)
    return _back(application, item)


@bp.get("/applications/<id:application_id>/materials/<id:material_id>")
def material_file(application_id: int, material_id: int):
    """The file inline (``?thumbnail=1``: its small JPEG; ``?page=N``: page N of a PDF as PNG), named by its item
    and position."""
    application = own_application_or_404(application_id)
    material = _material_or_404(application, material_id)
    return file_response(material, request.args)


def file_response(material: ApplicationMaterial, args) -> Response:
    """The response for a file, its thumbnail or a PDF page (shared with the console): inline, named from the
    item and position, ``nosniff``, never cached."""
    try:
        if args.get("thumbnail") == "1" and material.thumbnail_key:
            data, mimetype, suffix = service.read(material, thumbnail=True), "image/jpeg", "thumbnail.jpg"
        elif args.get("page") is not None:  # a PDF's page as an image (``thumbnail=1``: small)
            page = args.get("page", type=int)
            width = uploads.THUMBNAIL_SIDE if args.get("thumbnail") == "1" else service.PAGE_WIDTH
            data, mimetype = service.pdf_page_png(material, page, width), "image/png"
            suffix = f"p{page}.png"
        else:
            data, mimetype, suffix = service.read(material), material.content_type, ""
    except (NotFound, DomainError):
        abort(404)
    response = Response(data, mimetype=mimetype)
    name = service.served_name(material, suffix=suffix)
    ascii_name = service.served_name(material, ascii_name=True, suffix=suffix)
    response.headers["Content-Disposition"] = content_disposition(
        "attachment" if args.get("download") == "1" else "inline", ascii_name, name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
