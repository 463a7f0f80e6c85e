"""Reader pages served from Django's cache, kept exact by version stamps.

The pieces, each in its own module:
- `versions`: a version per *scope* (what a page shows: "site", "listings", "story:42"),
  kept in PostgreSQL so every worker sees a change at once; `bump()` and `current()`.
- `registry`: which models change which scopes. Apps `watch()` their models in
  `AppConfig.ready()`; post_save, post_delete and m2m_changed receivers bump.
- `placeholders`: per-visitor holes in shared pages (the CSRF token, a form's one-time
  token). Apps register a named placeholder and its filler; every HTML response gets
  them filled in.
- `decorators.reader_page`: marks a view as a cacheable page and names its scopes.
- `middleware`: serves marked pages from the cache, with ETag/304s and cache headers.

The app knows no other app: articles and comments tell it what they need.
"""
