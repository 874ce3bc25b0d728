"""A new network namespace gets its loopback interface up, as runc and crun do."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

# The listener is known to be up before the client sends (its port, 4000 = 0FA0, listed in
# /proc/net/tcp). The client reads its message from a file, not from `echo |`: busybox nc
# exits when its peer closes, and the listener (stdin /dev/null) half-closes at once, so a
# piped echo that is late on a loaded machine would never be sent.
SCRIPT = ("cat /sys/class/net/lo/flags > /results/flags; ls /sys/class/net > /results/links; "
          "echo hello > /results/msg; "
          "timeout 30 nc -l -p 4000 127.0.0.1 > /results/got & "
          "i=0; while ! grep -q ':0FA0 ' /proc/net/tcp && [ $i -lt 200 ]; do "
          "sleep 0.1; i=$((i+1)); done; "
          "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 5 127.0.0.1 4000 < /results/msg && break; "
          "sleep 0.5; done; wait; ip addr show lo > /results/addr")


def test_loopback_is_up_in_a_new_network_namespace(rt, runc):
    ours = rt.run_script("lo", SCRIPT)
    theirs = runc.run_script("lo", SCRIPT)
    assert theirs["exit"] == "0", theirs
    assert int(theirs["flags"], 16) & 1                # the control: runc sets lo up
    assert ours["exit"] == "0", ours
    assert ours["flags"] == theirs["flags"] and ours["links"] == theirs["links"] == "lo"
    assert theirs["got"] == "hello", theirs            # traffic over 127.0.0.1 works
    assert ours["got"] == "hello", ours
    assert "127.0.0.1/8" in ours["addr"] and "127.0.0.1/8" in theirs["addr"]


def test_without_a_new_network_namespace_the_hosts_is_used(rt):
    # the host's own network namespace: lo is already up there and stays so
    ours = rt.run_script("hostnet", "cat /sys/class/net/lo/flags > /results/flags",
                         lambda cfg: cfg["linux"]["namespaces"].__setitem__(
                             slice(None), [n for n in cfg["linux"]["namespaces"]
                                           if n["type"] != "network"]))
    assert ours["exit"] == "0", ours
    assert int(ours["flags"], 16) & 1
