"""Public pages (no login)."""

from flask import render_template

from . import public_bp


@public_bp.get("/")
def index():
    """注册系统首页."""
    return render_template("applicant/index.html")
