"""电子注册证书 and the public register: the holder's download (``/applicant/certificate.pdf``), the public
verification page the QR code opens (``/verify/<token>``, or a serial typed in at ``/verify``), and 注册人员查询
(``/register``: exact lookups only, a captcha after a few from one address, rate-limited)."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from limits.storage import storage_from_string
from wtforms import StringField
from wtforms.validators import Length, Optional

from ..clock import today, utcnow
from ..extensions import limiter
from ..forms import CaptchaField, PortalForm
from ..i18n import lazy_gettext as _l
from ..services import certificates
from ..services.certificates.signing import SigningUnavailable
from ..services.documents.pdf import PdfRenderError
from ..transaction import rollback_only
from . import bp, public_bp
from .public import content_disposition

#: how long an address's count of register lookups is kept (the captcha is asked for after a few)
_LOOKUP_WINDOW_SECONDS = 24 * 3600
#: the address's lookup count when this browser last solved the captcha
_SOLVED_AT = "register_captcha_solved_at"


@bp.get("/certificate.pdf")
def certificate_download():
    """Download the signed electronic certificate of the holder's valid registration (issued at the first
    download if no approval has issued one yet); refused with the reason after 注销 or expiry."""
    try:
        issued, pdf = certificates.download(current_user, utcnow(), ip=request.remote_addr)
    except (certificates.DownloadRefused, SigningUnavailable, PdfRenderError) as refusal:
        rollback_only()
        flash(str(refusal), "error")
        return redirect(url_for("applicant.home"))
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", max_age=0)
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"{issued.number}.pdf", f"电子注册证书-{issued.number}.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


@public_bp.get("/verify/<token>")
@limiter.limit("60 per minute")
def verify_token(token: str):
    """The page the QR code opens: the certificate's live standing."""
    issued = certificates.find_by_token(token)
    if issued is None:
        abort(404)
    return _verification_page(issued)


@public_bp.get("/verify")
@limiter.limit("20 per minute")
def verify():
    """证书查验 by the serial printed on the certificate."""
    typed = (request.args.get("serial") or "").strip()[:40]
    if not typed:
        return render_template("applicant/verify.html", issued=None, typed="")
    issued = certificates.find_by_serial(typed)
    if issued is None:
        return render_template("applicant/verify.html", issued=None, typed=typed, not_found=True)
    return _verification_page(issued, typed=typed)


def _verification_page(issued, typed: str = ""):
    standing = certificates.standing(issued, today())
    response = current_app.make_response(render_template("applicant/verify.html", issued=issued, typed=typed,
                                                         standing=standing))
    response.headers["Cache-Control"] = "no-store"  # the standing is live
    return response


class RegisterLookupForm(PortalForm):
    """注册人员查询: by name and 执业证 number, or by the employer's full name. A GET form (nothing changes)."""

    class Meta(PortalForm.Meta):
        csrf = False

    name = StringField(_l("姓名"), validators=[Optional(), Length(max=50)])
    number = StringField(_l("执业证编号"), validators=[Optional(), Length(max=32)])
    employer = StringField(_l("聘用单位全称"), validators=[Optional(), Length(max=200)])
    captcha = CaptchaField()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        name, number, employer = (self.name.data or "").strip(), (self.number.data or "").strip(), \
            (self.employer.data or "").strip()
        if not employer and not (name and number):
            if name and not number:
                self.number.errors.append(_l("请同时输入执业证编号。"))
            elif number and not name:
                self.name.errors.append(_l("请同时输入姓名。"))
            else:
                self.name.errors.append(_l("请输入姓名和执业证编号，或输入聘用单位全称。"))
            ok = False
        return ok


def _lookup_counter():
    """Counts of lookups per address, kept where the rate limits are (Redis when ``REDIS_URL`` is set, so every
    worker and host counts together)."""
    counter = current_app.extensions.get("register_lookups")
    if counter is None:
        counter = current_app.extensions["register_lookups"] = storage_from_string(
            current_app.config["RATELIMIT_STORAGE_URI"])
    return counter


def _lookup_key() -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX') or 'portal'}/register-lookups/{request.remote_addr}"


def _lookups_so_far() -> int:
    return int(_lookup_counter().get(_lookup_key()) or 0)


def _count_lookup() -> None:
    _lookup_counter().incr(_lookup_key(), _LOOKUP_WINDOW_SECONDS)


@public_bp.get("/register")
@limiter.limit("30 per minute")
def register():
    """注册人员查询: name, 专业类别, employer, 执业证 number, validity and status — never ID numbers."""
    asked = any(request.args.get(field) for field in ("name", "number", "employer"))
    form = RegisterLookupForm(request.args if asked else None)
    lookups = _lookups_so_far()
    needs_captcha = current_app.config["CAPTCHA_ENABLED"] and \
        lookups - session.get(_SOLVED_AT, 0) >= current_app.config["REGISTER_FREE_LOOKUPS"]
    if not needs_captcha:
        del form.captcha
    if not asked:
        return render_template("applicant/register.html", form=form, entries=None, needs_captcha=needs_captcha)
    if not form.validate():
        return render_template("applicant/register.html", form=form, entries=None, needs_captcha=needs_captcha)
    if needs_captcha:
        session[_SOLVED_AT] = lookups  # a solved captcha allows a few more lookups
    _count_lookup()
    day = today()
    more = False
    if form.employer.data and form.employer.data.strip():
        entries, more = certificates.register_by_employer(form.employer.data, day)
    else:
        entries = certificates.register_by_number(form.name.data, form.number.data, day)
    return render_template("applicant/register.html", form=form, entries=entries, more=more,
                           limit=certificates.EMPLOYER_LOOKUP_LIMIT, needs_captcha=False)
