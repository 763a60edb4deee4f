"""A crawl of every page reachable from the home page by links (GET only), as a user clicking through would:
none answers with a server error. Job pages are followed until they redirect to their result."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin, urlsplit

LINK = re.compile(r'href="([^"#]*)(?:#[^"]*)?"')
MAX_PAGES = 400


def test_every_page_linked_from_the_home_page_answers_without_a_server_error(client):
    seen: set[str] = set()
    queue = ["/"]
    failures = []
    visits = 0
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        for _ in range(300):  # a job's progress page: wait for the job, as the page's refresh would
            if not (r.status_code == 200 and "/jobs/" in url and b'http-equiv="refresh"' in r.data):
                break
            time.sleep(0.1)
            r = client.get(url)
        if r.status_code >= 500:
            failures.append(f"{r.status_code} {url}")
            continue
        if r.status_code in (301, 302, 303, 307, 308):
            seen.discard(url)  # e.g. a report not made yet redirects to its job: visit it again once made
            visits += 1
            assert visits < MAX_PAGES, f"redirect loop at {url}"
            queue.insert(0, urlsplit(urljoin(url, r.headers["Location"]))._replace(scheme="", netloc="").geturl())
            continue
        if r.mimetype != "text/html":
            continue
        for href in LINK.findall(r.get_data(as_text=True)):
            target = urlsplit(urljoin(url, href.replace("&amp;", "&")))
            if target.netloc or not target.path.startswith("/") or target.path.startswith("/static/"):
                continue
            queue.append(target._replace(scheme="", netloc="", fragment="").geturl())
    assert not failures, "server errors:\n" + "\n".join(failures)
    assert len(seen) >= 5  # home, data, upload, the report and history of Anyshire at least
    assert "/data/anyshire/history" in seen and "/data/anyshire/report.xlsx" in seen
