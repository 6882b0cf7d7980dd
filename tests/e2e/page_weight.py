"""What a page weighs: what the browser fetched to show it with an empty cache (the cache is
off), each response as the server sends it compressed. The live test server sends static
files uncompressed, so every body is gzipped here at Django's GZipMiddleware level (6).
WhiteNoise serves the static files at gzip level 9 or as brotli, so real transfers are a
little smaller, never larger."""

import gzip

from playwright.sync_api import Page, Response

BUDGET = 150 * 1024  # a main page's first load, compressed


def compressed_size(response: Response) -> int:
    try:
        body = response.body()
    except Exception:  # a redirect has no body to fetch
        return 0
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def record_without_cache(page: Page) -> list[Response]:
    """Responses to ``page`` from now on, with the browser's cache off (a first visit)."""
    page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    return responses
