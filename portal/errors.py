"""Error pages in the user's language, never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .i18n import lazy_gettext as _l
from .services.errors import NotFound
from .transaction import DATABASE_UNAVAILABLE, discard_changes

MESSAGES = {
    400: (_l("请求有误"), _l("提交的内容无法处理，请返回上一页检查后重试。")),
    403: (_l("无权访问"), _l("您没有访问此页面的权限。")),
    404: (_l("页面不存在"), _l("您要访问的页面不存在，或者您无权查看。")),
    405: (_l("请求方式不允许"), _l("请从系统页面中的链接或按钮进入。")),
    413: (_l("文件过大"), _l("上传的文件超过了允许的大小。")),
    429: (_l("操作过于频繁"), _l("您的操作过于频繁，请稍后再试。")),
    500: (_l("系统错误"), _l("系统暂时无法处理您的请求，请稍后再试。如问题持续，请联系注册管理中心。")),
    503: (_l("系统维护中，暂时无法访问"),
          _l("系统正在维护或暂时无法访问，请稍后再试。如您刚才提交了内容，请在恢复后重新提交。")),
}
#: seconds a client is asked to wait before trying again while the database is unreachable
RETRY_AFTER_SECONDS = 60


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def _route() -> str:
    """The request's route for the log: its rule, so that a secret in the path (a reset link's token) stays out."""
    return request.url_rule.rule if request.url_rule else request.path


def database_unavailable(error: Exception):
    """The database is down, refuses connections or dropped this request's connection: the 503 page, rendered
    without loading the signed-in user (portal/auth.py), so visitors, applicants and staff all see it."""
    current_app.logger.error("Database unavailable on %s %s: %s", request.method, _route(),
                             getattr(error, "orig", None) or error)
    g.database_unavailable = True
    discard_changes()
    body, code = render_error(503)
    return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        """A form without a valid token, or from another site: logged (never the token) for the operator; over
        plain HTTP with Secure cookies the browser drops the session, so the page says to use HTTPS."""
        current_app.logger.warning("CSRF check failed on %s %s (%s, from %s): %s", request.method, _route(),
                                   request.scheme, request.remote_addr, error.description)
        if not request.is_secure and current_app.config.get("SESSION_COOKIE_SECURE"):
            return render_error(400, _l("本系统必须通过 HTTPS（https://）访问：当前连接未加密，浏览器不会保存登录所需的"
                                        "安全 Cookie，因此无法提交。请改用 https:// 地址访问，或联系系统管理员。"))
        return render_error(400, _l("页面已过期或来源不正确，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        """A service said the record is missing or someone else's: nothing of the request is kept, 404."""
        discard_changes()
        return render_error(404)

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        """An unhandled error; a commit that failed because the database went away (raised after the view, so it
        arrives here) is the 503 page too."""
        if isinstance(error.original_exception, DATABASE_UNAVAILABLE):
            return database_unavailable(error.original_exception)
        discard_changes()
        return render_error(500)
