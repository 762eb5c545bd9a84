"""The audit log's action codes in words (Chinese; English through the catalog), for the console's log and its
filter. A code missing here is shown as it is stored, so a new action never disappears from the log."""

from __future__ import annotations

from ...i18n import lazy_gettext as _l

ACTION_LABELS = {
    # applicants
    "account.login": _l("申请人登录"),
    "account.locked": _l("申请人账号锁定"),
    "account.set_password": _l("申请人设置密码"),
    "account.change_password": _l("申请人修改密码"),
    "account.reset_requested": _l("申请人申请找回密码"),
    "account.reset_password": _l("申请人通过邮件重设密码"),
    "account.complete_profile": _l("申请人补全信息"),
    "account.upgrade_id": _l("申请人更新身份证号"),
    "account.session_taken_over": _l("申请人结束其他登录"),
    "application.submit": _l("申请人上报"),
    "application.resubmit": _l("申请人重新上报"),
    "application.withdraw": _l("申请人撤回"),
    "certificate.issued": _l("签发电子注册证书"),
    "certificate.downloaded": _l("下载电子注册证书"),
    # review
    "application.view": _l("查看申请"),
    "application.pdf": _l("查看申请表 PDF"),
    "application.export": _l("导出申请列表"),
    "application.summary_export": _l("导出申请注册人员汇总表"),
    "application.initial_pass": _l("初审通过"),
    "application.return": _l("退回修改"),
    "application.initial_reject": _l("初审不通过"),
    "application.approve": _l("准予注册（审批通过）"),
    "application.file_cancellation": _l("注册机构办理注销"),
    "application.close": _l("终止办理（注册已注销）"),
    "application.refuse": _l("不予注册"),
    "application.bulk_initial_pass": _l("批量初审通过"),
    "application.bulk_approve": _l("批量准予注册"),
    "application.materials_marked": _l("退回时要求更换材料"),
    "application.paper_received": _l("登记纸质材料已收到"),
    "material.view": _l("查看申请材料"),
    "application.claim": _l("认领申请"),
    "application.release": _l("释放认领"),
    "checklist.create": _l("新增退回补正项目"),
    "checklist.update": _l("修改退回补正项目"),
    "checklist.delete": _l("删除退回补正项目"),
    # people and corrections
    "person.view": _l("查看注册人员"),
    "applicant.password_reset": _l("为申请人设置临时密码"),
    "applicant.unlock": _l("为申请人解锁"),
    "correction.file": _l("提交证件信息更正"),
    "correction.apply": _l("予以更正"),
    "correction.refuse": _l("不予更正"),
    "correction.view": _l("查看证件信息更正"),
    "correction.scan_view": _l("查看传真扫描件"),
    # staff
    "staff.login": _l("工作人员登录"),
    "staff.login_refused": _l("工作人员登录被拒绝"),
    "staff.logout": _l("工作人员退出"),
    "staff.create": _l("创建工作人员账号"),
    "staff.enable": _l("启用工作人员账号"),
    "staff.disable": _l("停用工作人员账号"),
    "staff.password_change": _l("工作人员修改密码"),
    "staff.password_reset": _l("为工作人员设置临时密码"),
    "staff.unlock": _l("为工作人员解锁"),
    # content and data
    "body.create": _l("新增注册机构"),
    "body.update": _l("修改注册机构"),
    "body.delete": _l("删除注册机构"),
    "announcement.create": _l("新增公告"),
    "announcement.update": _l("修改公告"),
    "announcement.delete": _l("删除公告"),
    "document.create": _l("新增文件"),
    "document.update": _l("修改文件"),
    "document.delete": _l("删除文件"),
    "calendar_day.create": _l("新增工作日历日期"),
    "calendar_day.update": _l("修改工作日历日期"),
    "calendar_day.delete": _l("删除工作日历日期"),
    "import.bodies": _l("导入注册机构"),
    "import.exam-records": _l("导入考试合格人员"),
    "import.registered": _l("导入注册人员"),
    "import.console": _l("控制台导入数据"),
    # security
    "access.denied": _l("越权访问被拒绝"),
    "mail.failed": _l("通知邮件发送失败"),
    "mail.retry": _l("重新发送邮件"),
}


def action_label(code: str) -> str:
    """The action in words in the current language, or the code itself when it has no label yet."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_choices() -> list[tuple[str, str]]:
    """(code, words) for the log's filter, in the order above."""
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]
