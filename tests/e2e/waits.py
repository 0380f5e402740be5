"""Waiting until a page has its fragments, without waiting for the network to stay quiet.

Playwright's "networkidle" waits for half a second with no request after the last one, on every
page. htmx marks an element `htmx-request` while its request is in flight, and asks for a page's
own fragments (the notification badge) as it starts, before the load event: a page with no
such mark once it has loaded has every fragment in place.
"""

HTMX_IDLE = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"


def wait_for_fragments(page) -> None:
    page.wait_for_function(HTMX_IDLE)
