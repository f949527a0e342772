"""The static files: how they are built, and how they are named and served for caching.

Built by ``flask --app app assets``: the vendored htmx, the PNG app icons, and a gzip and a
brotli copy of each text file (``carnet.css.gz``, ``carnet.css.br``), made once at the best
compression instead of at each request. The sources are committed (``package-lock.json``
pins htmx, the icons are SVG); the outputs are git-ignored.

Served with a version: templates link ``asset("css/carnet.css")``, which is
``/static/css/carnet.css?v=<hash of its content>`` (so is any ``url_for("static", …)``).
That URL never changes content, so it is cached for a year, ``immutable``; any other URL of
a static file gets ``no-cache`` (the browser asks again each time and gets a 304 while
unchanged). A query rather than a hashed
name: the files keep their names on disk, so nothing is copied or renamed at build time,
nginx serves the checkout's ``static/`` as it is, and a file is named the same wherever it
is named by hand (the service worker's ``importScripts``).
"""

from __future__ import annotations

import filecmp
import gzip
import hashlib
import mimetypes
import os
import shutil
from functools import lru_cache
from pathlib import Path

import brotli
import click
from flask import (
    Flask,
    current_app,
    has_app_context,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.security import safe_join

HTMX_SOURCE = Path("node_modules/htmx.org/dist/htmx.min.js")
HTMX_TARGET = Path("static/vendor/htmx.min.js")

ICONS_DIR = Path("static/icons")
# (source SVG, output PNG, size in pixels), inside ICONS_DIR
ICONS = [
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable-512.svg", "icon-maskable-512.png", 512),
]


# Which static files get a compressed copy: text (PNG icons are compressed already).
COMPRESSED_SUFFIXES = (".css", ".js", ".svg")
# Precompressed copies, best first, as (Content-Encoding, suffix of the copy).
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
IMMUTABLE = "public, max-age=31536000, immutable"


def _is_fresh(source: Path, target: Path) -> bool:
    return target.exists() and target.stat().st_mtime >= source.stat().st_mtime


def _render_png(source: Path, target: Path, size: int) -> None:
    # Imported here: cairosvg (and the cairo C library) is only needed to build.
    try:
        import cairosvg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise click.ClickException(
            'cairosvg is missing: pip install -e ".[build]" to render the icons'
        ) from exc
    cairosvg.svg2png(url=str(source), write_to=str(target), output_width=size, output_height=size)


def build_assets(root: Path) -> list[Path]:
    """Copy htmx and render the icons under ``root``; return the files written.

    Outputs newer than their sources are left alone.
    """
    written: list[Path] = []

    htmx_source, htmx_target = root / HTMX_SOURCE, root / HTMX_TARGET
    if not htmx_source.exists():
        raise click.ClickException(f"{htmx_source} is missing: run `npm ci` first")
    # Compared by content: `npm ci` rewrites node_modules even when the version is unchanged.
    if not (htmx_target.exists() and filecmp.cmp(htmx_source, htmx_target, shallow=False)):
        htmx_target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(htmx_source, htmx_target)
        written.append(htmx_target)

    for source_name, target_name, size in ICONS:
        source, target = root / ICONS_DIR / source_name, root / ICONS_DIR / target_name
        if not _is_fresh(source, target):
            _render_png(source, target, size)
            written.append(target)

    written += precompress(root / "static")
    return written


def precompress(static: Path) -> list[Path]:
    """Write a ``.gz`` and a ``.br`` copy beside each text file of ``static``, at the best
    compression (served by nginx's ``gzip_static``/``brotli_static`` and by the app's own
    static route); return the copies written. Copies newer than their file are left alone."""
    written: list[Path] = []
    for source in sorted(static.rglob("*")):
        # sw.js is served by its own route (app/main.py), filled in at each request.
        if (not source.is_file() or source.suffix not in COMPRESSED_SUFFIXES
                or source == static / "sw.js"):
            continue
        data = None
        for _encoding, suffix in ENCODINGS:
            target = source.with_name(source.name + suffix)
            if _is_fresh(source, target):
                continue
            data = source.read_bytes() if data is None else data
            # mtime=0: the same file gives the same bytes, whenever it is built.
            packed = (brotli.compress(data, quality=11) if suffix == ".br"
                      else gzip.compress(data, compresslevel=9, mtime=0))
            target.write_bytes(packed)
            written.append(target)
    return written


@lru_cache(maxsize=512)
def _content_hash(path: str, signature: tuple[int, int, int]) -> str:
    # Keyed on the file's stat: a file replaced (a new version checked out, or edited while
    # developing) is hashed again; an unchanged one is read once per process.
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def content_hash(static_folder: str, filename: str) -> str | None:
    """A short hash of the content of ``filename`` in ``static_folder``; None if no such file."""
    path = safe_join(static_folder, filename)
    try:
        stat = os.stat(path) if path else None
    except OSError:
        stat = None
    if stat is None or not os.path.isfile(path):
        return None
    return _content_hash(path, (stat.st_mtime_ns, stat.st_size, stat.st_ino))


def asset(filename: str) -> str:
    """The URL of the static file ``filename`` ("css/carnet.css") that names its content,
    ``/static/css/carnet.css?v=3f2a9c1b04de``: cached by browsers for a year."""
    return url_for("static", filename=filename)


def _add_version(endpoint: str | None, values: dict) -> None:
    # Every URL of a static file carries its version, however it is built: asset(), or
    # url_for("static", …) in a template or in Python.
    if endpoint == "static" and "v" not in values and "filename" in values:
        version = content_hash(current_app.static_folder, values["filename"])
        if version is not None:  # a missing file: its URL as it is, answered by a 404
            values["v"] = version


def send_static(filename: str):
    """The static route: the file, its precompressed copy when the browser takes one, and
    a year of caching when the URL names the file's content (``?v=`` of :func:`asset`)."""
    folder = current_app.static_folder
    response = _send_precompressed(folder, filename) or send_from_directory(folder, filename)
    response.vary.add("Accept-Encoding")
    version = request.args.get("v")
    # Only the current content's hash is immutable: a page of the previous version asking
    # for ?v=<old> gets today's file, which must not be kept a year under the old name.
    if version and version == content_hash(folder, filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def _send_precompressed(folder: str, filename: str):
    """The ``.br`` or ``.gz`` copy of ``filename``, the best the browser accepts, if there
    is one newer than the file (Flask-Compress leaves an encoded response as it is)."""
    source = safe_join(folder, filename)
    if not filename.endswith(COMPRESSED_SUFFIXES) or not source or not os.path.isfile(source):
        return None
    for encoding, suffix in ENCODINGS:
        copy = Path(source + suffix)
        if request.accept_encodings[encoding] and copy.is_file() and _is_fresh(
                Path(source), copy):
            response = send_from_directory(
                folder, filename + suffix, download_name=Path(filename).name,
                mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream")
            response.content_encoding = encoding
            return response
    return None


def init_app(app: Flask) -> None:
    """Templates get ``asset()``; every static URL is versioned, and the static route
    answers it (:func:`send_static`)."""
    app.jinja_env.globals["asset"] = asset
    app.url_defaults(_add_version)
    app.view_functions["static"] = send_static


TITLE = "Carnet is resting for a moment"


def write_unavailable_pages(app: Flask, static: Path) -> list[Path]:
    """``static/errors/unavailable.<language>.html``: the page nginx shows, in the reader's
    language, when no instance answers (``deploy/nginx.conf``); the files that changed."""
    from flask_babel import force_locale, gettext

    written = []
    (static / "errors").mkdir(exist_ok=True)
    for language in app.config["LANGUAGES"]:
        with app.test_request_context("/"), force_locale(language):
            if language != "en" and gettext(TITLE) == TITLE:  # Flask-Babel would say nothing
                raise click.ClickException(
                    f"no {language} catalogue: pybabel compile -d translations, then again")
            page = render_template("errors/unavailable.html").encode()
        target = static / "errors" / f"unavailable.{language}.html"
        if not (target.exists() and target.read_bytes() == page):
            target.write_bytes(page)
            written.append(target)
    return written


@click.command("assets")
def assets_command() -> None:
    """Copy the pinned htmx into static/vendor, render the PNG icons, precompress."""
    if has_app_context():
        root = Path(current_app.root_path).parent
    else:
        root = Path(__file__).resolve().parent.parent
    written = build_assets(root)
    if has_app_context():
        written += write_unavailable_pages(current_app._get_current_object(), root / "static")
    for path in written:
        click.echo(f"wrote {path.relative_to(root)}")
    if not written:
        click.echo("assets are up to date")
