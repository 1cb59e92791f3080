"""The main journeys in a real browser: Debian's Chromium driven by Playwright, against the app
served on loopback with the demo data, CSRF on, search indexing on.

Every page visited is checked with axe-core (WCAG 2.2 AA rules: no violations allowed), must fit
a 320 px wide window without sideways scrolling (which also covers 200 % and 400 % zoom of a
1280 px window), and is saved as a screenshot in both languages under ``test-screenshots/``
(or ``VIR_SCREENSHOTS``) for people to look at. These tests run on SQLite only: what they add
is the browser, and every database behaviour is covered on both databases elsewhere.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests import files
from tests.conftest import PASSWORD, _config, migrate_to_head

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests/e2e/node_modules/axe-core/axe.min.js"
CHROMIUM = os.environ.get("VIR_TEST_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("VIR_SCREENSHOTS") or ROOT / "test-screenshots")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
expect.set_options(timeout=15_000)
LONG = {
    "VIR_TOKEN_HOURS": 24 * 365,
    "VIR_SESSION_IDLE_MINUTES": 60 * 24,
    "VIR_SESSION_ABSOLUTE_HOURS": 24,
}


@dataclass
class Live:
    url: str
    app: Any
    late_folder: int


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from vir import create_app

    data = tmp_path_factory.mktemp("browser")
    database = f"sqlite:///{data / 'vir.sqlite3'}"
    migrate_to_head(database, data)
    server = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        _config(
            database,
            data,
            TESTING=False,
            WTF_CSRF_ENABLED=True,
            VIR_SEARCH_ENABLED=True,
            VIR_BASE_URL=url,
            **LONG,
        )
    )
    server.app = app
    with app.app_context():
        late_folder = _demo(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(url, app, late_folder)
    server.shutdown()
    thread.join(5)


def _demo(app: Any) -> int:
    """The demo data, and a Cardiff conference three days away (its papers deadline passed
    four days ago) for the late-paper journey."""
    from vir.activities.operations import create_activity
    from vir.core.db import db, utcnow
    from vir.orgs.demo import load_demo
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import room_for

    load_demo(password=PASSWORD)
    from vir.accounts import operations as account_ops

    careful = account_ops.create_user(
        "twostep@cardiff.example",
        "Tomos Two-Step",
        by_slug("cardiff"),
        ["provider_viewer"],
        password=PASSWORD,
    )
    account_ops.new_totp_secret(careful)
    careful.totp_enabled = True
    starts = (utcnow() + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
    activity = create_activity(
        room_for(by_slug("cardiff")),
        "progress_conference",
        starts,
        None,
        lead_inspector="inspector@estyn.example",
    )
    db.session.commit()
    return activity.provider_folder_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM} (make test installs it)", pytrace=False
        )
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE} (make test installs it)", pytrace=False)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


class Visit:
    """One person's browser tab, with the checks every page must pass."""

    def __init__(self, browser: Any, live: Live, lang: str = "en", js: bool = True) -> None:
        # bypass_csp lets the test inject axe-core; the app's own CSP is tested elsewhere.
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, bypass_csp=True, java_script_enabled=js
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.live = live
        self.lang = lang
        self.checked: list[str] = []

    def go(self, path: str) -> Any:
        return self.page.goto(self.live.url + path)

    def follow(self, target: Any) -> None:
        """Click a link or submit button and wait for the next page to load, so what comes
        next looks at the new page, never the one being left."""
        with self.page.expect_navigation(wait_until="load"):
            target.click()

    def sign_in(self, email: str, check: bool = True) -> None:
        self.go("/sign-in")
        if check:
            self.check("sign-in")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]:below(input[name=password])")
        self.page.wait_for_url(re.compile(r".*/$"))

    def check(self, name: str) -> None:
        """axe-core finds nothing; no sideways scrolling at 320 px; a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
        problems = [
            f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
        ]
        assert problems == [], f"{name} ({page.url}):\n" + "\n".join(problems)
        size = page.viewport_size
        page.set_viewport_size({"width": 320, "height": 700})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} ({page.url}) scrolls sideways at 320 px by {overflow}px"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{self.lang}-{name}-320.png"), full_page=True)
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{self.lang}-{name}.png"), full_page=True)
        self.checked.append(name)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, live: Live) -> Iterator[Any]:
    opened: list[Visit] = []

    def make(lang: str = "en", js: bool = True) -> Visit:
        v = Visit(browser, live, lang, js)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


def _drop(page: Any, selector: str, named: list[tuple[str, bytes, str]]) -> None:
    """Drop files on an element as a person dragging them from their desktop would."""
    payload = [{"name": n, "type": t, "data": base64.b64encode(b).decode()} for n, b, t in named]
    transfer = page.evaluate_handle(
        """(files) => {
        const dt = new DataTransfer();
        for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], f.name, {type: f.type}));
        }
        return dt;
    }""",
        payload,
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, event, {"dataTransfer": transfer})


# --- journeys ----------------------------------------------------------------------------------


def test_sign_in_and_upload_several_files_by_drag_and_drop(visit: Any) -> None:
    v = visit()
    v.sign_in("editor@cardiff.example")
    v.check("home")
    v.follow(v.page.get_by_role("link", name="Cardiff Council").first)
    v.check("room")
    v.follow(v.page.get_by_role("link", name="Improvement conference").first)
    v.check("folder")
    _drop(
        v.page,
        ".vir-dropzone",
        [
            ("attendance-data.pdf", files.pdf("Attendance data"), "application/pdf"),
            ("council-paper.pdf", files.pdf("Council paper"), "application/pdf"),
            ("notes.html", b"<html><body>not allowed</body></html>", "text/html"),
        ],
    )
    expect(v.page.locator(".vir-upload-status")).to_contain_text("Files ready to upload: 3")
    # Several files: each its own category.
    v.page.get_by_label("Category for council-paper.pdf").select_option("council_paper")
    v.page.get_by_role("button", name="Upload").click()
    v.page.wait_for_selector(".vir-upload-status:has-text('Finished')")
    items = v.page.locator(".vir-upload-item")
    assert items.count() == 3
    outcomes = [items.nth(i).inner_text() for i in range(3)]
    assert "Accepted" in outcomes[0] and "Accepted" in outcomes[1]
    assert "Refused" in outcomes[2] and "not a type of file VIR accepts" in outcomes[2]
    assert all(v.page.locator("progress").nth(i).get_attribute("value") == "100" for i in range(3))
    # The list of documents updates itself: no reload, no "no documents yet".
    table = v.page.locator("#vir-documents")
    expect(table.get_by_role("link", name="attendance-data")).to_have_count(1)
    expect(table.get_by_role("link", name="council-paper")).to_have_count(1)
    row = table.locator("tr", has=v.page.get_by_role("link", name="council-paper"))
    expect(row).to_contain_text("Council paper")
    v.check("folder-after-upload")


def test_upload_works_without_javascript(visit: Any) -> None:
    v = visit(js=False)
    v.sign_in("editor@cardiff.example", check=False)  # axe needs scripts; checked elsewhere
    page = v.page
    v.follow(page.get_by_role("link", name="Cardiff Council").first)
    v.follow(page.get_by_role("link", name="Improvement conference").first)
    page.set_input_files(
        "input[type=file]",
        [
            {"name": "plain-form.pdf", "mimeType": "application/pdf", "buffer": files.pdf("Plain")},
            {
                "name": "plain-form.exe",
                "mimeType": "application/octet-stream",
                "buffer": files.windows_exe(),
            },
        ],
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Upload results")).to_be_visible()
    text = page.inner_text("main")
    assert "Accepted" in text and "Refused" in text


def test_search_and_open_a_hit(visit: Any) -> None:
    v = visit()
    v.sign_in("inspector@estyn.example")
    v.follow(v.page.get_by_role("link", name="Search").first)
    v.check("search")
    v.page.fill("#q", "attendance")
    v.page.keyboard.press("Enter")
    v.page.wait_for_selector("mark")
    v.check("search-results")
    v.follow(v.page.get_by_role("link", name="Improvement plan 2027").first)
    expect(v.page.get_by_role("heading", name="Improvement plan 2027")).to_be_visible()
    v.check("document")


def test_switch_to_welsh_and_repeat_a_journey(visit: Any) -> None:
    v = visit("cy")
    v.sign_in("inspector@estyn.example")
    v.go("/rooms/cardiff")
    v.follow(v.page.get_by_role("button", name="Cymraeg"))
    v.page.wait_for_url(re.compile(r".*/rooms/cardiff$"))  # the same page, now in Welsh
    expect(v.page.locator("html")).to_have_attribute("lang", "cy")
    expect(v.page.get_by_role("heading", name="Cyngor Caerdydd")).to_be_visible()
    v.check("room")
    v.go("/")
    expect(v.page.get_by_role("heading", name="Eich ystafelloedd")).to_be_visible()
    v.check("home")
    v.follow(v.page.get_by_role("link", name="Chwilio").first)
    v.check("search")
    v.page.fill("#q", "attendance")
    v.page.keyboard.press("Enter")
    v.page.wait_for_selector("mark")
    v.check("search-results")
    v.follow(v.page.get_by_role("link", name="Improvement plan 2027").first)
    v.check("document")
    expect(v.page.locator("main")).to_contain_text("Lawrlwytho")
    # Remembered for the person, not just this browser: a new sign-in is in Welsh too.
    again = visit("cy")
    again.sign_in("inspector@estyn.example")
    expect(again.page.locator("html")).to_have_attribute("lang", "cy")
    again.follow(again.page.get_by_role("button", name="English"))


def test_accept_forwarded_evidence(visit: Any) -> None:
    partner = visit()
    partner.sign_in("partner@csc.example")
    partner.check("partner-home")
    partner.follow(partner.page.get_by_role("link", name="Forwarded evidence").first)
    partner.check("forwards-sent")
    partner.follow(partner.page.get_by_role("link", name="Forward evidence").first)
    partner.check("forward-new")

    v = visit()
    v.sign_in("editor@cardiff.example")
    v.follow(v.page.get_by_role("link", name="Cardiff Council").first)
    v.follow(v.page.get_by_role("link", name="Forwarded evidence").first)
    v.check("forwards-inbox")
    v.follow(v.page.get_by_role("link", name="csc-attendance-review.pdf"))
    v.check("forward")
    v.follow(v.page.get_by_role("button", name="Accept into the folder"))  # no folder chosen yet
    expect(v.page.locator(".govuk-error-summary")).to_contain_text("Choose a folder")
    v.check("forward-error-summary")
    folder = v.page.get_by_label("Folder in your Provider Area")
    folder.select_option(label="Improvement conference")
    v.follow(v.page.get_by_role("button", name="Accept into the folder"))
    expect(v.page.locator("main")).to_contain_text("Forwarded by Central South Consortium")
    v.check("document-from-forward")

    partner.go("/forwards")
    expect(partner.page.locator("main")).to_contain_text("Accepted")


def test_late_paper_needs_the_exception(visit: Any) -> None:
    v = visit()
    v.sign_in("editor@cardiff.example")
    v.go(f"/rooms/folders/{v.live.late_folder}")
    expect(v.page.locator("main")).to_contain_text("has passed")
    v.check("folder-deadline-passed")
    v.page.set_input_files(
        "input[type=file]",
        [
            {
                "name": "late-figures.pdf",
                "mimeType": "application/pdf",
                "buffer": files.pdf("Late attendance figures"),
            }
        ],
    )
    v.page.get_by_role("button", name="Upload").click()
    v.page.wait_for_selector(".vir-upload-status:has-text('Finished')")
    refused = v.page.inner_text(".vir-upload-item")
    assert "Refused" in refused and "less than a week old" in refused
    v.check("late-refused")
    from vir.core.db import utcnow

    yesterday = utcnow() - timedelta(days=1)
    v.page.fill("input[name=information_date] >> nth=0", str(yesterday.day))
    v.page.fill("input[name=information_date] >> nth=1", str(yesterday.month))
    v.page.fill("input[name=information_date] >> nth=2", str(yesterday.year))
    v.page.fill("textarea[name=late_reason]", "Attendance figures published yesterday")
    v.page.set_input_files(
        "input[type=file]",
        [
            {
                "name": "late-figures.pdf",
                "mimeType": "application/pdf",
                "buffer": files.pdf("Late attendance figures"),
            }
        ],
    )
    v.page.get_by_role("button", name="Upload").click()
    v.page.wait_for_selector(".vir-upload-status:has-text('1 accepted')")
    accepted = v.page.inner_text(".vir-upload-item")
    assert "Accepted" in accepted and "Late" in accepted
    v.go("/")
    expect(v.page.locator("main")).to_contain_text("Papers shared late")
    v.check("home-late")


def test_keyboard_only_journey(visit: Any) -> None:
    """Sign in, open a room and a folder, upload, search, open a hit and download it, with
    the keyboard alone."""
    v = visit()
    page = v.page
    # Listen for the file chooser from the start: Playwright turns interception on when the
    # first listener is added, asynchronously, so a key pressed straight after
    # expect_file_chooser() could open the native dialog instead (seen on a slow CI machine).
    choosers: list[Any] = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    v.go("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"

    def tab_to(predicate: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            found = f"(() => {{ const e = document.activeElement; return {predicate}; }})()"
            if page.evaluate(found):
                # Focus must be visible: GOV.UK's focus style is a yellow outline/background.
                style = page.evaluate(
                    "getComputedStyle(document.activeElement).outlineStyle + "
                    "getComputedStyle(document.activeElement).backgroundColor"
                )
                assert style != "nonergba(0, 0, 0, 0)", predicate
                return
        raise AssertionError(f"could not reach {predicate} with Tab")

    tab_to("e.name === 'email'")
    page.keyboard.type("editor@cardiff.example")
    tab_to("e.name === 'password'")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/$"))
    tab_to("e.textContent.trim() === 'Cardiff Council'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/rooms/cardiff$"))
    tab_to("e.textContent.trim() === 'Improvement conference'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/rooms/folders/\d+$"))
    tab_to("e.type === 'file'")
    for _attempt in range(3):  # a key lost to a busy renderer is pressed again, not waited on
        page.keyboard.press("Space")
        for _ in range(50):
            if choosers:
                break
            page.wait_for_timeout(100)
        if choosers:
            break
    assert choosers, "Space on the file input did not open the file chooser"
    choosers[0].set_files(
        [
            {
                "name": "keyboard.pdf",
                "mimeType": "application/pdf",
                "buffer": files.pdf("Typed with keys"),
            }
        ]
    )
    tab_to("e.textContent.trim() === 'Upload'")
    page.keyboard.press("Enter")
    page.wait_for_selector(".vir-upload-status:has-text('1 accepted')")
    tab_to("e.textContent.trim() === 'Search'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search.*"))
    tab_to("e.id === 'q'")
    page.keyboard.type("improvement plan")
    page.keyboard.press("Enter")
    page.wait_for_selector("mark")
    tab_to("e.textContent.trim() === 'Improvement plan 2027'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    tab_to("e.textContent.trim().startsWith('Download')")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "improvement-plan-2027.pdf"


def test_sign_in_with_a_second_factor(visit: Any, live: Live) -> None:
    import pyotp

    from vir.accounts.models import User
    from vir.core.db import db

    with live.app.app_context():
        secret = db.session.query(User).filter_by(email="twostep@cardiff.example").one().totp_secret
    v = visit()
    v.go("/sign-in")
    v.page.fill("input[name=email]", "twostep@cardiff.example")
    v.page.fill("input[name=password]", PASSWORD)
    v.page.click("button[type=submit]:below(input[name=password])")
    v.page.wait_for_url(re.compile(r".*/sign-in/code.*"))
    v.check("second-factor")
    v.page.fill("input[name=code]", "000000")
    v.follow(v.page.get_by_role("button", name="Continue"))
    expect(v.page.locator(".govuk-error-summary")).to_be_visible()
    v.check("second-factor-error")
    v.page.fill("input[name=code]", pyotp.TOTP(secret).now())
    v.follow(v.page.get_by_role("button", name="Continue"))
    v.page.wait_for_url(re.compile(r".*/$"))
    expect(v.page.get_by_role("heading", name="Your rooms")).to_be_visible()


def test_other_pages_are_accessible_in_both_languages(visit: Any) -> None:
    """The remaining pages of the main journeys: activities, account, admin, audit log."""
    for lang in ("en", "cy"):
        v = visit(lang)
        v.sign_in("coordinator@estyn.example")
        if lang == "cy":
            v.follow(v.page.get_by_role("button", name="Cymraeg"))
            expect(v.page.locator("html")).to_have_attribute("lang", "cy")
        v.go("/rooms/cardiff")
        v.check("coordinator-room")
        v.go("/rooms/cardiff/inspectors/folders/new")
        v.check("new-folder")
        v.follow(v.page.get_by_role("button").filter(has_text=re.compile("Create|Creu")))
        expect(v.page.locator(".govuk-error-summary")).to_be_visible()  # the name is needed
        v.check("new-folder-error")
        v.go("/rooms/cardiff")
        v.follow(
            v.page.locator("section:has(#area-provider) a")
            .filter(has_text=re.compile("Improvement conference|Cynhadledd gwella"))
            .first
        )
        v.follow(v.page.get_by_role("link", name="Improvement plan 2027"))
        v.follow(v.page.get_by_role("link", name=re.compile("^(Preview|Rhagolwg)$")))
        v.check("preview")
        v.go("/rooms/cardiff")
        v.follow(
            v.page.locator("section:has(#area-provider) a")
            .filter(has_text=re.compile("Improvement conference|Cynhadledd gwella"))
            .first
        )
        v.follow(v.page.locator("a[href$='/trash']"))
        v.check("trash")
        v.go("/rooms/cardiff")
        v.follow(v.page.locator("a[href^='/activities/']").first)
        v.check("activity")
        v.go("/rooms/swansea")
        v.follow(v.page.locator("a[href*='/activities/new']").first)
        v.check("activity-new")
        v.go("/audit")
        v.check("audit")
        v.go("/school-holidays/cardiff")
        v.check("school-holidays")
        v.go("/whats-new")
        v.check("whats-new")
        v.go("/account")
        v.check("account")
        if lang == "cy":
            v.follow(v.page.get_by_role("button", name="English"))
        admin = visit(lang)
        admin.sign_in("admin@vir.example")
        if lang == "cy":
            admin.follow(admin.page.get_by_role("button", name="Cymraeg"))
        for path, name in (
            ("/admin", "admin"),
            ("/admin/organisations", "admin-orgs"),
            ("/admin/users", "admin-users"),
        ):
            admin.go(path)
            admin.check(name)
        admin.follow(admin.page.locator("a[href^='/admin/users/']").first)
        admin.check("admin-user")
        if lang == "cy":
            admin.follow(admin.page.get_by_role("button", name="English"))


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_letter_from_draft_to_stakeholder(visit: Any, live: Live, lang: str) -> None:
    """Draft → factual-accuracy check → the provider's corrections → final → released to a
    stakeholder, each page checked, in English and in Welsh."""
    from tests import files
    from vir.activities.operations import create_activity
    from vir.core.db import db, utcnow
    from vir.orgs.operations import by_slug
    from vir.rooms.operations import room_for

    with live.app.app_context():
        starts = (utcnow() + timedelta(days=20 if lang == "en" else 21)).replace(
            hour=9, minute=30, second=0, microsecond=0
        )
        activity = create_activity(
            room_for(by_slug("cardiff")),
            "improvement_conference",
            starts,
            None,
            lead_inspector="inspector@estyn.example",
        )
        db.session.commit()
        activity_id = activity.id

    def welsh(v: Visit) -> None:
        if lang == "cy":
            v.follow(v.page.get_by_role("button", name="Cymraeg"))
            expect(v.page.locator("html")).to_have_attribute("lang", "cy")

    inspector = visit(lang)
    inspector.sign_in("inspector@estyn.example")
    welsh(inspector)
    inspector.go(f"/activities/{activity_id}")
    page = inspector.page
    page.locator("#letters ~ details summary").first.click()
    page.select_option("select[name=lt-kind]", "outcome_letter")
    page.set_input_files(
        "input[name=lt-file]",
        {"name": "outcome.pdf", "mimeType": "application/pdf", "buffer": files.pdf("Draft")},
    )
    inspector.follow(page.locator("form[action$='/letters'] button[type=submit]"))
    expect(page.locator("main")).to_contain_text(
        "Draft (inspectors only)" if lang == "en" else "Drafft (arolygwyr yn unig)"
    )
    inspector.check("letter-draft")
    inspector.follow(page.locator("form[action$='/share'] button[type=submit]"))
    expect(page.locator(".govuk-tag").first).to_contain_text(
        "Draft for factual-accuracy check" if lang == "en" else "Drafft i wirio"
    )
    inspector.check("letter-checking")
    letter_url = page.url

    editor = visit(lang)
    editor.sign_in("editor@cardiff.example")
    welsh(editor)
    editor.check("home-check-waiting")
    path = letter_url.removeprefix(live.url)
    editor.follow(editor.page.locator(f"main a[href='{path}']").first)
    editor.check("letter-answer")
    editor.page.check("input[name=an-answer][value=corrections]")
    editor.page.fill("textarea[name=an-text]", "Paragraph 2: the date is wrong.")
    editor.page.set_input_files(
        "input[name=an-file]",
        {"name": "marked.pdf", "mimeType": "application/pdf", "buffer": files.pdf("Marked up")},
    )
    editor.follow(editor.page.locator("form[action$='/answer'] button[type=submit]"))
    expect(editor.page.locator("main")).to_contain_text("Paragraph 2: the date is wrong.")
    editor.check("letter-answered")

    inspector.go(path)
    today = utcnow().date()
    dates = page.locator("input[name=fn-sent_on]")
    for i, value in enumerate((today.day, today.month, today.year)):
        dates.nth(i).fill(str(value))
    inspector.follow(page.locator("form[action$='/final'] button[type=submit]"))
    inspector.check("letter-final")
    expect(page.locator("input[name=rl-organisations][value=welsh-government]")).to_be_checked()
    inspector.follow(page.locator("form[action$='/release'] button[type=submit]"))
    expect(page.locator("main")).to_contain_text(
        "Llywodraeth Cymru" if lang == "cy" else "Welsh Government"
    )
    inspector.check("letter-released")

    stakeholder = visit(lang)
    stakeholder.sign_in("stakeholder@gov.wales.example")
    welsh(stakeholder)
    stakeholder.follow(
        stakeholder.page.get_by_role(
            "link",
            name="Letters released to you" if lang == "en" else "Llythyrau a ryddhawyd i chi",
        ).first
    )
    stakeholder.check("released")
    link = stakeholder.page.locator("main a[href*='/released/']").first
    response = stakeholder.page.request.get(live.url + link.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert stakeholder.go(path).status == 404


def test_the_api_reference_renders_from_vendored_files(visit: Any, live: Live) -> None:
    """ReDoc from static/ (no CDN): every request the page makes stays on VIR, and the
    operations are listed."""
    v = visit()
    fetched: list[str] = []
    v.page.on("requestfinished", lambda r: fetched.append(r.url))
    v.go("/api/v1/docs")
    expect(v.page.locator("body")).to_contain_text("Exchange email, password", timeout=30_000)
    # ReDoc's footer names a logo on Redocly's CDN; the page's policy stops it leaving.
    assert fetched and all(u.startswith((live.url, "blob:", "data:")) for u in fetched), fetched
