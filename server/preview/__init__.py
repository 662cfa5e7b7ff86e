"""The search preview page's built files (index.html, app.js, app.css), served by `server.routes.preview`.

Generated from `web/` by `npm run build` and committed, so running Loupe needs no Node.js;
`SOURCES.sha256` records the sources they were built from (checked by tests/server/test_preview.py).
A package so that setup.cfg's package_data ships the files in the wheel.
"""
