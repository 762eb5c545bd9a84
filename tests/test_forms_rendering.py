"""Forms render what WTForms and Flask-WTF render (issue 10 trims what that costs): every field's attributes, and
WTForms' own messages in the request's language."""

from __future__ import annotations

import pytest
import wtforms.widgets.core
from flask import session
from flask_wtf.i18n import translations as flask_wtf_translations
from markupsafe import Markup
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal import forms
from tests.factories import without_tokens

ATTRIBUTES = [
    {},
    {"name": "id_number", "id": "id_number", "type": "text", "value": "110101<script>\"'&"},
    {"class_": "wide field", "for_": "password", "data_reload_on_click": True, "aria_describedby": "a-hint a-error",
     "aria_invalid": "true", "data_text_size_toggle": True},
    {"checked": True, "disabled": False, "readonly": True, "required": True},
    {"value": Markup('<b title="q">已上报</b>'), "title": Markup("a &amp; b")},
    {"maxlength": 6, "size": 0, "value": None, "step": 0.5},
    {"placeholder": "请输入证件号码", "autocomplete": "current-password", "label": "证件类型 <必填>"},
    {"on<x": "y", 'quo"te': "z"},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    written = forms.html_params(**attributes)
    assert written == forms.WTFORMS_HTML_PARAMS(**attributes)
    assert isinstance(written, Markup)


def test_every_widget_writes_its_attributes_the_faster_way(app):
    assert wtforms.widgets.core.html_params is forms.html_params  # Select, its options, TextArea call this one
    assert wtforms.widgets.html_params is forms.html_params
    own = [widget for widget in vars(wtforms.widgets.core).values()
           if isinstance(widget, type) and "html_params" in vars(widget)]
    assert wtforms.widgets.core.Input in own and wtforms.widgets.core.Button in own
    for widget in own:
        assert widget.html_params is forms.html_params, widget
    assert wtforms.widgets.core.PasswordInput.html_params is forms.html_params


#: the pages with forms a visitor opens, on both sides
FORM_PAGES = ["/", "/applicant/set-password", "/applicant/forgot-password", "/reviewer/account/"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_form_pages_are_the_html_wtforms_own_attributes_give(app, client, monkeypatch, language):
    client.get(f"/lang/{language}")
    faster = {path: client.get(path) for path in FORM_PAGES}
    monkeypatch.setattr(wtforms.widgets.core, "html_params", forms.WTFORMS_HTML_PARAMS)
    for widget in vars(wtforms.widgets.core).values():
        if isinstance(widget, type) and "html_params" in vars(widget):
            monkeypatch.setattr(widget, "html_params", staticmethod(forms.WTFORMS_HTML_PARAMS))
    for path, response in faster.items():
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "<input" in html and 'name="csrf_token"' in html, path
        assert without_tokens(html) == without_tokens(client.get(path).get_data(as_text=True)), path


class ChoiceForm(forms.PortalForm):
    choice = SelectField("类别", choices=[SelectChoice("a", "A")])


class ConsoleChoiceForm(forms.SiteForm):
    choice = SelectField("类别", choices=[SelectChoice("a", "A")])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_wtforms_own_messages_are_flask_wtfs_in_the_requests_language_read_once(app, language):
    forms.wtforms_catalogue.cache_clear()
    for _request in range(3):
        for form_class in (ChoiceForm, ConsoleChoiceForm):
            with app.test_request_context("/", method="POST", data={"choice": "zzz"}):
                session["lang"] = language
                form = form_class(meta={"csrf": False})
                assert not form.validate()
                expected = flask_wtf_translations.gettext("Not a valid choice.")
                assert form.choice.errors == [expected]
                assert (expected == "Not a valid choice.") is (language == "en")
    assert forms.wtforms_catalogue.cache_info().misses == 1


def test_every_form_of_the_portal_is_a_site_form(app):
    """Both sides' forms read WTForms' messages the same way (``SiteForm``); the console's model forms are
    Flask-Admin's."""
    from flask_wtf import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("portal.")]
    assert len(ours) > 20
    assert all(issubclass(cls, forms.SiteForm) for cls in ours), [cls for cls in ours
                                                                   if not issubclass(cls, forms.SiteForm)]
