"""Every main page checked by axe-core (WCAG 2.1 A and AA) in Chromium: no serious or critical violation, in
Chinese and in English, at desktop (1280 px) and phone (390 px) width; keyboard alone reaches every action;
no page needs an inline script or style (the CSP forbids them) and every page is saved as a screenshot."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.builders import ARTIFACTS, screenshot
from tests.builders import browser_sign_in as sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.slow


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
BLOCKING = {"serious", "critical"}
# Everything a keyboard user must be able to reach: links, buttons, fields, summaries.
MARK_ACTIONS = """() => { const els = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(el => el.offsetParent !== null && !el.disabled);
  els.forEach((el, i) => el.setAttribute('data-kb', i));
  return els.length; }"""
FOCUSED = "() => document.activeElement && document.activeElement.getAttribute('data-kb')"
# axe leaves text of the same colour as its background "incomplete" (it may be hidden on purpose), so buttons
# and links are also checked here: text against the first opaque background behind it, WCAG's ratio.
FAINT_CONTROLS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const backdrop = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                             if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  return [...document.querySelectorAll('button, a.button, input[type=submit]')]
    .filter(el => el.offsetParent !== null)
    .map(el => { const a = lum(rgb(getComputedStyle(el).color)), b = lum(backdrop(el));
                 return [el.textContent.trim(), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; })
    .filter(([, ratio]) => ratio < 4.5).map(([text, ratio]) => text + ' ' + ratio.toFixed(2));
}"""
# In Chinese: no English words left over and no ASCII punctuation beside Chinese text (codes, numbers, units,
# file types and what the data itself holds aside).
FOREIGN_IN_CHINESE = r"""data => {
  const copy = document.body.cloneNode(true);  // machine text (codes, JSON, URLs, the JSON editor) aside
  copy.querySelectorAll('code, pre, textarea, select, script, section:has(textarea.code)').forEach(el => el.remove());
  let text = copy.textContent.replace(/https?:\/\/\S+/g, " ");
  for (const value of data) { text = text.split(value).join(" "); }
  const words = (text.match(/[A-Za-z][A-Za-z ]{2,}[A-Za-z]/g) || [])
    .filter(w => !/^(English|WeChat|QR|xlsx|csv|JSON|PDF|JPEG|PNG|ID)$/.test(w.trim()));
  const cjk = "[\u4e00-\u9fff]";
  const punct = text.match(new RegExp(cjk + "[:;,?!]|[:;,?!] ?" + cjk, "g")) || [];
  return words.concat(punct);
}"""
# What the test data itself holds in Latin letters: user names, WeChat ids, survey question ids.
DATA = ["committee_a", "county_a", "committee_b", "county_b", "city", "admin", "owner-a", "management", "comments"]
CSP_REPORTS = """() => window.__cspViolations || []"""
LISTEN_CSP = """document.addEventListener('securitypolicyviolation', e => {
  (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI); });"""


PAGES = {
    "committee_a": ["/admin/", "/admin/compounds/{compound}", "/admin/dwellings/{dwelling}",
                    "/admin/units/{unit}/qrcode",
                    "/admin/wishes", "/admin/bindings", "/admin/votes", "/admin/votes/{vote}",
                    "/admin/votes/{vote}/non-voters", "/admin/votes/{vote}/ballots", "/admin/votes/{done}",
                    "/admin/votes/{done}/notice", "/admin/surveys", "/admin/surveys/{survey}",
                    "/admin/surveys/{survey}/questions/{question}", "/admin/projects", "/admin/projects/{project}",
                    "/admin/notices", "/admin/notices/{notice}", "/admin/simulator",
                    "/admin/votes/{vote}/proxies", "/admin/compounds/{compound}/structure",
                    "/admin/projects/{project}/works", "/admin/projects/{project}/gate",
                    "/admin/projects/{project}/contributions", "/admin/elections", "/admin/publicity",
                    "/admin/lifts", "/admin/inbox", "/admin/me/wechat"],
    "county_a": ["/admin/regions", "/admin/works", "/admin/dashboard", "/admin/dashboard?region={community}", "/admin/dashboard/compounds",
                 "/admin/dashboard/votes?outcome=rejected", "/admin/ledger?year=2026", "/admin/projects",
                 "/admin/catalogue", "/admin/lifts"],
    "admin": ["/admin/staff", "/admin/staff/{staff}", "/admin/audit"],
    None: ["/admin/login", "/public/votes/{done}", "/public/defects/{defect_token}"],
}


