"""The applicant side: public pages under ``/`` (blueprint ``public``) and the applicant's own pages under
``/applicant/`` (blueprint ``applicant``)."""

from flask import Blueprint

public_bp = Blueprint("public", __name__, template_folder="templates")
bp = Blueprint("applicant", __name__, url_prefix="/applicant", template_folder="templates")

# The view modules, each adding its routes to its blueprint; then the one gate of the applicant's pages.
from . import (  # noqa: E402, F401
    account,  # 个人页面, 修改密码, 首次登录补全信息, 更新身份证号
    apply,  # 初始, 逾期初始, 变更, 重新, 注销: entry pages and the steps only they have
    auth,  # 注册申请登录, 安全退出, 设置密码, 忘记密码
    certificates,  # 电子注册证书 download, /verify, 注册人员查询
    guards,
    materials,  # 申请材料: upload, replace, remove, the files
    public,  # public pages
    renewal,  # 延续注册's entry page; every kind's 个人基本信息, 预览, 上报; 延续注册's 聘用单位信息
    renewal_history,  # 历史记录, an application, its PDF, 撤回
    renewal_records,  # every kind's 继续教育信息 and 工作经历: CE entries, work history
    session,  # 结束其他登录并继续; the idle warning: 继续, the idle logout that keeps a draft
)

bp.before_request(guards.applicant_gate)
