"""The harness itself: Chromium opens the home page and it is in Chinese."""

from tests.browser.conftest import screenshot


def test_home_page_renders_in_chinese(page):
    page.goto("/")
    assert page.title().endswith("注册安全工程师注册管理系统")
    assert page.locator(".brand strong").inner_text() == "注册安全工程师注册管理系统"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    screenshot(page, "home-desktop")
