"""ccsim trace: one customer's path as a readable timeline."""

from __future__ import annotations

import re

import pytest
import yaml

import ccsim
from ccsim.presentation.trace import duration

from .helpers import ROOT, single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as ccsim_cli


def busy_center_with_redials() -> dict:
    data = single_queue(hours=2, warmup_minutes=0, interval_minutes=60, agents=1, rate=120)
    data["segments"][0]["patience"] = {"dist": "deterministic", "value": 30}
    data["segments"][0]["redial"] = {"after_abandon": 1.0, "delay": {"dist": "deterministic", "value": 60},
                                     "max_contacts": 2}
    data["horizon"]["start"] = "09:00"
    return data


def test_default_customer_is_one_who_called_back():
    lines = ccsim.trace(busy_center_with_redials())
    assert lines[0].startswith("customer ") and "replication 0" in lines[0]
    body = lines[1:]
    assert "(first contact) arrives: general, patience 30 s" in body[0] and body[0].startswith("09:")
    assert body[1].endswith("joins the general queue")
    assert body[2].endswith("hangs up after waiting 30 s")
    assert "(redial 1) arrives" in body[3]
    times = [line.split()[0] for line in body]
    assert times == sorted(times)  # a timeline, in order


def test_an_answered_customer():
    lines = ccsim.trace(single_queue(hours=1, warmup_minutes=0, agents=40), customer=0)
    assert any(re.search(r"answered by agents agent \d+ after waiting 0 s", line) for line in lines)
    assert lines[-1].endswith("with the agent: resolved")


def test_unknown_customer():
    with pytest.raises(ValueError, match="no customer 10000"):
        ccsim.trace(single_queue(hours=1, warmup_minutes=0), customer=10_000)


def test_duration_format():
    expected = ["0 s", "59 s", "1 min 23 s", "1 h 0 min", "1 h 30 min"]
    assert [duration(x) for x in (0.4, 59, 83.2, 3600, 5400)] == expected


def test_cli_trace(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(busy_center_with_redials()))
    proc = ccsim_cli("trace", path, "--seed", "4")
    assert proc.returncode == 0, proc.stderr
    assert "seed 4" in proc.stdout and "hangs up after waiting 30 s" in proc.stdout and "redial 1" in proc.stdout
    assert_clean_error(ccsim_cli("trace", path, "--customer", "99999"), "no customer 99999")


def test_trace_of_a_transferred_customer():
    lines = ccsim.trace("scenarios/transfer_chain.yaml")  # the default customer is one who was transferred
    text = "\n".join(lines)
    assert "hands it on to the" in text and "(transfer 1)" in text and "cold transfer" in text
    times = [line.split()[0] for line in lines[1:]]
    assert times == sorted(times)


def test_trace_of_ivr_steps():
    lines = ccsim.trace("scenarios/ivr_menu.yaml", customer=1)
    ivr = [line for line in lines if "IVR:" in line]
    assert ivr and all("menu '" in line or "sent to" in line or "self-service" in line or "hangs up" in line
                       for line in ivr)
    assert any("leaves the IVR after" in line or "hangs up in the IVR" in line or "self-service" in line
               for line in lines)


def test_trace_cli_of_a_journey_scenario():
    proc = ccsim_cli("trace", "scenarios/multi_intent.yaml", "--customer", "6", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "further questions handled" in proc.stdout
