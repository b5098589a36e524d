#!/usr/bin/env python3
"""Checks what the vmtest guests sent back and prints one table of pass/fail.

    python3 vmtest/check.py RESULTS_DIR

RESULTS_DIR holds one directory per guest (vmtest/run.sh):

  probe-PACKAGE/    a probe guest: kernel-release, hostname, and per attach
                    mode (kprobe, tracepoint, auto) rarenet.log, events.jsonl
                    (what `rarenet record` wrote), expected.jsonl (what the
                    workload says it did, from the kernel's own answers),
                    kprobes.txt (/sys/kernel/debug/kprobes/list while
                    recording), workload.status, rarenet.status
  systemd-PACKAGE/  the systemd guest: checks.tsv (one check a line: name,
                    pass|fail, detail), written by vmtest/guest/systemd-test.sh

Probe checks, per kernel and mode: the hooks attached with the mode's
mechanism (the sensor's log, and the kernel's list of registered kprobes);
every workload step's event arrived exactly once with every field the
workload knows; no other event came from the workload's processes; the
workload and the recorder exited 0. And per kernel, the differential check:
the same step gives the same event in kprobe and tracepoint mode, field for
field (ts aside, and the fields in MODE_SPECIFIC_FIELDS, documented in
README.md). The exit status is 1 if any check failed or a guest sent nothing.
"""

import ipaddress
import json
import os
import re
import sys

MODES = ("kprobe", "tracepoint", "auto")
# The mechanism each mode must attach the network hooks (connect, bind) with;
# the process hooks (exec, exit) are tracepoints in every mode.
NETWORK_MECHANISM = {"kprobe": "kprobe", "tracepoint": "tracepoint", "auto": "kprobe"}
# What /sys/kernel/debug/kprobes/list shows when the kprobe programs are attached.
KPROBES = {("k", "tcp_connect"), ("k", "inet_bind"), ("r", "inet_bind"), ("k", "inet6_bind"), ("r", "inet6_bind")}
# Event fields allowed to differ between kprobe and tracepoint mode for the
# same step. Keep in step with README.md ("Attach modes").
MODE_SPECIFIC_FIELDS = set()
ADDRESS_FIELDS = {"saddr", "daddr"}
# The fields that pick a step's event out of the recording; the others are checked.
KEY_FIELDS = {"bind": ("pid", "action", "protocol", "family", "saddr"),
              "connect": ("pid", "action", "family", "daddr", "dport")}


def read(path, default=None):
    try:
        with open(path) as file:
            return file.read()
    except OSError:
        return default


def json_lines(path):
    text = read(path, "")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def same_value(field, a, b):
    if field in ADDRESS_FIELDS and isinstance(a, str) and isinstance(b, str):
        try:
            return ipaddress.ip_address(a) == ipaddress.ip_address(b)
        except ValueError:
            return a == b
    return a == b


def key_of(event):
    return tuple(str(ipaddress.ip_address(event[f])) if f in ADDRESS_FIELDS and f in event else event.get(f)
                 for f in KEY_FIELDS.get(event.get("action"), ()))


