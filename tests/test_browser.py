"""A real browser: the test starts the server and headless Chromium, and reads the page."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

FURANYL = "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    audit = tmp_path_factory.mktemp("audit") / "audit.sqlite"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "classwide.cli",
            "serve",
            "--port",
            str(port),
            "--audit-url",
            f"sqlite:///{audit}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/api/v1/health", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the server did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = Options()
    profile = tmp_path_factory.mktemp("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1500",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def _check(browser, server, text: str) -> dict[str, str]:
    browser.get(server + "/")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#jurisdictions input")
    )
    box = browser.find_element(By.ID, "structure")
    box.clear()
    box.send_keys(text)
    browser.find_element(By.ID, "check-button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".card"))
    return {
        card.get_attribute("data-jurisdiction"): card.text
        for card in browser.find_elements(By.CSS_SELECTOR, ".card")
    }


def test_furanylfentanyl_is_listed_with_clause_e_and_1(browser, server, tmp_path):
    cards = _check(browser, server, FURANYL)
    assert "LISTED" in cards["US"] and "LISTED" in cards["CN"]
    assert "US-FRS [E]" in cards["US"] and "CN-FRS [1]" in cards["CN"]
    assert "furan-2-carbonyl" in cards["US"]
    # Beside the clause the structure uses: the law's words and what "acyl" means.
    clause = browser.find_element(By.CSS_SELECTOR, '.card[data-jurisdiction="US"] li.clause')
    assert clause.get_attribute("data-clause") == "E"
    assert "acyl" in clause.text and "R-C(=O)-" in clause.text
    assert browser.find_elements(By.CSS_SELECTOR, ".card svg")
    shot = tmp_path / "furanylfentanyl.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_a_decoy_is_not_controlled(browser, server, tmp_path):
    cards = _check(browser, server, "CC(=O)Nc1ccc(O)cc1")
    assert all("NOT CONTROLLED" in text for text in cards.values())
    browser.save_screenshot(str(tmp_path / "paracetamol.png"))


def test_a_name_and_a_bad_input(browser, server):
    cards = _check(browser, server, "carfentanil")
    assert "LISTED" in cards["US"]
    browser.find_element(By.ID, "structure").clear()
    browser.find_element(By.ID, "structure").send_keys("C1CC(N")
    browser.find_element(By.ID, "check-button").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "message").text)
    assert "unparsable SMILES" in browser.find_element(By.ID, "message").text


def test_a_drawn_structure_is_checked(browser, server):
    """The editor loads from the server; what is drawn in it is what gets checked."""
    browser.get(server + "/")
    browser.find_element(By.CSS_SELECTOR, "#editor-box summary").click()
    WebDriverWait(browser, 30).until(
        lambda d: (
            "Draw" in d.find_element(By.ID, "editor-note").text
            and d.execute_script("return window.JSApplet !== undefined")
        )
    )
    # Drawing by mouse is JSME's own business; load a molecule through its API instead.
    browser.execute_script("structureEditor.readGenericMolecularInput(arguments[0])", FURANYL)
    browser.find_element(By.ID, "use-drawing").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".card"))
    cards = {
        c.get_attribute("data-jurisdiction"): c.text
        for c in browser.find_elements(By.CSS_SELECTOR, ".card")
    }
    assert "US-FRS [E]" in cards["US"]


def test_batch_tab_screens_a_file(browser, server, tmp_path):
    upload = tmp_path / "orders.smi"
    upload.write_text(f"{FURANYL} f\nCCO e\nbad( b\n")
    browser.get(server + "/")
    browser.find_element(By.ID, "tab-batch").click()
    browser.find_element(By.ID, "batch-file").send_keys(str(upload))
    browser.find_element(By.ID, "batch-button").click()
    WebDriverWait(browser, 60).until(lambda d: "done" in d.find_element(By.ID, "batch-status").text)
    assert "3 records, 1 with an error" in browser.find_element(By.ID, "batch-status").text
    assert "Download CSV" in browser.find_element(By.ID, "batch-links").text


def test_phone_width_keeps_the_cards_readable(browser, server):
    browser.set_window_size(390, 900)
    try:
        cards = _check(browser, server, FURANYL)
        widths = [c.size["width"] for c in browser.find_elements(By.CSS_SELECTOR, ".card")]
        assert len(cards) == 3 and all(w <= 390 for w in widths)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 400
    finally:
        browser.set_window_size(1280, 1500)


def test_readme_shows_a_screenshot_of_the_page():
    root = Path(__file__).resolve().parents[1]
    assert "](docs/screenshot.png)" in (root / "README.md").read_text()
    assert (root / "docs" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_api_docs_render_from_the_servers_own_files(browser, server):
    # /docs is Swagger UI served by classwide itself, under its Content-Security-Policy:
    # the operations must render in a real browser, with no request to another host.
    browser.get(server + "/docs")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/api/v1/check" in {p.replace("\u200b", "") for p in paths}
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(name.startswith(server) for name in loaded), loaded
