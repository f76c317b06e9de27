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
    print(f"generator: wrote {len(files)} files from {args.spec}")
    print(health_report(spec))
    return 0


def health_report(spec) -> str:  # type: ignore[no-untyped-def]
    """How much of the surface is declarative, and which members use hand-written hooks."""
    stats = spec.stats
    members = spec.all_members
    declarative = sum(stats[k] for k in ("request", "graphql", "alias", "constant", "property"))
    api = declarative + stats["hook"]
    hooks = sorted(m.qualified_name for m in members if m.kind == "hook")
    runtime = sorted(m.qualified_name for m in members if m.kind == "runtime")
    return "\n".join([
        f"spec health: {len(members)} members: {stats['request']} request recipes, {stats['graphql']} GraphQL "
        f"recipes, {stats['alias']} aliases, {stats['constant']} constants, {stats['property']} properties, "
        f"{stats['hook']} hooks, "
        f"{stats['runtime']} runtime",
        f"  declarative: {declarative}/{len(members)} of all members ({100 * declarative / max(len(members), 1):.0f}%),"
        f" {declarative}/{api} of the members that talk to the server or hold state "
        f"({100 * declarative / max(api, 1):.0f}%)",
        f"  hooks ({len(hooks)}): {', '.join(hooks) or 'none'}",
        f"  runtime ({len(runtime)}, hand-written infrastructure and pure helpers): {', '.join(runtime) or 'none'}",
    ])


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
