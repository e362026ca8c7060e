"""bench/filestats.py - what each recorder's file holds: events, events lost
and bytes, read the way each tool tells them (memmon info, trace-cmd report,
perf report --stats, heaptrack_print, record --malloc's closing line).
bench.py's stats stage calls these on the last file of every variant."""
import re, struct, subprocess


def sh(cmd):
    return subprocess.run(cmd, shell=True, text=True, capture_output=True)


def num(s):
    return int(s.replace(",", ""))


def memmon_stats(memmon, f):
    """events, lost from `memmon info` (fallback: the report summary)."""
    ev = lost = None
    r = sh(f"'{memmon}' info '{f}'")
    txt = r.stdout + r.stderr
    open(f + ".info.txt", "w").write(txt)
    m = re.search(r"^\s*events\s*[:=]\s*([0-9,]+)", txt, re.M | re.I)
    if m:
        ev = num(m.group(1))
    m = re.search(r"^\s*lost(?: events)?\s*[:=]\s*([0-9,]+)", txt, re.M | re.I)
    if m:
        lost = num(m.group(1))
    if ev is None or lost is None:
        r = sh(f"'{memmon}' report '{f}' 2>&1 | tail -50")
        m = re.search(r"^events: ([0-9,]+)", r.stdout, re.M)
        if m and ev is None:
            ev = num(m.group(1))
        m = re.search(r"^lost events: ([0-9,]+)", r.stdout, re.M)
        if m and lost is None:
            lost = num(m.group(1))
    return ev, lost


def tc_stats(f):
    r = sh(f"trace-cmd report -i '{f}' 2>/dev/null | awk '"
           r"/\[[0-9]+ EVENTS DROPPED\]/ { if (match($0, /\[[0-9]+ EVENTS/)) d += substr($0, RSTART+1, RLENGTH-8) }"
           r" /^ *.+ \[[0-9]+\] +[0-9]+\.[0-9]+: / { n++ } END { print n+0, d+0 }'")
    ev, dropped = (int(x) for x in r.stdout.split())
    r = sh(f"trace-cmd report --stat -i '{f}' 2>&1")
    ovr = sum(int(l.split()[-1]) for l in r.stdout.splitlines()
              if re.match(r"^(overrun:|dropped events:)", l))
    # the DROPPED markers and the kernel's overrun count the same events
    return ev, max(dropped, ovr)


def perf_stats(f):
    r = sh(f"perf report --stats -i '{f}' 2>&1")
    m = re.search(r"^\s*SAMPLE events:\s*(\d+)", r.stdout, re.M)
    ev = int(m.group(1)) if m else None
    lost = sum(int(x) for x in re.findall(r"LOST(?:_SAMPLES)? events:\s*(\d+)", r.stdout))
    return ev, lost


def memmon_malloc_stats(log_path):
    """The allocator calls and the bytes of their HEAP_CHUNK sections, from
    record's line "malloc: N calls recorded (L lost), T threads, X B/call"
    (the file's other bytes are the kernel events memmon records anyway),
    and the call stacks of "malloc: N call stacks (...)" (0: none)."""
    txt = open(log_path).read()
    m = re.findall(r"malloc: ([0-9]+) calls recorded \(([0-9]+) lost\), [0-9]+ threads, ([0-9.]+) B/call", txt)
    if not m:
        return None, None, None, None
    n, lost, bpc = int(m[-1][0]), int(m[-1][1]), float(m[-1][2])
    k = re.findall(r"malloc: ([0-9]+) call stacks", txt)
    return n, lost, int(round(n * bpc)), int(k[-1]) if k else 0


def heaptrack_stats(f):
    """malloc + free events of a heaptrack file (heaptrack_print's allocation
    calls; the workload frees every block, so twice that), lost: heaptrack
    never drops one."""
    r = sh(f"heaptrack_print -f '{f}' -s 0 -a 0 -T 0 -l 0 -p 0 -n 0 2>&1 | tail -20")
    m = re.search(r"^([0-9]+) calls to allocation functions", r.stdout, re.M)
    return (2 * int(m.group(1)) if m else None), 0


# issue 13's names: the MMAPS (10) and ELF (11) sections (format/layout.h),
# bytes per file rather than per event (issue 10's bytes-per-event target
# counts the rest: summarize.py)
NAMES_SECTIONS = (10, 11)


def section_bytes(f, types):
    """Bytes (16-byte headers included) of a memmon file's sections of TYPES."""
    data = open(f, "rb").read()
    if data[:8] != b"MEMMONTR":
        return 0
    off, total = struct.unpack_from("<I", data, 12)[0], 0
    while off + 16 <= len(data):
        typ, _, _, ln = struct.unpack_from("<HHIQ", data, off)
        if typ in types:
            total += 16 + ln
        off += 16 + ln
    return total
