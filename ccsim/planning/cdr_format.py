"""How a call log is written: the mapping from its columns to ccsim's canonical fields.

A :class:`CdrFormat` says which column holds what, how times and dates are written and which
values mean served, abandoned, "not a call" or "none"; :func:`load_cdr_format` reads one from a
built-in name (``"anonymous_bank"``), a YAML file or a dict, every problem named.
:func:`ccsim.planning.cdr.read_cdr` reads a log with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ScenarioError
from ..spec.loading import pydantic_problems, read_yaml

Field_ = Literal[
    "call", "date", "arrival", "queue_entry", "queue_exit", "wait", "service_start", "service_end",
    "service_time", "outcome", "agent", "customer", "call_type", "priority",
]
RENAMED = ("call", "agent", "customer", "call_type", "outcome")
CLOCKS = ("arrival", "queue_entry", "queue_exit", "service_start", "service_end")
DURATIONS = ("wait", "service_time")
COLUMNS = (
    "call", "date", "arrival", "queue_entry", "queue_exit", "wait", "service_start", "service_end", "service_time",
    "outcome", "outcome_raw", "agent", "customer", "call_type", "priority", "source", "line",
)
OUTCOMES = ("served", "abandoned", "ignored", "other")


class Outcomes(BaseModel):
    """Which raw outcome values mean what; any other value becomes ``other``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    served: list[str] = Field(default_factory=list, description="answered by an agent")
    abandoned: list[str] = Field(default_factory=list, description="hung up (in the queue, or in the IVR)")
    ignored: list[str] = Field(default_factory=list, description="not a real call (e.g. PHANTOM)")


class CdrFormat(BaseModel):
    """How a call log is written: the mapping from its columns to the canonical fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    columns: dict[Field_, str] = Field(description="canonical field -> the log's column name")
    separator: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    files: str = Field(default="*.csv", description="which files of a folder to read (a glob)")
    column_names: list[str] | None = Field(default=None, description="for files without a header row")
    time_format: str = Field(
        default="clock",
        description="'clock' (H:MM:SS after midnight of the date column), 'ISO8601', or a strptime format",
    )
    date_format: str | None = Field(default=None, description="strptime format of the date column")
    outcomes: Outcomes = Field(default_factory=Outcomes)
    missing: dict[Field_, list[str]] = Field(default_factory=dict, description="values meaning 'none'")
    rename: dict[Literal[RENAMED], dict[str, str]] = Field(
        default_factory=dict, description="values to correct, e.g. an agent's name written two ways")

    @model_validator(mode="after")
    def _consistent(self) -> CdrFormat:
        if "arrival" not in self.columns:
            raise ValueError("columns needs 'arrival' (the column with each call's arrival time)")
        if self.time_format == "clock" and "date" not in self.columns:
            raise ValueError("with time_format 'clock' the columns need 'date' (the day of each call)")
        if "outcome" in self.columns and not (self.outcomes.served or self.outcomes.abandoned):
            raise ValueError("outcomes needs the values meaning served and abandoned (e.g. served: [ANS])")
        return self

    @property
    def clock(self) -> bool:
        return self.time_format == "clock"


BANK_FORMAT = CdrFormat(
    separator="\t",
    files="*.txt",
    columns={
        "call": "call_id", "date": "date", "arrival": "vru_entry", "queue_entry": "q_start", "queue_exit": "q_exit",
        "wait": "q_time", "service_start": "ser_start", "service_end": "ser_exit", "service_time": "ser_time",
        "outcome": "outcome", "agent": "server", "customer": "customer_id", "call_type": "type",
        "priority": "priority",
    },
    date_format="%y%m%d",
    outcomes=Outcomes(served=["AGENT"], abandoned=["HANG"], ignored=["PHANTOM"]),
    missing={
        "queue_entry": ["0:00:00"], "queue_exit": ["0:00:00"], "service_start": ["0:00:00"],
        "service_end": ["0:00:00"], "agent": ["NO_SERVER"], "customer": ["0"],
    },
    # In May and June every "NA" inside a name became "NO_SERVER": ANAT and NAAMA, the only
    # agents with "NA" in their names, appear there as ANO_SERVERT and NO_SERVERAMA.
    rename={"agent": {"ANO_SERVERT": "ANAT", "NO_SERVERAMA": "NAAMA"}},
)
"""The "Anonymous Bank" log (one tab-separated file per month, see the data's README)."""

FORMATS: dict[str, CdrFormat] = {"anonymous_bank": BANK_FORMAT}


def load_cdr_format(mapping: str | Path | dict[str, Any] | CdrFormat) -> CdrFormat:
    """A log format from a built-in name, a YAML file, a dict or a :class:`CdrFormat`.

    Raises:
        ScenarioError: a mapping that does not validate, one problem per line.
    """
    if isinstance(mapping, CdrFormat):
        return mapping
    source = None
    if isinstance(mapping, str) and mapping in FORMATS:
        return FORMATS[mapping]
    if isinstance(mapping, (str, Path)):
        source = str(mapping)
        if not Path(mapping).is_file():
            raise ScenarioError([("(top level)", f"not a built-in log format ({', '.join(FORMATS)}) nor a file")],
                                source)
        mapping = read_yaml(Path(mapping)) or {}
    try:
        return CdrFormat.model_validate(mapping)
    except ValidationError as exc:
        problems = []
        for path, message in pydantic_problems(exc, CdrFormat):
            if path.endswith(".[key]"):  # a key of columns / missing / rename that is no field
                path = path[: -len(".[key]")]
                allowed = RENAMED if path.startswith("rename") else get_args(Field_)
                message = f"not a field of a call; allowed: {', '.join(allowed)}"
            problems.append((path, message))
        raise ScenarioError(problems, source) from None
