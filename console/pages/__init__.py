"""The console's pages, one module per page named after what it shows (docs/console.md).

Server-rendered, enhanced with htmx. Every mutation is a plain POST answered
by a redirect, so the pages work without JavaScript; htmx adds the declare
dialog, the live timeline and the inline jargon check. Every view (page or
fragment) checks access itself.
"""
