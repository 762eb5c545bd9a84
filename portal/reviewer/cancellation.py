"""办理注销: a registration body files the 注销 of a person of its own whose registration is valid (death, loss of
civil capacity, 撤销, 吊销, a criminal penalty, the employer's request, other grounds). The
form asks the ground and a note, a confirmation page asks once more, and the service
(``portal.services.registration.cancellation.file_by_body``) files it straight to the center's 审批 queue, where it
is confirmed (确认注销) or not from the usual detail page.

The routes are the person page's (``PersonView`` mixes this in): the person is loaded through the view's scope, so
a reviewer of another body gets a 404 and the attempt is audit-logged.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..clock import today, utcnow
from ..forms import SiteForm, select_choices
from ..i18n import lazy_gettext as _l
from ..models import CertificateStatus, Person
from ..services.registration.cancellation import NOTE_MAX_LENGTH, file_by_body, may_file
from ..services.registration.kinds import BODY_GROUNDS, pending_filed_cancellation
from .gate import attempt, current_staff


def _grounds():
    return select_choices(BODY_GROUNDS.items(), str(_l("请选择")))


class CancellationForm(SiteForm):
    """The ground (a code of ``BODY_GROUNDS``) and the note; ``confirmed`` from the confirmation page. The person
    is named by the URL (``?id=``), for the form, the confirmation and the filing alike."""

    ground = SelectField(_l("注销情形"), choices=_grounds, validators=[DataRequired(_l("请选择注销情形。"))])
    note = TextAreaField(_l("情况说明"), validators=[
        Length(max=NOTE_MAX_LENGTH, message=_l("情况说明不能超过%(max)d个字。", max=NOTE_MAX_LENGTH))],
        filters=[lambda text: text.replace("\r\n", "\n").strip() if text else text],
        description=_l("写明发生的情况、日期和依据的证明材料（例如死亡证明、法院判决书、聘用单位的注销申请），"
                       "注册管理中心据此确认；注销情形为“其他”时必填。"))
    confirmed = HiddenField()

    def validate_note(self, field) -> None:
        if self.ground.data == "other" and not field.data:  # the service's rule, asked before the confirmation
            raise ValidationError(_l("注销情形为“其他”时，请填写说明。"))

    @property
    def ground_label(self):
        return BODY_GROUNDS.get(self.ground.data, "")


def valid_certificate(person: Person):
    """The person's registration when it is valid today (the only kind a body may file the 注销 of), else None."""
    certificate = person.current_certificate
    if certificate is None or certificate.status is not CertificateStatus.VALID or certificate.is_expired(today()):
        return None
    return certificate


def may_file_cancellation(person: Person, staff) -> bool:
    """The 「办理注销」 button: a reviewer of the person's body (the center confirms, it does not file), a valid
    registration, none filed yet."""
    return may_file(staff, person) and valid_certificate(person) is not None \
        and pending_filed_cancellation(person) is None


class CancellationActions:
    """Mixed into ``PersonView``: 办理注销 (form, confirmation, filing)."""

    @expose("/cancel/", methods=("GET", "POST"))
    def cancel_view(self):
        """办理注销: the form (GET), the confirmation page (a valid POST), then the filing (the confirmed POST)."""
        # the person through the view's scope: another body's person answers 404 and is audit-logged
        person = self.get_one(request.args.get("id"))
        form = CancellationForm(formdata=request.form if request.method == "POST" else None)
        staff = current_staff()
        back = url_for(".details_view", id=person.id)
        if not may_file(staff, person):  # central staff: the center confirms what a body files
            flash(_l("注销注册由该人员所属的注册机构办理，报注册管理中心确认。"), "warning")
            return redirect(back)
        filed = pending_filed_cancellation(person)
        if filed is not None:
            flash(_l("已为该人员办理注销（申请编号 %(number)s），正在等待注册管理中心确认。", number=filed.number),
                  "warning")
            return redirect(back)
        if valid_certificate(person) is None:
            flash(_l("该人员没有有效的注册，无需办理注销。"), "warning")
            return redirect(back)
        show_form = lambda: self._render_cancellation(person, form)  # noqa: E731
        if request.method == "GET" or not form.validate() or request.form.get("edit"):
            return show_form()
        if form.confirmed.data != "1":
            return self.render("reviewer/cancellation_confirm.html", person=person, form=form,
                               certificate=valid_certificate(person), return_url=back)
        application = attempt(lambda: file_by_body(person, staff, form.ground.data, form.note.data, utcnow()),
                              back=None, form=form, show_form=show_form)
        flash(_l("已办理注销（申请编号 %(number)s），已报注册管理中心确认。", number=application.number), "success")
        return redirect(url_for("reviewer_applications.details_view", id=application.id))

    def _render_cancellation(self, person: Person, form: CancellationForm):
        return self.render("reviewer/cancellation_new.html", person=person, form=form,
                           certificate=valid_certificate(person),
                           return_url=url_for(".details_view", id=person.id))
