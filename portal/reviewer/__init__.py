"""The reviewer console (Flask-Admin) under ``/reviewer/`` — placeholder until the console issue fills it."""

from flask import Blueprint, Flask, render_template

placeholder_bp = Blueprint("reviewer", __name__, url_prefix="/reviewer", template_folder="templates")


@placeholder_bp.get("/")
def index():
    """审核控制台."""
    return render_template("reviewer/placeholder.html")


def init_console(app: Flask) -> None:
    """Build the console for this app (never a module-global Admin)."""
    app.register_blueprint(placeholder_bp)
