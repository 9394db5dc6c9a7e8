"""Property tests: text with markup and rare CJK characters is shown escaped, and exactly as typed.

What was typed at registration (address, reason, members' names) comes back on the case page as
HTML-escaped text, so markup is never markup; the same for names printed in a document's HTML.
(That the text is stored unchanged is ``tests/workflows/test_properties_forms.py``.)
"""

from itertools import count

from hypothesis import HealthCheck, given, settings
from markupsafe import escape

from tests import factories as f
from tests.drive import start
from tests.strategies import LINE, LINES
from tests.webapp.web import login
from webapp import db, services
from webapp.documents import render_html
from workflows import clock

_people = count(1)


def _registration(address: str, reason: str, name: str) -> dict:
    """A valid registration of two people in no other case, with the given texts."""
    n = next(_people)
    members = [f.member(name, f.MONDAY.date().replace(year=1970, day=1 + n % 28), "self", "600", seq=2 * n),
               f.member("李建国", f.MONDAY.date().replace(year=1971, day=1 + n % 28), "spouse", "300", seq=2 * n + 1)]
    return f.registration(members, address=address[:200], reason=reason)


def _shown_escaped(html: str, text: str) -> bool:
    """The text is in the page as escaped text, and never as raw markup."""
    return str(escape(text)) in html and ("<" not in text or text not in html)


def test_the_case_page_shows_typed_markup_and_rare_characters_escaped(app):
    client = app.test_client()
    login(client, "clerk-001")

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(address=LINE, reason=LINES, name=LINE.filter(lambda s: len(s) <= 50))
    def shown(address, reason, name):
        with app.app_context(), clock.frozen(f.MONDAY):
            case_no = start(db.factory(), services.get(), _registration(address, reason, name))
        html = client.get(f"/cases/{case_no}").get_data(as_text=True)
        for text in (address[:200], reason, name):
            assert _shown_escaped(html, text), text

    shown()


@settings(max_examples=40, deadline=None)
@given(name=LINE, address=LINE)
def test_document_html_prints_names_escaped(name, address):
    context = f.notice_context(name) | {"address": address}
    html = render_html("approval_notice", context)
    assert _shown_escaped(html, name) and _shown_escaped(html, address)
