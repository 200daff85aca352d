"""Continuous pings between lab pods and the outage computed from reply timestamps (LAB_NOTES method).

``ping -D -i 0.01`` prints ``[epoch] 64 bytes from IP: icmp_seq=N ...`` for every reply.  The outage of a
flow is the longest time between two consecutive replies minus one normal interval (the median gap):
the lost count times 10 ms would understate it, because iputils really sends every ~16 ms on a loaded VM.
"""
import re
import signal
import statistics
import subprocess
import time

REPLY = re.compile(r"^\[(?P<ts>\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(?P<seq>\d+)")


def parse(text):
    """``[(timestamp, seq)]`` of the replies in ping's output (duplicates dropped)."""
    seen, out = set(), []
    for line in text.splitlines():
        match = REPLY.match(line)
        if match and match.group("seq") not in seen:
            seen.add(match.group("seq"))
            out.append((float(match.group("ts")), int(match.group("seq"))))
    return out


def analyse(replies, sent=None, window=None):
    """Outage figures of one flow.

    ``replies``: ``[(timestamp, seq)]``; ``sent``: the number of requests ping sent (from its summary);
    ``window``: ``(start, end)`` epoch seconds -- only gaps that overlap it count (the migration).
    Returns ``{replies, lost, outage_s, stall_s, gaps, interval_s, last_reply}``; ``outage_s`` is the longest
    gap with missing sequence numbers minus the median interval (0.0 when there is none).  A long gap
    without a missing sequence number is not an outage: ping itself did not send (a stalled process on a
    loaded machine); the longest such gap is ``stall_s``.
    """
    times = [t for t, _seq in replies]
    if len(times) < 2:
        return {"replies": len(times), "lost": None, "outage_s": None, "stall_s": None, "gaps": [], "interval_s": None,
                "last_reply": times[-1] if times else None}
    deltas = [b - a for a, b in zip(times, times[1:])]
    interval = statistics.median(deltas)
    gaps = []
    for (a, sa), (b, sb) in zip(replies, replies[1:]):
        if b - a > max(3 * interval, 0.05):
            if window and (b < window[0] or a > window[1]):
                continue
            gaps.append({"from": a, "to": b, "seconds": round(b - a - interval, 3), "missing_seq": sb - sa - 1})
    seqs = [s for _t, s in replies]
    total = sent if sent is not None else (max(seqs) - min(seqs) + 1)
    return {"replies": len(times), "lost": total - len(set(seqs)),
            "outage_s": round(max((g["seconds"] for g in gaps if g["missing_seq"] > 0), default=0.0), 3),
            "stall_s": round(max((g["seconds"] for g in gaps if g["missing_seq"] == 0), default=0.0), 3),
            "gaps": gaps,
            "interval_s": round(interval, 4), "last_reply": times[-1]}


class PingFlow:
    """``ping -D -i 0.01`` from one pod namespace to a pod IP, output to a file."""

    def __init__(self, name, src_ns, dst_ip, out_path, interval="0.01"):
        self.name = name
        self.src_ns = src_ns
        self.dst_ip = dst_ip
        self.out_path = out_path
        self.interval = interval
        self.proc = None
        self.started = None
        self.stopped = None

    def start(self):
        self.started = time.time()
        with open(self.out_path, "w") as out:
            self.proc = subprocess.Popen(["ip", "netns", "exec", self.src_ns, "ping", "-D", "-n",
                                          "-i", self.interval, self.dst_ip],
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self):
        self.stopped = time.time()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self

    def text(self):
        with open(self.out_path) as handle:
            return handle.read()

    def sent(self):
        match = re.search(r"(\d+) packets transmitted", self.text())
        return int(match.group(1)) if match else None

    def result(self, window=None):
        res = analyse(parse(self.text()), sent=self.sent(), window=window)
        res.update(name=self.name, dst=self.dst_ip, duration_s=round((self.stopped or time.time()) - self.started, 2))
        return res
