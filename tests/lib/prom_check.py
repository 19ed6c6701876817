#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Strict checker of the Prometheus text exposition format (version 0.0.4)
for the srptd tests: what Prometheus's own parser requires, plus the
conventions srptd promises (srptd(8) METRICS).

  prom_check.py FILE [--expect 'SERIES=VALUE' ...] [--min 'SERIES=VALUE' ...]

SERIES is a metric name with its labels exactly as printed, e.g.
srptd_device_online{device="null0"}.  --expect wants that value, --min at
least it.  Exit 0 when everything holds, 1 with one line per problem.

Checked: every sample follows a TYPE line of its family; HELP and TYPE at
most once per family and before its samples; a family's samples are
contiguous; metric and label names match the allowed patterns; label
values are correctly escaped; no series appears twice; values are floats;
counters end in _total and are not negative; histograms have, per label
set, buckets with increasing le ending in +Inf, cumulative counts, a _sum,
and a _count equal to the +Inf bucket.
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Problems:
    def __init__(self):
        self.list = []

    def add(self, lineno, msg):
        self.list.append(f"line {lineno}: {msg}" if lineno else msg)


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    return float(s)  # raises ValueError


def parse_labels(text, pos, lineno, probs):
    """text[pos] == '{'; returns (labels as list of (k, v), end index)."""
    labels = []
    i = pos + 1
    while True:
        if i < len(text) and text[i] == "}":
            return labels, i + 1
        m = LABEL.match(text, i)
        if not m:
            raise ValueError("bad label name")
        key = m.group(0)
        if key.startswith("__"):
            raise ValueError(f"reserved label name {key}")
        i = m.end()
        if text[i:i + 2] != '="':
            raise ValueError(f"label {key}: expected =\"")
        i += 2
        val = []
        while True:
            if i >= len(text):
                raise ValueError(f"label {key}: unterminated value")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError(f"label {key}: bad escape \\{nxt}")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
                continue
            if c == "\n":
                raise ValueError(f"label {key}: raw newline")
            if c == '"':
                i += 1
                break
            val.append(c)
            i += 1
        if any(k == key for k, _ in labels):
            raise ValueError(f"label {key} twice")
        labels.append((key, "".join(val)))
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == "}":
            return labels, i + 1
        raise ValueError("expected , or } after a label")


def family_of(name, types):
    """The family a sample belongs to (histogram/summary suffixes)."""
    if name in types:
        return name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf):
            base = name[: -len(suf)]
            if types.get(base) in ("histogram", "summary"):
                if suf == "_bucket" and types[base] != "histogram":
                    return None
                return base
    return None


def check(text):
    probs = Problems()
    types, helps = {}, {}
    seen_series = {}
    samples = []  # (lineno, name, labels, value, family)
    done_families = set()
    current = None
    if text and not text.endswith("\n"):
        probs.add(0, "the text does not end with a newline")
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not NAME.fullmatch(parts[2]):
                    probs.add(lineno, f"{parts[1]} without a valid name")
                    continue
                fam = parts[2]
                table = helps if parts[1] == "HELP" else types
                if fam in table:
                    probs.add(lineno, f"second {parts[1]} for {fam}")
                if fam in done_families or (current == fam and any(
                        s[4] == fam for s in samples)):
                    probs.add(lineno, f"{parts[1]} for {fam} after its samples")
                if parts[1] == "TYPE":
                    t = parts[3].strip() if len(parts) > 3 else ""
                    if t not in TYPES:
                        probs.add(lineno, f"unknown type {t!r} for {fam}")
                    types[fam] = t
                else:
                    helps[fam] = parts[3] if len(parts) > 3 else ""
                if current != fam:
                    if current is not None:
                        done_families.add(current)
                    current = fam
            continue
        m = NAME.match(line)
        if not m:
            probs.add(lineno, f"bad metric name in {line!r}")
            continue
        name = m.group(0)
        i = m.end()
        labels = []
        try:
            if i < len(line) and line[i] == "{":
                labels, i = parse_labels(line, i, lineno, probs)
            if i >= len(line) or line[i] != " ":
                raise ValueError("expected a space before the value")
            rest = line[i + 1:].split(" ")
            if not 1 <= len(rest) <= 2:
                raise ValueError("expected VALUE [TIMESTAMP]")
            value = parse_value(rest[0])
            if len(rest) == 2:
                int(rest[1])
        except ValueError as e:
            probs.add(lineno, f"{name}: {e}")
            continue
        fam = family_of(name, types)
        if fam is None:
            probs.add(lineno, f"{name}: no TYPE line before it")
            continue
        if fam in done_families:
            probs.add(lineno, f"{name}: family {fam} is not contiguous")
        if current != fam:
            if current is not None:
                done_families.add(current)
            current = fam
        key = (name, tuple(sorted(labels)))
        if key in seen_series:
            probs.add(lineno, f"{name}{dict(labels)} repeated "
                      f"(first at line {seen_series[key]})")
        seen_series[key] = lineno
        samples.append((lineno, name, labels, value, fam))
        t = types[fam]
        if t == "counter":
            if not name.endswith("_total"):
                probs.add(lineno, f"counter {name} does not end in _total")
            if not value >= 0:
                probs.add(lineno, f"counter {name} is {value}")
    check_histograms(samples, types, probs)
    return probs.list, samples


