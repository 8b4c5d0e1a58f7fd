"""``labeler serve``: a local web app for people who do not use a terminal.

Drop files, see each verdict in plain words with the HTML report's previews, label with the
settings of ``labeler.toml`` and download the labelled copies; a JSON API (``/api/verify``,
``/api/label``, ``/api/formats``) sits behind it. Modules:

    options   start-up settings, the page's label settings <-> labeler.toml, sizes, loopback
    security  the guard middleware: host check, token, CSRF, upload limit, CSP
    session   private temp files under random names, the session's entries, the zip
    work      what runs in the worker pool: verify/label one file and build its card
    pages     the two HTML pages (values escaped; cards filled with textContent by static/app.js)
    app       the routes
    command   the ``labeler serve`` flags and start-up

Starlette, uvicorn and python-multipart come with the ``serve`` extra; importing this package
needs none of them (``labeler.serve.app`` does).
"""
