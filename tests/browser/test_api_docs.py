"""The REST API's Swagger UI renders from local assets under the site's CSP (no CDN, no inline
script): the browser fixture fails the test on any console error or CSP violation."""

from playwright.sync_api import expect


def test_swagger_ui_renders_the_api_under_the_csp(page, live_server, db):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/responses/")
    expect(page.locator(".swagger-ui .authorize")).to_be_visible()
