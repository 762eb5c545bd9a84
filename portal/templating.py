"""The app's Jinja environment: templates compiled once per language, their literal messages translated then.

``{{ _("证件类型") }}`` asks the catalogue, marks the text safe and formats it on every render (the context
processor ``i18n.template_gettext`` gives ``_``): some forty messages on the personal page, 3 % of its CPU
(``bench/cpu_ab.py``; issue 10). A call of ``_`` or ``gettext`` with one string literal and nothing else is the same
text in every render in a language, so each template is compiled once per language with those calls replaced by
their text — as ``_`` gives it: marked safe where autoescape is on, ``%%`` written ``%`` — and Jinja writes it into
the compiled template as static output. A call with variables, or of a value, is left to ``_`` at render time.

The language is the one Flask-Babel has chosen where the template is loaded (``get_template`` and
``render_template`` load it where they render it); outside an app context nothing is translated early.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar

from flask.templating import Environment
from flask_babel import get_locale, get_translations
from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from .i18n import remembered_catalogue

#: the names of the templates' gettext (``i18n.template_gettext``)
GETTEXT_NAMES = frozenset({"_", "gettext"})
#: the catalogue the template being compiled is translated with (set while ``_load_template`` loads one)
_COMPILING_WITH: ContextVar = ContextVar("portal_template_catalogue", default=None)


class PortalEnvironment(Environment):
    """Flask's environment, caching each template per language (``_load_template``) and translating its literal
    messages when it compiles it (``compile``)."""

    def __init__(self, app, **options):
        # twice the templates (one per language): Jinja's default of 400 would drop some the other language needs
        options.setdefault("cache_size", 2000)
        super().__init__(app, **options)

    def _load_template(self, name, globals):
        """Jinja's, with the language in the cache key and the compilation in that language's catalogue."""
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        catalogue = _catalogue()
        cache_key = (weakref.ref(self.loader), name, catalogue)
        if self.cache is not None:
            template = self.cache.get(cache_key)
            if template is not None and (not self.auto_reload or template.is_up_to_date):
                if globals:
                    template.globals.update(globals)
                return template
        token = _COMPILING_WITH.set(catalogue)
        try:
            template = self.loader.load(self, name, self.make_globals(globals))
        finally:
            _COMPILING_WITH.reset(token)
        if self.cache is not None:
            self.cache[cache_key] = template
        return template

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        catalogue = _COMPILING_WITH.get()
        if catalogue is not None and isinstance(source, str):
            source = LiteralMessages(catalogue.ugettext).visit(self.parse(source, name, filename))
        return super().compile(source, name, filename, raw, defer_init)


def _catalogue():
    """The catalogue of the chosen language (one object per language for the life of the process), or None outside
    an app context. Read from where the request remembered it (``i18n.remembered_catalogue``: a console page loads
    some twenty templates; Flask-Babel's own look-up cost 3 % of it), else Flask-Babel's."""
    catalogue = remembered_catalogue()
    if catalogue is None and get_locale() is not None:
        catalogue = get_translations()
    return catalogue


class LiteralMessages(NodeTransformer):
    """Replaces ``_("…")`` and ``gettext("…")`` of a string literal alone by the translated text."""

    def __init__(self, translate) -> None:
        self.translate = translate

    def visit_Call(self, node: nodes.Call):
        node = self.generic_visit(node)
        if not (isinstance(node.node, nodes.Name) and node.node.name in GETTEXT_NAMES and len(node.args) == 1
                and isinstance(node.args[0], nodes.Const) and isinstance(node.args[0].value, str)
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None):
            return node
        try:
            text = self.translate(node.args[0].value) % {}  # as ``_`` formats it with no variables
        except (TypeError, ValueError, KeyError):
            return node  # a message ``%`` cannot format: left to fail where it always did, at render time
        return nodes.MarkSafeIfAutoescape(nodes.Const(text, lineno=node.lineno), lineno=node.lineno)
