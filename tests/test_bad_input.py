"""Bad parameters on public URLs answer 400 or 404 with the site's own page, never 500."""

import pytest


@pytest.fixture(autouse=True)
def some_coverage(make_article):
    make_article("Envoy lands in Beijing", tags=["China"])


@pytest.mark.parametrize(
    "url",
    [
        "/articles/?page=abc",
        "/articles/?page=-1",
        "/articles/?page=0",
        "/articles/?page=999999",
        "/articles/?page=" + "9" * 5000,
        "/articles/?tag=no-such-topic",
        "/articles/?section=no-such-section",
        "/articles/no-such-story/",
        "/sections/no-such-section/",
        "/tags/no-such-topic/",
        "/authors/nobody/",
        "/tags/china/?page=2",
        "/articles/%E4%B8%AD%E5%9B%BD/",
    ],
)
def test_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/articles/?tag=" + "x" * 10_000,
        "/articles/?tag=%3Cscript%3E",
        "/articles/?tag=china%27--",
        "/articles/?tag=%00",
        "/articles/?tag=a&tag=b&tag=c&tag=d&tag=e&tag=f&tag=g",
        "/articles/?section=..%2F..%2Fetc",
        "/tags/china/?tag=%E4%B8%AD%E5%9B%BD",
    ],
)
def test_bad_request(client, url):
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "That request could not be understood" in page
    assert "<script>" not in page


def test_unknown_page_is_the_sites_own_page(client):
    page = client.get("/nowhere/").content.decode()
    assert 'class="masthead' in page and "Page not found" in page
