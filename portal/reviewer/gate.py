"""The console's one gate and one place of jurisdiction.

Every console view inherits ``ConsoleGate``: only an active staff member gets in (anyone else goes to the console
login), a staff member who must change the password does that first, and central-only views refuse reviewers.
``ReviewerModelView`` scopes ``get_query``, ``get_count_query`` and ``get_one`` with
``portal.services.review.queue.scoped``, so lists, counts, detail pages, exports and actions all see only the
reviewer's own body; another body's record by URL answers 404 and the attempt is audit-logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, make_response, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_admin.model.filters import BaseDateBetweenFilter
from flask_login import current_user
from sqlalchemy import ARRAY, any_, func, select, union

from ..auth import login_prompt
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Staff
from ..services.errors import DomainError
from ..services.infrastructure.audit import record
from ..services.review import queue as review_queue
from ..transaction import rollback_only
from ..validators import mask_id_number
from .forms import RecordForm

T = TypeVar("T")
LOGIN_ENDPOINT = "reviewer_auth.login"
#: the last list page one may ask for (deeper pages are refused: use the search and filters)
MAX_PAGE = 10_000
PASSWORD_ENDPOINT = "reviewer_auth.password"  # noqa: S105 - an endpoint name, not a password


def current_staff() -> Staff | None:
    """The logged-in, active staff member, or None (anonymous or an applicant)."""
    user = current_user._get_current_object()  # the object itself: login_user() must never get the proxy
    if user and user.is_authenticated and getattr(user, "is_staff", False) and user.is_active:
        return user
    return None


def attempt(action: Callable[[], T], *, back: str | None, form=None,
            show_form: Callable[[], Response] | None = None) -> T:
    """Run a console action and return its result; when a rule says no (``DomainError``) the request's changes are
    rolled back and the message shown, and the request ends here: beside the form's field the error names (the page
    shown again by ``show_form``), else flashed with a redirect to ``back`` (or, when ``back`` is None, at the top of
    the form shown again). A missing or foreign record (``NotFound``) goes on to the one 404 handler."""
    try:
        return action()
    except DomainError as error:
        rollback_only()
        if show_form is not None and form is not None and (back is None or hasattr(form, error.field or "")):
            if error.field and hasattr(form, error.field):
                getattr(form, error.field).errors.append(error.message)
            else:
                form.form_errors.append(error.message)
            abort(make_response(show_form()))
        flash(error.message, "error")
        abort(redirect(back))


def deny(target, summary: str, code: int = 404):
    """Refuse a request that crosses a boundary: write an ``access.denied`` audit row, kept although the
    request fails (the request's other changes are discarded), then answer ``code``."""
    staff = current_staff()
    db.session.rollback()
    record("access.denied", summary[:500], staff=staff, target=target,
           body_id=staff.body_id if staff is not None else None,
           data={"path": request.path, "method": request.method}, ip=request.remote_addr)
    db.session.commit()
    abort(code)


class ConsoleGate:
    """Mixed into every console view (Flask-Admin ``BaseView`` or ``ModelView``)."""

    #: only central staff (注册管理中心) may use the view
    central_only = False

    def is_accessible(self) -> bool:
        staff = current_staff()
        return staff is not None and (staff.is_central or not self.central_only)

    def _handle_view(self, name, **kwargs):
        staff = current_staff()
        if staff is None:
            return self.inaccessible_callback(name, **kwargs)
        if staff.must_change_password:
            flash(_l("请先修改密码后再使用控制台。"), "warning")
            return redirect(url_for(PASSWORD_ENDPOINT))
        if self.central_only and not staff.is_central:
            deny(None, f"审核人员 {staff.username} 试图打开仅限注册管理中心的页面 {request.path}", code=403)
        if name in self.disabled_views():
            abort(404)
        return None

    def disabled_views(self) -> set[str]:
        """Endpoints of this view that are switched off: they answer 404, like a page that does not exist."""
        return set()

    def _run_view(self, fn, *args, **kwargs):
        # Flask-Admin retries a view that raised TypeError with other arguments, hiding the real error.
        return fn(self, *args, **kwargs)

    def inaccessible_callback(self, name, **kwargs):
        """Anyone who is not a logged-in staff member goes to the console login (and comes back afterwards)."""
        if current_user.is_authenticated:
            flash(_l("控制台仅供注册机构和注册管理中心的工作人员使用，请使用工作人员账号登录。"), "warning")
        else:
            flash(login_prompt(), "warning")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for(LOGIN_ENDPOINT, next=target))


class ReviewerView(ConsoleGate, BaseView):
    """A console page that is not a model list."""


class CentralOnlyView(ReviewerView):
    central_only = True


