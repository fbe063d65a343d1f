"""Lists the registered tasks and the data each needs.

    python -m lru_rtrl.list_tasks              # a plain-text table
    python -m lru_rtrl.list_tasks --markdown   # the table of docs/tasks.md

Plugins' tasks appear too when their modules are named: `--plugins my_pkg.my_tasks`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from typing import List, Optional, Sequence

from lru_rtrl import plugins
from lru_rtrl.registry import TASKS

COLUMNS = (("task", "task"), ("T", "T"), ("input", "input"), ("classes", "classes"),
           ("data", "data"), ("get", "to get the data"), ("config", "config"))
# Long free-text columns: on a narrow terminal they go under their task's row, wrapped.
WRAPPED = ("data", "get")


def rows() -> List[List[str]]:
    """One row per registered task, in COLUMNS order."""
    result = []
    for name in TASKS.names():
        about = dict(getattr(TASKS.get(name), "about", {}) or {})
        about.setdefault("config", f"configs/{name}.py")
        about["task"] = name
        result.append([about.get(key, "?") for key, _ in COLUMNS])
    return result


def markdown_table() -> str:
    header = [title for _, title in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows():
        cells = [f"`{row[0]}`"] + row[1:-1] + [f"`{row[-1]}`"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def text_table(width: Optional[int] = None) -> str:
    """A plain-text table that fits in `width` columns (default: the terminal's).

    When the table is wider, each task gets a block instead: its name, then its fields wrapped
    and indented (the long ones, what the data is and how to get it, on lines of their own).
    """
    width = width or shutil.get_terminal_size((100, 24)).columns
    header = [title for _, title in COLUMNS]
    table = [header] + rows()
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    if sum(widths) + 2 * (len(widths) - 1) <= width:
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                         for row in table)
    # Too wide: one block per task, its fields wrapped under its name.
    lines = []
    for row in table[1:]:
        fields = {key: f"{title}: {cell}" for (key, title), cell in zip(COLUMNS, row)}
        short = "; ".join(text for key, text in fields.items()
                          if key != "task" and key not in WRAPPED)
        lines.append(row[0])
        for text in [short] + [fields[key] for key in WRAPPED]:
            lines.extend(textwrap.wrap(text, width=max(width, 40), initial_indent="    ",
                                       subsequent_indent="      ", break_on_hyphens=False))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lru_rtrl.list_tasks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--plugins", nargs="*", default=(),
                        help="plugin modules (or .py files) to import first")
    args = parser.parse_args(argv)
    plugins.load_plugins(args.plugins)
    print(markdown_table() if args.markdown else text_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
