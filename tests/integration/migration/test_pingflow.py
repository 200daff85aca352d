"""The outage computation of the migration harness (tests/integration/migration/pingflow.py)."""
from .pingflow import analyse, parse

OUTPUT = """PING 192.168.0.129 (192.168.0.129) 56(84) bytes of data.
[1000.000] 64 bytes from 192.168.0.129: icmp_seq=1 ttl=62 time=0.10 ms
[1000.016] 64 bytes from 192.168.0.129: icmp_seq=2 ttl=62 time=0.10 ms
[1000.032] 64 bytes from 192.168.0.129: icmp_seq=3 ttl=62 time=0.10 ms
[1000.048] 64 bytes from 192.168.0.129: icmp_seq=4 ttl=62 time=0.10 ms
[1001.748] 64 bytes from 192.168.0.129: icmp_seq=110 ttl=62 time=0.10 ms
[1001.764] 64 bytes from 192.168.0.129: icmp_seq=111 ttl=62 time=0.10 ms
[1001.780] 64 bytes from 192.168.0.129: icmp_seq=112 ttl=62 time=0.10 ms
[1003.780] 64 bytes from 192.168.0.129: icmp_seq=113 ttl=62 time=0.10 ms
[1003.796] 64 bytes from 192.168.0.129: icmp_seq=114 ttl=62 time=0.10 ms

--- 192.168.0.129 ping statistics ---
114 packets transmitted, 9 received, 92% packet loss, time 3796ms
"""


def test_outage_from_timestamps_not_lost_count():
    replies = parse(OUTPUT)
    assert replies[0] == (1000.0, 1) and len(replies) == 9
    res = analyse(replies, sent=114)
    assert res["lost"] == 105
    # 1.700 s between the replies around the hole, minus one 16 ms interval (105 x 10 ms would say 1.05 s)
    assert res["outage_s"] == 1.684
    # 2 s without a missing sequence number: ping did not send, not an outage
    assert res["stall_s"] == 1.984


def test_no_gap_no_outage():
    res = analyse([(1000 + i * 0.016, i + 1) for i in range(100)], sent=100)
    assert res["lost"] == 0 and res["outage_s"] == 0.0 and res["gaps"] == []


def test_window_ignores_gaps_outside():
    replies = [(1000.0, 1), (1000.016, 2), (1002.0, 100), (1002.016, 101), (1002.032, 102)]
    assert analyse(replies, window=(1005, 1010))["outage_s"] == 0.0
    assert analyse(replies, window=(1001, 1003))["outage_s"] > 1.9
