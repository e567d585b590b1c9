"""The CLI's subcommands, one module each (``check``, ``audit``, ``probe``).

Each module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (the exit status); the
first line of its docstring is its help. ``policies.cli`` registers them.
"""
