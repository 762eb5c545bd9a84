"""The console's lean list rendering (issue 10): a list page's rows are built in Python, once per page, instead of
through Flask-Admin's per-cell template machinery.

Flask-Admin's ``admin/model/list.html`` renders each cell through ``get_value`` and each row's buttons through a
macro that calls ``url_for``; with SQL at 6–10 ms that template was most of a list page (35–50 ms of CPU for 20
rows). ``lean_rows`` gives the same cells (each column's formatter, Flask-Admin's type formatters, escaped as the
template would) and the same 查看 button, with the per-row work that does not depend on the row done once per page:

- ``detail_urls``: ``url_for`` once per page, with a placeholder for the id;
- ``label`` / ``text``: a translated label or message, looked up once per page (``flask_babel`` resolves the
  domain and translations on every call);
- ``local_time``: a timestamp in the registry's time zone as ``YYYY-MM-DD HH:MM`` without Babel's pattern
  machinery (the patterns the console uses are plain digits in every locale).

The template ``reviewer/list.html`` prints the rows when the view built them (``lean_rows``), and falls back to
Flask-Admin's own row when it did not (views with edit or delete buttons: the small tables of 系统管理).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import url_for
from flask.globals import _cv_request
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import aliased

from .. import clock

#: the id placeholder in a URL built once per page (letters only: never escaped by url_for)
_ID = "LEANROWID"


def memo() -> dict:
    """A dict that lives as long as the request: per-page caches of labels, messages, URLs (kept in the request's
    environ, not in ``g``: a test's requests may share one app context, and a language switch between two requests
    must not see the other's labels). Outside a request, a fresh dict (nothing cached). Read through the request
    context's variable, not the ``request`` proxy: it is called for most cells of a page."""
    context = _cv_request.get(None)
    if context is None:
        return {}
    environ = context.request.environ
    cache = environ.get("portal.lean_list")
    if cache is None:
        cache = environ["portal.lean_list"] = {}
    return cache


def label(member) -> str:
    """``str(member.label)`` (an enum's translated label), looked up once per request."""
    cache = memo()
    key = ("label", type(member), member)
    found = cache.get(key)
    if found is None:
        found = cache[key] = str(member.label)
    return found


def text(lazy) -> str:
    """A lazy message without variables (``_l("已等待%(n)s个工作日")``) as the current language's text, looked up
    once per request; format it with ``%``, as ``flask_babel.gettext(msgid, n=…)`` does."""
    cache = memo()
    key = ("text", lazy._args)
    found = cache.get(key)
    if found is None:
        found = cache[key] = str(lazy)
    return found


def local_time(value: datetime | None, seconds: bool = False, time: bool = True) -> str:
    """``format_datetime(value, "yyyy-MM-dd HH:mm[:ss]")`` (or ``"yyyy-MM-dd"``): the instant in the registry's
    time zone (a naive value is UTC, as Babel takes it)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(clock.timezone())
    if not time:
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def html(template: str, *values) -> Markup:
    """``Markup(template).format(*values)`` — each value escaped into a literal template — at a tenth of its cost
    (Markup's own ``format`` and ``%`` escape through a formatter object per call: ~20 µs a cell)."""
    return Markup(template.format(*[escaped(value) for value in values]))  # noqa: S704 - every value escaped


def escaped(value) -> str:
    """``str(markupsafe.escape(value))`` without making a ``Markup`` object of every value: a cell's text with
    ``& < > ' "`` escaped as markupsafe escapes them, or the HTML of a value that has some (``__html__``)."""
    if type(value) is not str:
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    return (value.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;"))


def detail_urls(endpoint: str, **arguments) -> Callable[[object], str]:
    """``lambda pk: url_for(endpoint, id=pk, **arguments)``, with ``url_for`` called once per request."""
    cache = memo()
    key = ("url", endpoint, tuple(sorted(arguments.items())))
    build = cache.get(key)
    if build is None:
        before, _placeholder, after = url_for(endpoint, id=_ID, **arguments).partition(_ID)
        build = cache[key] = lambda pk: f"{before}{pk}{after}"
    return build


def lean_rows(view, data, return_url: str) -> list[Markup] | None:
    """The ``<td>`` cells of each row of ``data`` as Flask-Admin's list template would render them (its 查看
    button, then each column through ``view.get_list_value``), or None when the view's rows carry other buttons
    (edit, delete, extra actions), bulk actions (a checkbox per row) or editable cells, which keep Flask-Admin's
    template."""
    actions = view.get_list_row_actions() if view.column_display_actions else []
    if any(type(action).__name__ != "ViewRowAction" for action in actions) or view.get_actions_list()[0]:
        return None
    columns = [name for name, _label in view._list_columns]
    if any(view.is_editable(name) for name in columns):
        return None
    if actions:
        view_url = detail_urls(".details_view", url=return_url)
        title = escape(actions[0].title or "")
        button = (f'<td class="list-buttons-column"><a class="icon" href="{{}}" title="{title}"><span class="fa fa-eye '
                  'glyphicon glyphicon-eye-open"></span></a></td>')

        def first_cells(row):
            return [button.format(escape(view_url(view.get_pk_value(row))))]
    else:  # the buttons' column is there, empty, as in Flask-Admin's rows, unless the view hides it
        empty = ['<td class="list-buttons-column"></td>'] if view.column_display_actions else []

        def first_cells(row):
            return list(empty)
    cells = [(f'<td class="col-{escape(name)}">', name, view.column_formatters.get(name),
              view._column_choices_map.get(name)) for name in columns]
    type_formatter = _type_formatters(view)
    rows = []
    for row in data:
        parts = first_cells(row)
        for opening, name, formatter, choices in cells:
            # Flask-Admin's _get_list_value: the column's formatter (else the attribute), then its choices or the
            # formatter of the value's type
            value = formatter(view, None, row, name) if formatter is not None else view._get_field_value(row, name)
            if choices:
                value = choices.get(value) or value
            else:
                by_type = type_formatter(value)
                if by_type is not None:
                    value = by_type(view, value, name)
            parts.append(f"{opening}{escaped(value)}</td>")
        rows.append(Markup("".join(parts)))  # noqa: S704 - the row's every value is escaped above
    return rows


def _type_formatters(view) -> Callable[[object], Callable | None]:
    """The view's formatter for a value's type, as ``_get_list_value`` finds it (the first of
    ``column_type_formatters`` the value is an instance of), looked up once per type and page."""
    found: dict[type, Callable | None] = {}
    formatters = view.column_type_formatters

    def formatter(value):
        kind = type(value)
        if kind not in found:
            found[kind] = next((fmt for typeobj, fmt in formatters.items() if isinstance(value, typeobj)), None)
        return found[kind]
    return formatter


class PlainRow:
    """A list row read as plain columns (``plain_rows``), with the attributes of the ORM object it stands for —
    ``row.number``, ``row.person.name`` — so that the view's formatters and Flask-Admin's ``get_list_value`` read
    it as they read the object. A related record that is not there is None, as on the object."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


def row_select(model, attributes: tuple[str, ...]):
    """``SELECT`` the columns that ``attributes`` name (``"number"``, ``"person.name"``: one level of relationship)
    from ``model``, each relationship outer-joined once as an alias (as the ORM's eager joins are: a filter's
    subquery over the same table is never correlated with it), its primary key added (a missing record reads as
    None). Returns the statement, its columns' attribute paths in order, and Flask-Admin's ``joins`` (keyed as
    ``_apply_path_joins`` keys them), so that a filter or search over a joined table uses this join."""
    columns, paths, joins = [], [], {}
    for path in attributes:
        relationship, _dot, name = path.rpartition(".")
        if not relationship:
            columns.append(getattr(model, name))
        else:
            key = (False, getattr(model, relationship))
            if key not in joins:
                joins[key] = aliased(key[1].property.mapper.class_)
                primary_key = key[1].property.mapper.primary_key[0].key
                columns.append(getattr(joins[key], primary_key))
                paths.append(f"{relationship}.{primary_key}")
            columns.append(getattr(joins[key], name))
        paths.append(path)
    statement = select(*columns).select_from(model)
    for (_inner, relationship), alias in joins.items():
        statement = statement.outerjoin(alias, relationship)
    return statement, tuple(paths), joins


def plain_rows(result, paths: tuple[str, ...]) -> list[PlainRow]:
    """The rows of a ``row_select`` statement's result as ``PlainRow`` objects (a related record whose primary key
    is NULL — an outer join that found nothing — is None)."""
    own = [(path, index) for index, path in enumerate(paths) if "." not in path]
    related: dict[str, list] = {}
    for index, path in enumerate(paths):
        if "." in path:
            relationship, _dot, name = path.partition(".")
            related.setdefault(relationship, []).append((name, index))
    nested = [(relationship, fields[0][1], fields) for relationship, fields in related.items()]
    rows = []
    for row in result:
        values = {path: row[index] for path, index in own}
        for relationship, key, fields in nested:
            values[relationship] = (None if row[key] is None
                                    else PlainRow({name: row[index] for name, index in fields}))
        rows.append(PlainRow(values))
    return rows


#: the sort-link placeholder in the header kept by ``lean_header`` (a control character: never in a label)
_LINK = "\x00"
#: the sort column's placeholder in a list URL built once per page (the first query argument after the page)
_SORT = "LEANSORT"
#: Flask-Admin's own message for a sort link's title, translated by the template's ``_gettext`` (Flask-Admin's
#: catalogue, see ``i18n.use_chinese_admin_chrome``), not by the portal's
_SORT_TITLE = "Sort by %(name)s"


def lean_header(view, columns, sort_column, sort_desc, sort_url, gettext) -> Markup:
    """The ``<th>`` cells of Flask-Admin's list header (its ``list_header`` block: the buttons' column, each
    column's label, a sort link with its title and the sort order's chevron, the column's description), kept per
    view, language and sort order (``frame``); the sort links are filled in per page, from one URL built with a
    placeholder for the column (and the sorted column's own link, which flips the order)."""
    from .frame import cached_value

    def render() -> str:
        parts = ['<th class="">&nbsp;</th>'] if view.column_display_actions else []
        for index, (name, label) in enumerate(columns):
            cell = f'<th class="column-header col-{escape(name.replace(".", "-"))}">'
            if view.is_sortable(name):
                title = escape(gettext(_SORT_TITLE, name=label))
                chevron = ""
                if sort_column == index:
                    way = "down" if sort_desc else "up"
                    chevron = f' <span class="fa fa-chevron-{way} glyphicon glyphicon-chevron-{way}"></span>'
                cell += f'<a href="{_LINK}{index}{_LINK}" title="{title}">{escape(label)}{chevron}</a>'
            else:
                cell += str(escape(label))
            description = view.column_descriptions.get(name)
            if description:
                cell += (f'<a class="fa fa-question-circle glyphicon glyphicon-question-sign" '
                         f'title="{escape(description)}" href="javascript:void(0)" data-role="tooltip"></a>')
            parts.append(cell + "</th>")
        return "".join(parts)

    kept = cached_value(("list_header", view.endpoint, sort_column, bool(sort_desc)), render)
    pieces = kept.split(_LINK)
    if len(pieces) > 1:
        before, _placeholder, after = str(sort_url(_SORT)).partition(_SORT)
        for position in range(1, len(pieces), 2):
            index = int(pieces[position])
            url = sort_url(index, True) if index == sort_column else f"{before}{index}{after}"
            pieces[position] = escape(url)
    return Markup("".join(pieces))  # noqa: S704 - labels, titles and URLs escaped above
