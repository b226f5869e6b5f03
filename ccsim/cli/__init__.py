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
from typing import Annotated, Optional

import typer

from . import calibration, erlang, experiments, export, planning, run, staffing

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="ccsim: a contact-center simulator. Describe a center in a scenario file, run it, and read "
         "waiting, abandonment, service level, resolution and cost with 95% confidence intervals; "
         "compare plans on the same callers, sweep parameters, write reports and spreadsheets.",
    epilog="Start with: ccsim run scenarios/retail_bank_day.yaml. Each command has --help.",
)


def _version(value: bool) -> None:
    if value:
        from ..version import __version__

        typer.echo(f"ccsim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="print the ccsim version and exit")] = None,
) -> None:
    """ccsim: simulate a contact center."""


for group in (run, experiments, export, erlang, planning, staffing, calibration):
    group.register(app)


def main() -> None:
    """Console entry point."""
    # The command line draws into files, never windows: no display needed, none opened. (Set
    # here, not on import: a notebook that imports the CLI's modules keeps its inline plots.)
    os.environ.setdefault("MPLBACKEND", "Agg")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
