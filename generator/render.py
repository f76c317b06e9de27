"""Render the intermediate model with the Jinja2 templates in templates/."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2

from .model import Spec

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
GENERATED_PACKAGE = Path("backend_ai_client") / "_generated"

#: template name -> output path (relative to the output root)
OUTPUTS = {
    "package_init.py.j2": GENERATED_PACKAGE / "__init__.py",
    "constants.py.j2": GENERATED_PACKAGE / "constants.py",
    "client.py.j2": GENERATED_PACKAGE / "client.py",
    "namespaces.py.j2": GENERATED_PACKAGE / "namespaces.py",
    "api.md.j2": Path("docs") / "api.md",
}


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render(spec: Spec, spec_name: str = "api_spec.json") -> dict[Path, str]:
    """Every output file's text, by relative path."""
    env = environment()
    env.filters["indent_block"] = _indent_block
    out = {}
    for template, rel in sorted(OUTPUTS.items(), key=lambda kv: str(kv[1])):
        text = env.get_template(template).render(spec=spec, spec_name=spec_name)
        out[rel] = text
    return out


def write(files: dict[Path, str], root: Path) -> list[Path]:
    """Replace the generated folder under ``root`` with ``files``."""
    target = root / GENERATED_PACKAGE
    if target.exists():
        shutil.rmtree(target)
    written = []
    for rel, text in sorted(files.items(), key=lambda kv: str(kv[0])):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(rel)
    return written


def _indent_block(text: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else line for line in text.splitlines())
