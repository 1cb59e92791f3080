"""Every page as its readers meet it: no markup shown as text (issue 15), in English and
Welsh, for each role."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask

from tests.conftest import World
from tests.test_access_matrix import param_values, routes, signed_in, with_activities

__all__ = ["signed_in", "with_activities"]  # fixtures, used by name

# A tag as text: "<strong>" or "</a>" among the words a reader sees.
TAG_AS_TEXT = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>")


class _Text(HTMLParser):
    """The text a reader sees (script and style left out), entities resolved."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.text.append(data)


def shown_markup(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return [m.group(0) for t in parser.text for m in TAG_AS_TEXT.finditer(t)]


def test_the_detector_finds_escaped_markup():
    assert shown_markup("<p>&lt;strong&gt;Due&lt;/strong&gt;</p>") == ["<strong>", "</strong>"]
    assert shown_markup("<p><strong>Due</strong> a &lt; b</p><script>'<b>'</script>") == []


def test_no_page_shows_markup_as_text(app: Flask, with_activities: World, signed_in) -> None:
    world = with_activities
    problems = []
    pages = 0
    for role in ("provider_editor", "inspector", "coordinator", "partner", "admin"):
        web, _ = signed_in(role)
        for locale in ("en", "cy"):
            web.post("/language", data={"locale": locale, "next": "/"})
            for rule, endpoint, method, arguments in routes(app):
                if method != "GET" or rule.startswith("/api/") or endpoint == "static":
                    continue
                if endpoint in ("accounts.logout", "web.language") or "download" in rule:
                    continue
                values = param_values(world, "own", "provider")
                try:
                    url = rule
                    for name in arguments:
                        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]()), url)
                except KeyError:
                    continue
                r = web.get(url)
                if r.status_code != 200 or r.mimetype != "text/html":
                    continue
                pages += 1
                found = shown_markup(r.get_data(as_text=True))
                if found:
                    problems.append(f"{url} ({role}, {locale}): {found[:3]}")
    assert pages > 40, pages
    assert not problems, "\n".join(problems)


def test_the_language_chosen_on_the_sign_in_page_survives_signing_in(app, client, world):
    from tests.conftest import PASSWORD
    from vir.accounts.models import User
    from vir.core.db import db

    client.post("/language", data={"locale": "cy", "next": "/sign-in"})
    assert 'lang="cy"' in client.get("/sign-in").get_data(as_text=True)
    r = client.post("/sign-in", data={"email": world.email("inspector"), "password": PASSWORD})
    assert r.status_code == 302
    assert 'lang="cy"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world.users["inspector"]).locale == "cy"


def test_an_api_request_s_accept_language_wins_over_the_saved_choice(app, client, auth, world):
    from vir.accounts.models import User
    from vir.core.db import db

    with app.app_context():
        db.session.get(User, world.users["inspector"]).locale = "cy"
        db.session.commit()
    headers = auth.token("inspector")
    saved = client.get("/api/v1/documents/999999", headers=headers).get_json()
    english = client.get(
        "/api/v1/documents/999999", headers={**headers, "Accept-Language": "en"}
    ).get_json()
    assert saved["error"]["message"] != english["error"]["message"]
    assert english["error"]["message"].isascii()


def test_forward_page_buttons_have_ids_of_their_own_and_move_targets_can_be_told_apart(
    app, client, auth, with_activities
):
    from collections import Counter

    from vir.core.db import db
    from vir.documents.views import folder_choices
    from vir.rooms.models import Folder

    world = with_activities
    auth.login("provider_editor")
    html = client.get(f"/forwards/{world.forwards['cardiff']}").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    with app.app_context():
        groups: dict[tuple[int, str], list[Folder]] = {}
        for f in db.session.query(Folder):  # a document moves within its room's area
            groups.setdefault((f.room_id, f.area), []).append(f)
        for folders in groups.values():
            labels = [label for _, label in folder_choices(folders)]
            assert len(labels) == len(set(labels)), labels
        post = db.session.query(Folder).filter(Folder.parent_id.is_not(None)).first()
        label = dict(folder_choices([post, post.parent]))[post.id]
        assert label.startswith(post.parent.name + " › ")


def test_the_password_input_speaks_welsh(client):
    client.post("/language", data={"locale": "cy", "next": "/sign-in"})
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Dangos y cyfrinair" in page and "Mae eich cyfrinair wedi’i guddio" in page
    assert "Show password" not in page and ">Show<" not in page.replace("\n", "").replace(" ", "")


def test_counts_in_messages_are_plural_forms_not_brackets(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("en"):
        one = ngettext(
            "Too many failed sign-in attempts. Try again in %(num)d second.",
            "Too many failed sign-in attempts. Try again in %(num)d seconds.",
            1,
        )
        assert one.endswith("in 1 second.")
    for source in ("vir/notifications/operations.py", "vir/accounts/views.py", "vir/cli.py"):
        from pathlib import Path

        text = (Path(__file__).parent.parent / source).read_text()
        assert not re.search(r"(%\(\w+\)d|\{\w+\}) [^\"]*\w\(s\)", text), source


def test_date_filters_are_day_month_and_year_boxes(app, client, auth, world):
    """The browser's type=date showed mm/dd/yyyy in some browsers; GOV.UK's date input is
    three boxes, in both languages, and a link's YYYY-MM-DD still works."""
    auth.login("coordinator")
    page = client.get(
        "/audit/", query_string={"since-day": "1", "since-month": "12", "since-year": "2026"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'type="date"' not in html
    assert 'name="since-day"' in html and 'value="2026"' in html
    bad = client.get(
        "/audit/", query_string={"since-day": "31", "since-month": "2", "since-year": "2026"}
    )
    assert "Enter a real date" in bad.get_data(as_text=True)
    old_link = client.get("/audit/", query_string={"since": "2026-12-01"}).get_data(as_text=True)
    month = re.search(r'<input[^>]*name="since-month"[^>]*>', old_link)
    assert month and 'value="12"' in month.group(0), month
    client.post("/language", data={"locale": "cy", "next": "/"})
    welsh = client.get("/search", query_string={"q": "x", "from-day": "40"}).get_data(as_text=True)
    assert "Rhowch ddyddiad go iawn" in welsh


def test_audit_entries_read_as_words_in_both_languages_and_link_to_their_objects(
    app, client, auth, world
):
    editor = auth.token("provider_editor")
    doc = _upload_for_audit(client, editor, world.folders[("cardiff", "provider")])
    auth.login("coordinator")
    page = client.get("/audit/", query_string={"action": "document.upload"}).get_data(as_text=True)
    assert "Document uploaded" in page and f'href="/documents/{doc}">Document {doc}</a>' in page
    client.post("/language", data={"locale": "cy", "next": "/"})
    page = client.get("/audit/", query_string={"action": "document.upload"}).get_data(as_text=True)
    assert "Dogfen wedi’i huwchlwytho" in page and f">Dogfen {doc}</a>" in page
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Dogfen wedi’i huwchlwytho" in page and "<code>document.upload</code>" not in page


def _upload_for_audit(client: Any, headers: dict, folder: int) -> int:
    from tests import files
    from tests.test_search import _upload

    return _upload(client, headers, folder, "plan.pdf", files.pdf("Plan"))["id"]