def blocking(results):
    """The serious and critical violations, each with the first few offending nodes."""
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in results.response["violations"] if v["impact"] in BLOCKING]


def unreachable_by_keyboard(page):
    """The visible actions that pressing Tab from the top of the page never focuses (radio groups: one)."""
    count = page.evaluate(MARK_ACTIONS)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached = set()
    first = None
    for _press in range(6 * count + 10):  # date fields take a stop per part, scrollable regions one
        page.keyboard.press("Tab")
        mark = page.evaluate(FOCUSED)
        if mark is not None:
            if mark == first:
                break  # round the page and back to the start
            first = first or mark
            reached.add(int(mark))
    radios = page.evaluate("""() => [...document.querySelectorAll('[data-kb]')]
        .filter(el => el.type === 'radio').map(el => [+el.dataset.kb, el.form ? el.name + '@' + [...document.forms].indexOf(el.form) : el.name])""")
    groups = {}
    for mark, group in radios:
        groups.setdefault(group, set()).add(mark)
    for marks in groups.values():  # Tab enters a radio group once; arrows move within it
        if marks & reached:
            reached |= marks
    return [page.evaluate(f"() => document.querySelector('[data-kb=\"{i}\"]').outerHTML.slice(0, 100)")
            for i in range(count) if i not in reached]


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_main_page_passes_axe_in_both_languages_on_desktop_and_phone(chromium, live_server, scene, world,
                                                                          locale):
    axe = Axe()
    ids = dict(scene, staff=world.committee_a.id, community=world.community_a.id)
    found = {}
    for width in (1280, 390):
        for username, paths in PAGES.items():
            context = chromium.new_context(base_url=live_server.url, locale="zh-CN",
                                           viewport={"width": width, "height": 900})
            context.add_init_script(LISTEN_CSP)
            page = context.new_page()
            page.set_default_timeout(15000)
            if username:
                sign_in(page, username, PASSWORD)
            page.goto(f"/admin/login?lang={locale}")
            for path in paths:
                path = path.format(**ids)
                response = page.goto(path)
                assert response.status == 200, (username, path, response.status)
                assert page.locator("html").get_attribute("lang") == ("en" if locale == "en" else "zh-CN")
                problems = blocking(axe.run(page, options=AXE_OPTIONS))
                if problems:
                    found[(width, path)] = problems
                faint = page.evaluate(FAINT_CONTROLS)
                if faint:
                    found[(width, path, "contrast")] = faint
                csp = page.evaluate(CSP_REPORTS)
                if csp:
                    found[(width, path, "csp")] = csp
                if locale == "zh":
                    foreign = page.evaluate(FOREIGN_IN_CHINESE, DATA)
                    if foreign:
                        found[(width, path, "language")] = sorted(set(foreign))
                name = f"a11y-{locale}-{width}" + re.sub(r"[^\w]+", "-", path).rstrip("-")
                screenshot(page, name)
                if width == 1280:
                    missed = unreachable_by_keyboard(page)
                    if missed:
                        found[(width, path, "keyboard")] = missed
            context.close()
    report = "\n".join(f"{key}: {value}" for key, value in sorted(found.items(), key=str))
    (ARTIFACTS / f"a11y-{locale}.txt").write_text(report or "no violations\n", encoding="utf-8")
    assert found == {}, report