def check_histograms(samples, types, probs):
    hists = {}
    for lineno, name, labels, value, fam in samples:
        if types[fam] != "histogram":
            continue
        rest = tuple(sorted((k, v) for k, v in labels if k != "le"))
        h = hists.setdefault((fam, rest), {"buckets": [], "sum": None,
                                           "count": None, "line": lineno})
        if name == fam + "_bucket":
            le = dict(labels).get("le")
            if le is None:
                probs.add(lineno, f"{name} without le")
                continue
            try:
                h["buckets"].append((lineno, parse_value(le), value))
            except ValueError:
                probs.add(lineno, f"{name}: le={le!r} is not a float")
        elif name == fam + "_sum":
            h["sum"] = value
        elif name == fam + "_count":
            h["count"] = value
        else:
            probs.add(lineno, f"{name}: a histogram has only _bucket, "
                      "_sum and _count")
    for (fam, rest), h in hists.items():
        where = f"{fam}{dict(rest)}"
        b = h["buckets"]
        if not b:
            probs.add(h["line"], f"{where}: no buckets")
            continue
        for (l1, le1, v1), (l2, le2, v2) in zip(b, b[1:]):
            if not le2 > le1:
                probs.add(l2, f"{where}: le {le2} after {le1}")
            if v2 < v1:
                probs.add(l2, f"{where}: bucket le={le2} ({v2}) below "
                          f"le={le1} ({v1}): not cumulative")
        if b[-1][1] != math.inf:
            probs.add(b[-1][0], f"{where}: last bucket is not +Inf")
        if h["sum"] is None:
            probs.add(h["line"], f"{where}: no _sum")
        if h["count"] is None:
            probs.add(h["line"], f"{where}: no _count")
        elif h["count"] != b[-1][2]:
            probs.add(h["line"], f"{where}: _count {h['count']} != "
                      f"+Inf bucket {b[-1][2]}")


def series_value(samples, series):
    m = NAME.match(series)
    name = m.group(0)
    labels = []
    if m.end() < len(series):
        labels, end = parse_labels(series, m.end(), 0, None)
        if end != len(series):
            raise ValueError(f"trailing text in {series!r}")
    key = tuple(sorted(labels))
    for _, n, ls, v, _ in samples:
        if n == name and tuple(sorted(ls)) == key:
            return v
    return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    problems, samples = check(text)
    args = argv[2:]
    while args:
        opt = args.pop(0)
        if opt not in ("--expect", "--min") or not args:
            print(f"prom_check.py: bad argument {opt}", file=sys.stderr)
            return 2
        series, _, want = args.pop(0).rpartition("=")
        got = series_value(samples, series)
        if got is None:
            problems.append(f"{series}: missing")
        elif opt == "--expect" and got != float(want):
            problems.append(f"{series}: {got}, expected {want}")
        elif opt == "--min" and got < float(want):
            problems.append(f"{series}: {got}, expected at least {want}")
    for p in problems:
        print(p)
    if not samples:
        print("no samples at all")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