class ReviewerModelView(ConsoleGate, ModelView):
    """A console list over one model, read-only unless a subclass says otherwise, scoped to the staff's body."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_set_page_size = False
    page_size = 20
    #: the rows built in one Python pass per page (``listing.lean_rows``); the template falls back to Flask-Admin's
    #: own rows for views with edit or delete buttons
    list_template = "reviewer/list.html"
    #: no count(*) over big tables: a previous/next pager
    simple_list_pager = True
    #: search by prefix with indexes (big tables) rather than by substring
    prefix_search = False
    #: what a list page reads of each row — the attributes its columns and formatters use, ``"person.name"`` for a
    #: related record's — loaded as plain rows (``get_list``); None: ORM objects (the small tables)
    list_row_attributes: tuple[str, ...] | None = None

    def __init__(self, model, **kwargs):
        super().__init__(model, db, **kwargs)

    def disabled_views(self) -> set[str]:
        """Flask-Admin registers create/edit/delete/export/ajax/action routes on every model view; those this view
        does not offer answer 404 instead of redirecting."""
        switches = {"create_view": self.can_create, "edit_view": self.can_edit, "delete_view": self.can_delete,
                    "export": self.can_export, "ajax_update": bool(self.column_editable_list),
                    "ajax_lookup": bool(self.form_ajax_refs), "action_view": bool(self.get_actions_list()[0])}
        return {name for name, enabled in switches.items() if not enabled}

    def render(self, template, **kwargs):
        """Pages render as Flask-Admin renders them; the list gets its rows built once (``listing.lean_rows``)."""
        if template == self.list_template and "data" in kwargs and "return_url" in kwargs:
            from .listing import lean_rows

            kwargs["lean_rows"] = lean_rows(self, kwargs["data"], kwargs["return_url"])
        return super().render(template, **kwargs)

    def validate_form(self, form) -> bool:
        """Validate, then turn translatable (lazy) messages into text: Flask-Admin's templates show only errors
        that are plain strings."""
        valid = super().validate_form(form)
        for field in form:
            if isinstance(field.errors, list):
                field.errors[:] = [str(error) if not isinstance(error, (dict, list)) else error
                                   for error in field.errors]
        return valid

    @property
    def scoped_model(self) -> bool:
        return self.model in review_queue.SCOPE_COLUMNS

    def get_query(self):
        return self._scope(self.listed(super().get_query()))

    def get_count_query(self):
        return self._scope(self.listed(super().get_count_query()))

    def listed(self, query):
        """``query`` (ORM query or select) limited to the records this view lists, whoever looks (a subclass says
        which: submitted applications, say); ``_scope`` then limits it to the staff's body."""
        return query

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's ``get_list``; but a page of a view with ``list_row_attributes`` is read as plain rows
        (``listing.row_select``) instead of ORM objects with their related objects — about half the CPU of loading
        20 rows (issue 10), and nothing for the end-of-request commit to expire — through the same steps: the
        staff's scope, Flask-Admin's search, filters, order and page (``_apply_*``, which work on a select too).
        Lists without a count only (``simple_list_pager``); an unexecuted query (the export) stays ORM."""
        if self.list_row_attributes is None or not execute or not self.simple_list_pager:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        from .listing import plain_rows

        statement, paths, joins = self._row_select
        statement, joins = self._scope(self.listed(statement)), dict(joins)
        if self._search_supported and search:
            statement, _count, joins, _count_joins = self._apply_search(statement, None, joins, {}, search)
        if filters and self._filters:
            statement, _count, joins, _count_joins = self._apply_filters(statement, None, joins, {}, filters)
        statement, joins = self._apply_sorting(statement, joins, sort_column, sort_desc)
        statement = self._apply_pagination(statement, page, page_size)
        return None, plain_rows(db.session.execute(statement), paths)

    def _scope(self, query):
        staff = current_staff()
        if self.scoped_model and staff is not None:
            return review_queue.scoped(query, self.model, staff)
        return query

    def get_one(self, id):
        """The record by id within the staff's jurisdiction; 404 (audit-logged when it exists elsewhere)."""
        staff = current_staff()
        if not self.scoped_model:
            obj = review_queue.get_any(self.model, id)
        else:
            obj = review_queue.get_in_scope(self.model, id, staff)
            if obj is None and review_queue.exists(self.model, id):
                deny(review_queue.get_any(self.model, id),
                     f"{staff.username} 试图访问其他注册机构的{self.model.__name__} #{id}")
        if obj is None:
            abort(404)
        return obj

    def _apply_search(self, query, count_query, joins, count_joins, search: str):
        """Search by prefix: each typed word must begin one of the searchable columns (姓名 as typed from the
        surname, 证件号码 or 申请编号 from the start). Unlike Flask-Admin's ``ILIKE '%word%'``, a prefix ``LIKE`` uses
        the ``*_prefix`` indexes, so a search over a million people stays fast (bench/pages.py). Views over small
        tables keep Flask-Admin's contains-search (``prefix_search = False``)."""
        if not self.prefix_search:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        for term in search.split():
            matches = self._prefix_matches(prefix_pattern(term))
            query = query.filter(matches)
            if count_query is not None:
                count_query = count_query.filter(matches)
        return query, count_query, joins, count_joins

    def _prefix_matches(self, pattern: str):
        """The rows with a searchable column starting with ``pattern``: the ids of the rows each column's prefix
        index finds, one SELECT per column, united; a related record's column is matched on that record's ids
        (``ids_among``), never through a join. (An OR across joined tables makes PostgreSQL filter every joined row
        instead: 815 ms p95 over 200,000 applications; a join to the matching people let it choose a scan of every
        application when it guessed too many people.)"""
        key = self.model.__mapper__.primary_key[0]
        selects = []
        for field, path in self._search_fields:
            matching = select(_primary_key(field.table)).where(field.like(pattern, escape="\\"))
            for relationship in reversed(path):  # many-to-one: the rows holding the matching records' ids
                (holder,) = relationship.property.local_columns
                matching = select(_primary_key(holder.table)).where(ids_among(holder, matching))
            selects.append(matching)
        return ids_among(key, union(*selects) if len(selects) > 1 else selects[0])

    @cached_property
    def _row_select(self):
        """``listing.row_select`` of ``list_row_attributes``, built once: its aliases proxy every column of their
        table (about 2 ms a page when built for each)."""
        from .listing import row_select

        return row_select(self.model, self.list_row_attributes)

    def posted_record(self):
        """The record named by a POSTed ``RecordForm`` (a hidden id and the CSRF token), within the staff's scope."""
        form = RecordForm()
        if not form.validate():
            abort(400)
        return self.get_one(form.id.data)

    def _get_list_extra_args(self):
        """The list's URL arguments, with a page number the database accepts (no negative or huge offsets)."""
        args = super()._get_list_extra_args()
        if args.page is not None and not 0 <= args.page <= MAX_PAGE:
            args.page = 0
        return args

    def _get_filter_groups(self):
        """The filter menu: the 注册机构 filter (``filters.BodyFilter``) for central staff only, with today's bodies.
        Flask-Admin's translated labels and choices are made once per view and language (``frame``)."""
        from .filters import adjust_filter_groups
        from .frame import cached_value

        groups = cached_value(("filter_groups", self.endpoint), super()._get_filter_groups)
        return adjust_filter_groups(groups, current_staff())


