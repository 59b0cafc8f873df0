"""The page in a real headless browser: Debian's chromium and chromedriver through
selenium, against `hoidap serve`'s app on 127.0.0.1. Nothing is downloaded: the browser
and its driver are the system's (`.ci/run` installs them).

With HOIDAP_SCREENSHOTS=DIR the test also saves what the page looks like on a phone
(`bench/api_screenshots.sh` runs it so); a person looks at those files.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_api import running_api

from retrieval import Engine

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install chromium and chromium-driver (see .ci/run)")
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as shown  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# Document text with markup in it: the page must show it as text, never run or render it.
MARKUP = """<script>document.title='XSS'</script><img src=x onerror="document.title='XSS'">"""
ARTICLE = f"""Hội thảo về bảo vệ dữ liệu cá nhân <b>năm 2026</b>

date 2026-03-15

Ngày 15/3, tại Hà Nội, Cục An toàn thông tin tổ chức hội thảo về bảo vệ dữ liệu cá nhân.

Ông Nguyễn Văn An, Cục trưởng Cục An toàn thông tin, chủ trì hội thảo {MARKUP}.

Hội thảo có sự tham gia của hơn 200 đại biểu đến từ các bộ, ngành và doanh nghiệp.

Các đại biểu thảo luận về quy định mới đối với việc thu thập và xử lý dữ liệu cá nhân.
"""
OTHER = """Lễ hội hoa xuân tại Đà Lạt

Lễ hội hoa xuân diễn ra tại quảng trường Lâm Viên, thành phố Đà Lạt, từ ngày 20 đến 25 tháng 12.

Ban tổ chức cho biết lễ hội năm nay có hơn 300 gian hàng hoa và cây cảnh.
"""
QUESTION = "Ai chủ trì hội thảo về bảo vệ dữ liệu cá nhân?"


@pytest.fixture(scope="module")
def base_url(engine_over) -> Iterator[str]:
    engine: Engine = engine_over({"hoi-thao.txt": ARTICLE, "le-hoi.txt": OTHER})
    with running_api(engine) as client:
        yield str(client.base_url).rstrip("/")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        # A phone's viewport: the page must work there.
        "--window-size=390,844",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    folder = os.environ.get("HOIDAP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def ask(driver: webdriver.Chrome, question: str) -> None:
    box = driver.find_element(By.ID, "question")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "ask-button").click()


def test_a_question_typed_in_the_page_gets_a_cited_answer_and_its_citation_opens(browser, base_url):
    expected = httpx.get(f"{base_url}/v1/ask", params={"q": QUESTION}).json()
    first = expected["sentences"][0]
    assert expected["answered"] and "<script>" in first["text"]
    wait = WebDriverWait(browser, 10)
    browser.get(base_url + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    screenshot(browser, "1-trang-dau")

    ask(browser, QUESTION)
    wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, "#sources li")))
    screenshot(browser, "2-tra-loi")
    sentences = browser.find_element(By.ID, "sentences")
    assert first["text"] in sentences.text and "[1]" in sentences.text
    source = browser.find_element(By.CSS_SELECTOR, "#sources li")
    assert "Hội thảo về bảo vệ dữ liệu cá nhân <b>năm 2026</b>" in source.text
    assert "15/03/2026" in source.text
    # Markup in documents stays text: nothing was rendered or run.
    assert not browser.find_elements(By.CSS_SELECTOR, "main b, main script, main img")
    assert browser.title != "XSS"
    # Usable on a phone: nothing wider than the screen.
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )

    browser.find_element(By.CSS_SELECTOR, "#sources a.citation").click()
    cited = wait.until(shown.visibility_of_element_located((By.ID, "cited")))
    screenshot(browser, "3-trich-dan")
    assert cited.text == first["text"]
    assert browser.find_element(By.ID, "doc-title").text == first["title"]
    document = httpx.get(f"{base_url}/v1/documents/{first['doc_id']}").json()["text"]
    shown_text = browser.find_element(By.ID, "doc-text").text
    assert shown_text.split()[:5] == document.split()[:5]
    assert not browser.find_elements(By.CSS_SELECTOR, "#doc-text *:not(mark)")
    assert browser.title != "XSS"

    browser.find_element(By.ID, "back").click()
    wait.until(shown.visibility_of_element_located((By.ID, "answer")))

    ask(browser, "Giá vàng hôm nay bao nhiêu?")
    not_found = wait.until(shown.visibility_of_element_located((By.ID, "not-found")))
    screenshot(browser, "4-khong-tim-thay")
    assert "Không tìm thấy câu trả lời trong tài liệu." in not_found.text
    assert browser.find_element(By.ID, "hint").text
