"""Error pages in the user's language, never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .services.errors import NotFound

MESSAGES = {
    400: (_l("请求有误"), _l("提交的内容无法处理，请返回上一页检查后重试。")),
    403: (_l("无权访问"), _l("您没有访问此页面的权限。")),
    404: (_l("页面不存在"), _l("您要访问的页面不存在，或者您无权查看。")),
    405: (_l("请求方式不允许"), _l("请从系统页面中的链接或按钮进入。")),
    413: (_l("文件过大"), _l("上传的文件超过了允许的大小。")),
    429: (_l("操作过于频繁"), _l("您的操作过于频繁，请稍后再试。")),
    500: (_l("系统错误"), _l("系统暂时无法处理您的请求，请稍后再试。如问题持续，请联系注册管理中心。")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _l("页面已过期或来源不正确，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        """A service said the record is missing or someone else's: nothing of the request is kept, 404."""
        from .extensions import db

        db.session.rollback()
        return render_error(404)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        from .extensions import db

        db.session.rollback()
        return render_error(500)