class CentralOnlyModelView(ReviewerModelView):
    central_only = True


# --- filters ----------------------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_day_start(day) -> datetime:
    """Midnight of a calendar day in China, as UTC (stored timestamps are UTC)."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC)


class LocalDateBetweenFilter(BaseSQLAFilter, BaseDateBetweenFilter):
    """A date range (both days included, China time) over a UTC timestamp column."""

    def __init__(self, column, name):
        super().__init__(column, name, data_type="daterangepicker")

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        return query.filter(column >= local_day_start(start), column < local_day_start(end + timedelta(days=1)))


class ChoiceFilter(FilterEqual):
    """Equality with a fixed list of codes; any other value is rejected as invalid (never reaches the DB)."""

    def __init__(self, column, name, choices):
        super().__init__(column, name, options=choices)
        self.codes = {code for code, _label in choices}

    def validate(self, value) -> bool:
        return value in self.codes


def prefix_pattern(term: str) -> str:
    """``LIKE`` pattern for values starting with ``term`` (wildcards in it escaped; a final x of an ID upper-cased)."""
    term = term.strip()
    if term[:-1].isdigit() and term[-1:] == "x":
        term = term[:-1] + "X"
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def ids_among(column, ids):
    """``column IN (ids)`` for a SELECT of ids; on PostgreSQL ``column = ANY(ARRAY(ids))``. The array is computed
    first and looked up through ``column``'s index, whatever number of rows the planner guesses ``ids`` gives: with
    ``IN``, a guess of 10,000 people named 王伟 (479 in fact) made it hash-join a scan of the whole table, 280 ms
    instead of 3 (issue 10)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(ids)
    return column == any_(func.array(ids.scalar_subquery(), type_=ARRAY(column.type)))


def _primary_key(table):
    (key,) = table.primary_key.columns
    return key


def masked(attribute: str = "id_number"):
    """A list/export formatter showing an ID number masked."""
    def formatter(view, context, model, name):
        obj = model
        for part in name.split(".")[:-1]:
            obj = getattr(obj, part)
        return mask_id_number(getattr(obj, attribute))
    return formatter
