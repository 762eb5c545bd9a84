"""The applicant's own pages: the personal page (功能目录 + 公告信息), 修改密码, 首次登录补全信息, 更新身份证号.

The gate in guards.py has already checked that a person is logged in and sent them to 修改密码 / 补全信息 when due.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from .. import clock
from ..auth import read_for_page, read_with_account
from ..clock import utcnow
from ..i18n import lazy_gettext as _l
from ..models import OPEN_STATUSES, ApplicationKind, ApplicationStatus
from ..services.accounts import applicants as accounts
from ..services.accounts.personal_notices import (
    RECORDS_WITH_ACCOUNT,
    certificate_standing,
    personal_notices,
    personal_records,
)
from ..services.errors import DomainError
from ..services.registration import kinds
from ..transaction import rollback_only
from . import bp
from .forms import ChangePasswordForm, CompleteProfileForm, UpdateIdForm, attach_error
from .renewal_wizard import index_url, life_rules, resume_url, same_kind


@bp.get("/")
def home():
    """个人页面: greeting, the current certificate (「变更中」 while a 变更注册 is pending), the 功能目录 — the kinds
    of registration this person may start now, the open application to go on with, and for the others why not —
    and the 公告信息 panel (guide 三, 图54)."""
    person = current_user._get_current_object()
    today, window_months = clock.today(), current_app.config["RENEWAL_WINDOW_MONTHS"]
    certificate = person.current_certificate
    standing = certificate_standing(certificate, today, window_months) if certificate is not None else None
    # one statement for the 公告信息, the 功能目录 and 继续办理, or none: the login check read them on PostgreSQL
    records = personal_records(person, read=read_for_page())
    notices = personal_notices(person, today, window_months, records=records)
    open_applications = records.open
    current = open_applications[0]
    changing = (current is not None and current.kind is ApplicationKind.CHANGE
                and current.status in OPEN_STATUSES and current.status is not ApplicationStatus.DRAFT)
    return render_template("applicant/home.html", person=person, certificate=certificate, standing=standing,
                           notices=notices, offers=catalogue_offers(person, open_applications), changing=changing)


read_with_account("applicant.home", RECORDS_WITH_ACCOUNT)


def catalogue_offers(person, open_applications) -> list[Offer]:
    """功能目录: each kind with what the person can do about it now — 继续办理 the open application, start one
    (its entry page), or why not (shown when asked). ``open_applications``: ``kinds.open_applications_of(person)``,
    the person's own and a body's filed 注销."""
    current = open_applications[0]
    offers = []
    for eligibility in kinds.catalogue(person, clock.today(), life_rules(), open_applications=open_applications):
        spec = kinds.SPECS[eligibility.kind]
        resuming = current is not None and same_kind(current.kind, eligibility.kind)
        url = resume_url(current) if resuming else index_url(eligibility.kind)
        offers.append(Offer(eligibility.kind, eligibility.kind.label, spec.summary, eligibility.ok,
                            eligibility.reason, resuming, url))
    return offers


class Offer(NamedTuple):
    """One kind in the 功能目录. (A tuple, not a dict: Jinja reads ``o.label`` as an attribute first, and a dict's
    failed attribute lookup raised and caught an exception for each of the page's ~40 reads.)"""

    kind: ApplicationKind
    label: object  # a lazy translation
    summary: object
    ok: bool
    reason: str | None
    resuming: bool
    url: str


@bp.route("/change-password", methods=["GET", "POST"])
def change_password():
    """修改密码; a temporary password set by a registration body must be changed here before anything else."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data,
                                     form.confirm.data, utcnow(), ip=request.remote_addr)
        except DomainError as error:
            rollback_only()
            attach_error(form, error)
        else:
            login_user(current_user._get_current_object())  # the token was rotated: this browser keeps the new one
            session.permanent = True
            flash(_l("密码已修改。"), "success")
            return redirect(url_for("applicant.home"))
    return render_template("applicant/change_password.html", form=form, temporary=current_user.must_change_password)


@bp.route("/complete-profile", methods=["GET", "POST"])
def complete_profile():
    """首次登录补全信息 (guide 四): 注册类别, 单位属性 and contact details."""
    person = current_user._get_current_object()
    form = CompleteProfileForm(obj=person)
    if form.validate_on_submit():
        try:
            accounts.complete_profile(person, form.category.data, form.employer_kind.data, form.email.data,
                                      form.mobile.data, ip=request.remote_addr)
        except DomainError as error:
            rollback_only()
            attach_error(form, error)
        else:
            flash(_l("信息已保存。"), "success")
            return redirect(url_for("applicant.home"))
    return render_template("applicant/complete_profile.html", form=form, person=person)


@bp.route("/update-id", methods=["GET", "POST"])
def update_id():
    """更新身份证号 (guide 五): from a 15-digit first-generation number to the same person's 18-digit number."""
    person = current_user._get_current_object()
    if not person.has_first_generation_id:
        flash(_l("您的证件号码无需更新。"), "info")
        return redirect(url_for("applicant.home"))
    form = UpdateIdForm()
    not_same_person = False
    old_number = person.id_number
    if form.validate_on_submit():
        try:
            accounts.upgrade_id_number(person, form.new_id_number.data, ip=request.remote_addr)
        except DomainError as error:
            rollback_only()
            not_same_person = isinstance(error, accounts.NotSamePerson)
            attach_error(form, error)
        else:
            return render_template("applicant/update_id_done.html", person=person, old_number=old_number)
    return render_template("applicant/update_id.html", form=form, person=person, not_same_person=not_same_person)
