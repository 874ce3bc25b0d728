"""Provenance stamps (oci_conform/provenance.py): the time format every results file carries,
and host facts equal to what platform reports."""
from __future__ import annotations

import datetime as dt
import platform

from oci_conform.host import host_facts
from oci_conform.provenance import now


def test_now_is_utc_iso_8601_to_the_second() -> None:
    stamp = now()
    parsed = dt.datetime.fromisoformat(stamp)
    assert parsed.utcoffset() == dt.timedelta(0)
    assert stamp == parsed.isoformat(timespec="seconds")
    assert abs((dt.datetime.now(dt.UTC) - parsed).total_seconds()) < 5


def test_host_facts_match_platform() -> None:
    facts, ref = host_facts(), platform.uname()
    assert (facts["hostname"], facts["system"], facts["kernel"], facts["machine"]) == (
        ref.node, ref.system, ref.release, ref.machine)
