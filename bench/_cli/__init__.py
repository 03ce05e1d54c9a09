"""`bench` subcommands, one module each: `register(subparsers)` adds the parser and sets its handler."""


def print_table(header, lines, right=()) -> None:
    """Print `lines` (tuples of str) under `header` in columns as wide as their widest cell; columns whose index is
    in `right` are right-aligned."""
    table = [tuple(header)] + [tuple(line) for line in lines]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(line, widths))).rstrip())
