"""bgpctl's JSON, replayed from samples of the real OpenBGPD 7.7 through a stand-in bgpctl."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import sys
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import NotFound
from ixcenter.routing.control.model import DaemonError, RouteSet, SessionState
from ixcenter.routing.control.openbgpd import BgpctlClient, parse_neighbors, parse_rib
from tests.live import require
from tests.routing.control.scenario import FILTERED, M1_V4, M2_ONLY

SAMPLES = Path(__file__).parent / "samples"
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
M1, M1_6, M2 = "AS64511 router 1", "AS64511 router 1 v6", "192.0.2.12"

#: bgpctl arguments (after ``-s SOCKET -j``) -> sample file
ANSWERS = {
    "show neighbor": "openbgpd-show-neighbor.json",
    "show summary": "openbgpd-show-summary.json",
    "show neighbor 192.0.2.200": "openbgpd-show-neighbor-unknown.json",
    f"show rib in neighbor {M1} detail": "openbgpd-show-rib-in-neighbor-m1.json",
    f"show rib neighbor {M1} detail": "openbgpd-show-rib-neighbor-m1.json",
    f"show rib out neighbor {M1} detail": "openbgpd-show-rib-out-neighbor-m1.json",
}

FAKE = """\
#!{python}
import json, sys
from pathlib import Path
here = Path({here!r})
args = sys.argv[1:]
assert args[0] == "-s" and args[2] == "-j", args
key = " ".join(args[3:])
if args[3] == "reload":
    queue = json.loads((here / "reloads.json").read_text())
    sys.stdout.write(Path(queue.pop(0)).read_text())
    (here / "reloads.json").write_text(json.dumps(queue))
elif key in {answers!r}:
    sys.stdout.write(Path({samples!r}, {answers!r}[key]).read_text())
else:
    sys.stderr.write("bgpctl: connect: no such socket\\n")
    sys.exit(1)