class Table:
    """Rows of checks, columns of guests and modes; each cell pass or fail."""

    def __init__(self):
        self.columns, self.rows, self.cells, self.details = [], [], {}, []

    def add(self, column, row, passed, detail=""):
        if column not in self.columns:
            self.columns.append(column)
        if row not in self.rows:
            self.rows.append(row)
        self.cells[(row, column)] = "pass" if passed else "FAIL"
        if not passed:
            self.details.append(f"{column} / {row}: {detail}")

    @property
    def failed(self):
        return any(value == "FAIL" for value in self.cells.values())

    def print(self):
        width = max(len(r) for r in self.rows)
        widths = [max(len(c), 4) for c in self.columns]
        print(f"{'check':<{width}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(self.columns, widths)))
        for row in self.rows:
            cells = (self.cells.get((row, c), "-") for c in self.columns)
            print(f"{row:<{width}}  " + "  ".join(f"{v:<{w}}" for v, w in zip(cells, widths)))
        for detail in self.details:
            print("  " + detail)


def attach_report(log):
    """The hooks=... of the sensor's 'attached' log line: {hook: mechanism}."""
    for line in log.splitlines():
        match = re.search(r"hooks=((?:\w+=\w+ ?)+) mode=\w+ \[RarenetCapture\] attached$", line)
        if match:
            return dict(pair.split("=") for pair in match.group(1).split())
    return None


def registered_kprobes(text):
    found = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            found.add((parts[1], parts[2].split("+")[0]))
    return found & KPROBES


def check_mode(table, column, directory, mode, hostname):
    """The checks of one mode of one probe guest; returns {step: normalised event} for the differential check."""
    log = read(f"{directory}/rarenet.log", "")
    hooks = attach_report(log)
    want = {"exec": "tracepoint", "exit": "tracepoint",
            "connect": NETWORK_MECHANISM[mode], "bind": NETWORK_MECHANISM[mode]}
    table.add(column, "hooks attached with the mode's mechanism (sensor log)", hooks == want,
              f"attached {hooks}, expected {want}; log:\n{log}")
    kprobes = registered_kprobes(read(f"{directory}/kprobes.txt", ""))
    want_kprobes = KPROBES if NETWORK_MECHANISM[mode] == "kprobe" else set()
    table.add(column, "kernel's registered kprobes match the mode", kprobes == want_kprobes,
              f"registered {sorted(kprobes)}, expected {sorted(want_kprobes)}")
    workload_status = read(f"{directory}/workload.status", "").strip()
    table.add(column, "workload ran to the end", workload_status == "0",
              f"status {workload_status or 'none'}: {read(directory + '/workload.log', '')}")

    expected = json_lines(f"{directory}/expected.jsonl")
    events = json_lines(f"{directory}/events.jsonl")
    workload_pids = {e["pid"] for e in expected}
    matched, normalised = set(), {}
    for step in expected:
        name, wanted = step["step"], {k: v for k, v in step.items() if k != "step"}
        wanted["host"] = hostname
        candidates = [i for i, e in enumerate(events) if key_of(e) == key_of(wanted)]
        matched.update(candidates)
        if len(candidates) != 1:
            table.add(column, f"event: {name}", False,
                      f"{len(candidates)} events for {key_of(wanted)}, expected 1: {[events[i] for i in candidates]}")
            continue
        event = events[candidates[0]]
        wrong = {f: (event.get(f), v) for f, v in wanted.items() if not same_value(f, event.get(f), v)}
        table.add(column, f"event: {name}", not wrong,
                  "; ".join(f"{f}: recorded {got!r}, expected {v!r}" for f, (got, v) in wrong.items()))
        normalised[name] = {f: ("=" if f in wanted and same_value(f, v, wanted[f]) else v)
                            for f, v in event.items() if f != "ts"}
    others = [e for i, e in enumerate(events) if e.get("pid") in workload_pids and i not in matched]
    table.add(column, "no other events from the workload", bool(expected) and not others,
              f"unexpected: {others}" if others else "the workload reported no steps")
    status = read(f"{directory}/rarenet.status", "").strip()
    table.add(column, "rarenet record exited 0", status == "0", f"status {status or 'none'}; log:\n{log}")
    return normalised


def check_probe_guest(table, directory):
    release = read(f"{directory}/kernel-release", "").strip()
    name = os.path.basename(directory)[len("probe-"):]
    if not release:
        table.add(name, "guest booted and sent its results", False,
                  f"nothing came back; console:\n{read(directory + '/' + os.path.basename(directory) + '.console', '')[-3000:]}")
        return
    hostname = read(f"{directory}/hostname", "").strip()
    by_mode = {}
    for mode in MODES:
        column = f"{release} {mode}"
        table.add(column, "guest booted and sent its results", True)
        by_mode[mode] = check_mode(table, column, f"{directory}/{mode}", mode, hostname)
    kprobe, tracepoint = by_mode["kprobe"], by_mode["tracepoint"]
    differences = []
    for step in sorted(set(kprobe) | set(tracepoint)):
        a, b = kprobe.get(step), tracepoint.get(step)
        if a is None or b is None:
            differences.append(f"{step}: recorded in one mode only")
            continue
        for field in sorted((set(a) | set(b)) - MODE_SPECIFIC_FIELDS):
            if not same_value(field, a.get(field), b.get(field)):
                differences.append(f"{step}.{field}: kprobe {a.get(field)!r}, tracepoint {b.get(field)!r}")
    table.add(f"{release} kprobe", "same events as tracepoint mode (differential)", not differences,
              "; ".join(differences))


def check_systemd_guest(table, directory):
    column = "systemd guest " + (read(f"{directory}/kernel-release", "").strip() or os.path.basename(directory))
    rows = [line.split("\t", 2) for line in read(f"{directory}/checks.tsv", "").splitlines() if line]
    table.add(column, "guest booted and sent its results", bool(rows),
              f"nothing came back; console:\n{read(directory + '/' + os.path.basename(directory) + '.console', '')[-3000:]}")
    for name, verdict, *detail in rows:
        table.add(column, name, verdict == "pass", detail[0] if detail else "")
    security = read(f"{directory}/security.txt")
    if security:
        # What the unit still exposes (the lines systemd-analyze marks), and the score.
        exposed = [line for line in security.splitlines() if line.startswith(("✗", "→"))]
        print(f"systemd-analyze security rarenet ({column}):\n" + "\n".join(exposed) + "\n")


def main():
    results = sys.argv[1]
    probes, systemd = Table(), Table()
    guests = sorted(os.listdir(results)) if os.path.isdir(results) else []
    for guest in guests:
        if guest.startswith("probe-"):
            check_probe_guest(probes, os.path.join(results, guest))
        elif guest.startswith("systemd-"):
            check_systemd_guest(systemd, os.path.join(results, guest))
    if not guests:
        print(f"vmtest: no guest results in {results}")
        return 1
    for table in (probes, systemd):
        if table.rows:
            table.print()
            print()
    failed = probes.failed or systemd.failed
    print("vmtest: " + ("FAILED" if failed else "every check passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
