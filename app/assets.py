"""Build the generated static assets: the vendored htmx and the PNG app icons.

The sources are committed (``package-lock.json`` pins htmx, the icons are SVG); the
outputs are git-ignored and rebuilt with ``flask --app app assets``.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import click
from flask import current_app, has_app_context

HTMX_SOURCE = Path("node_modules/htmx.org/dist/htmx.min.js")
HTMX_TARGET = Path("static/vendor/htmx.min.js")

ICONS_DIR = Path("static/icons")
# (source SVG, output PNG, size in pixels), inside ICONS_DIR
ICONS = [
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable-512.svg", "icon-maskable-512.png", 512),
]


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

    return written


@click.command("assets")
def assets_command() -> None:
    """Copy the pinned htmx into static/vendor and render the PNG icons."""
    if has_app_context():
        root = Path(current_app.root_path).parent
    else:
        root = Path(__file__).resolve().parent.parent
    written = build_assets(root)
    for path in written:
        click.echo(f"wrote {path.relative_to(root)}")
    if not written:
        click.echo("assets are up to date")