"""


@pytest.fixture
def bgpctl(tmp_path: Path) -> BgpctlClient:
    script = tmp_path / "bgpctl"
    script.write_text(
        FAKE.format(
            python=sys.executable, here=str(tmp_path), answers=ANSWERS, samples=str(SAMPLES)
        )
    )
    script.chmod(0o755)
    return BgpctlClient(tmp_path / "bgpd.sock", bgpctl=str(script), clock=FixedClock(NOW))


def sample(name: str) -> object:
    text = (SAMPLES / name).read_text()
    return json.loads(text[text.index("{") :])


def test_neighbors() -> None:
    sessions = {s.name: s for s in parse_neighbors(sample("openbgpd-show-neighbor.json"), now=NOW)}
    assert set(sessions) == {M1, M1_6, M2, "silent"}
    m1 = sessions[M1]
    assert m1.state is SessionState.ESTABLISHED
    assert (m1.peer_asn, m1.address) == (64511, ipaddress.ip_address("192.0.2.11"))
    assert m1.description == M1
    assert (m1.routes_received, m1.routes_exported) == (2, 1)
    assert m1.since is not None and m1.since <= NOW
    assert sessions[M1_6].address == ipaddress.ip_address("2001:db8::11")
    assert sessions[M2].description == "" and sessions[M2].routes_received == 2
    silent = sessions["silent"]
    assert silent.state in {SessionState.ACTIVE, SessionState.CONNECT} and silent.since is None
    assert silent.routes_received == 0


def test_info_says_why_a_session_is_down() -> None:
    """The NOTIFICATION last received, else the one last sent; the state while it is up."""
    base = {"remote_addr": "192.0.2.13", "remote_as": "64513", "description": "m3"}
    cases = [
        ({"state": "Idle", "last_error_sent": "Cease, received max-prefix exceeded"},
         "Cease, received max-prefix exceeded"),
        ({"state": "Active", "last_error_sent": "Cease, administratively down",
          "last_error_received": "Cease, peer de-configured"}, "Cease, peer de-configured"),
        ({"state": "Established", "last_error_sent": "Cease, administratively down"},
         "Established"),
        ({"state": "Connect"}, "Connect"),
    ]  # fmt: skip
    for fields, info in cases:
        (session,) = parse_neighbors({"neighbors": [{**base, **fields}]}, now=NOW)
        assert session.info == info, fields


def test_summary_has_the_same_sessions() -> None:
    sessions = parse_neighbors(sample("openbgpd-show-summary.json"), now=NOW)
    assert {s.name for s in sessions} == {M1, M1_6, M2, "silent"}
    assert all(s.routes_received is None for s in sessions)  # the summary does not count


def test_rib() -> None:
    routes = parse_rib(sample("openbgpd-show-rib-detail.json"))
    assert len(routes) == 4
    assert {(str(r.prefix), r.from_peer, r.best) for r in routes} == {
        ("2001:db8:1000::/36", M1_6, True),
        ("203.0.113.0/25", M1, True),
        ("203.0.113.0/25", M2, False),
        ("203.0.113.128/25", M2, True),
    }
    best = next(r for r in routes if r.prefix == M1_V4 and r.best)
    assert best.as_path == (64511,)
    assert best.communities == ((64511, 100),)
    assert best.large_communities == ((64511, 1, 2),)
    assert best.next_hop == ipaddress.ip_address("192.0.2.11")
    assert (best.local_pref, best.med, best.origin) == (100, 0, "IGP")
    assert dict(best.attributes)["ovs"] == "not-found"
    prepended = next(r for r in routes if r.prefix == M2_ONLY)
    assert prepended.as_path == (64512, 64512)


def test_client_routes(bgpctl: BgpctlClient) -> None:
    assert {r.prefix for r in bgpctl.routes(M1, RouteSet.RECEIVED)} == {M1_V4, FILTERED}
    accepted = bgpctl.routes(M1)
    assert [(r.prefix, r.best, r.filtered) for r in accepted] == [(M1_V4, True, False)]
    filtered = bgpctl.routes(M1, RouteSet.FILTERED)
    assert [(r.prefix, r.filtered, r.best, r.from_peer) for r in filtered] == [
        (FILTERED, True, False, M1)
    ]
    exported = bgpctl.routes(M1, RouteSet.EXPORTED)
    assert [(r.prefix, r.from_peer) for r in exported] == [(M2_ONLY, M2)]  # named by next hop


def test_client_sessions_and_status(bgpctl: BgpctlClient) -> None:
    assert bgpctl.status().running
    neighbors = json.loads((SAMPLES / "openbgpd-show-neighbor.json").read_text())["neighbors"]
    up_for = next(n["last_updown_sec"] for n in neighbors if n.get("description") == M1)
    m1 = next(s for s in bgpctl.sessions() if s.name == M1)
    assert m1.since == NOW - dt.timedelta(seconds=up_for)
    with pytest.raises(NotFound):
        bgpctl.session("192.0.2.200")
    with pytest.raises(DaemonError, match="no such socket"):
        bgpctl.routes("nobody")


def test_reload(bgpctl: BgpctlClient, tmp_path: Path) -> None:
    busy = tmp_path / "busy.txt"
    busy.write_text(
        'reload request sent.\n{"status": "FAILED", "error": "previous reload still running"}'
    )
    queue = [str(busy), str(SAMPLES / "openbgpd-reload-ok.txt")]
    (tmp_path / "reloads.json").write_text(json.dumps(queue))
    bgpctl.reload()  # waits out the busy answer
    assert json.loads((tmp_path / "reloads.json").read_text()) == []

    (tmp_path / "reloads.json").write_text(
        json.dumps([str(SAMPLES / "openbgpd-reload-failed.txt")])
    )
    with pytest.raises(DaemonError, match="config file has errors"):
        bgpctl.reload()


def test_a_stopped_daemon_is_not_running(tmp_path: Path) -> None:
    client = BgpctlClient(tmp_path / "none.sock", bgpctl=require("bgpctl"))
    status = client.status()
    assert not status.running and "none.sock" in status.message
