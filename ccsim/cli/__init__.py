"""The ``ccsim`` command: a thin layer over the Python API.

``ccsim run scenarios/erlang_a.yaml --reps 20`` is ``ccsim.run(load_scenario(...), reps=20)``
with a table printed; ``ccsim check`` validates a file and says what is in it; ``ccsim
erlang`` prints the analytic Erlang C / Erlang A values a planner knows from their calculator.
Bad input of any kind ends with one message per problem on stderr and exit code 2.

Each command lives in the module of its group and imports what it needs when it runs, so
that starting the command costs only Typer and Rich.
"""

from __future__ import annotations

import os
import sys

import typer

from . import erlang, experiments, planning, run

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="ccsim: simulate a contact center and read its KPIs with confidence intervals.",
)
for group in (run, experiments, erlang, planning):
    group.register(app)


def main() -> None:
    """Console entry point."""
    # The command line draws into files, never windows: no display needed, none opened. (Set
    # here, not on import: a notebook that imports the CLI's modules keeps its inline plots.)
    os.environ.setdefault("MPLBACKEND", "Agg")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
