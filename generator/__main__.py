"""``python -m generator [--spec FILE] [--out DIR] [--check]``."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from .load import SpecError, load_spec
from .render import GENERATED_PACKAGE, ROOT, render, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("--spec", default=str(ROOT / "api_spec.json"), help="the spec to read (default: api_spec.json)")
    parser.add_argument("--out", default=str(ROOT), help="output root; files go under backend_ai_client/_generated/")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if the files under --out differ")
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        print(f"generator: {exc}", file=sys.stderr)
        return 2
    files = render(spec, Path(args.spec).name)
    root = Path(args.out)
    if args.check:
        return _check(files, root)
    write(files, root)
    total = len(spec.client_members)
    declarative = spec.stats.get("request", 0) + spec.stats.get("alias", 0) + spec.stats.get("property", 0)
    print(
        f"generator: wrote {len(files)} files under {root / GENERATED_PACKAGE} from {args.spec}: "
        f"{total} client members ({spec.stats.get('request', 0)} request recipes, {spec.stats.get('alias', 0)} aliases, "
        f"{spec.stats.get('property', 0)} properties, {spec.stats.get('hook', 0)} hooks, "
        f"{spec.stats.get('runtime', 0)} runtime); declarative share {declarative}/{total}"
    )
    return 0


def _check(files: dict[Path, str], root: Path) -> int:
    problems = 0
    expected = {root / rel for rel in files}
    existing = {p for p in (root / GENERATED_PACKAGE).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    for extra in sorted(existing - expected):
        print(f"check-generated: {extra} is not produced by the generator (remove it)", file=sys.stderr)
        problems += 1
    for rel, text in sorted(files.items(), key=lambda kv: str(kv[0])):
        path = root / rel
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            problems += 1
            diff = difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True), f"committed/{rel}", f"rendered/{rel}"
            )
            sys.stderr.writelines(list(diff)[:200])
    if problems:
        print(f"check-generated: {problems} generated file(s) are out of date with the spec; run `make generate`",
              file=sys.stderr)
        return 1
    print(f"check-generated: {len(files)} generated files match the spec")
    return 0


if __name__ == "__main__":
    sys.exit(main())
