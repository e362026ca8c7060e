#!/usr/bin/env python3
"""bench/summarize.py RESDIR: the bench table (markdown) from bench.py's JSON;
printed and written to RESDIR/summary.md."""
import json, os, statistics, sys

res = sys.argv[1] if len(sys.argv) > 1 else "/tmp/memmon-bench/res"
out = []


def p(s=""):
    out.append(s)


def load(name):
    f = os.path.join(res, name)
    return json.load(open(f)) if os.path.exists(f) else None


cfg = load("config.json") or {}
stats = load("stats.json") or {}
rep = load("report.json") or {}
fixed = load("fixed.json")
bystander = load("bystander.json")
big = load("big.json")
scale = load("scale.json")
WORK = cfg.get("workloads", ["faults", "mallocs", "filemap", "storm"])

# issue 4's targets (memmon) and the peers' figures from peerbench/results.md
TGT_SLOW = {"faults": 1.45, "mallocs": 1.25}
TGT_BPE = {"faults": 4.0, "mallocs": 6.0}
TGT_FIXED = 0.05
TGT_EPS = 6.5e6
TGT_RSS_MIB = 64
LOG = "memmon report --log"


def mark(ok):
    return "pass" if ok else "MISS"


def med(xs):
    return statistics.median(xs) if xs else None


def good(rs):
    return [r for r in rs if r.get("rc", 0) == 0]


def fmt(x, f="{:.3f}", none=""):
    return none if x is None else f.format(x)


def eps_of(ev, wall):
    return ev / wall if ev and wall else None


score = {}   # (measure, column) -> text
vs_floor = {}   # workload -> {variant: (median wall, bytes per event)}
heap_rep = {}   # issue 14: decoder name -> (median s, peak RSS MiB)
heap_slow = {}  # issue 14: variant -> median slowdown on mallocs
fp_rep = {}     # issue 14's callers: decoder name -> (median s, peak RSS MiB) on mallocs-fp

p("## Run time, events and file size per workload x variant")
p()
p("Slowdown = variant / uninstrumented (min over runs / median over runs) of the whole command; "
  "loop = the workload's own in-process time (first-touch loop), median. "
  "Events, lost and bytes come from the last timed run's file.")
p()
p("| workload | variant | runs | min s | median s | x base (min) | x base (median) | loop ms min / median | x base loop (median) "
  "| events | lost | file bytes | B/event | target (memmon) |")
p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for w in WORK:
    b = load(f"bench_{w}.json")
    if not b:
        continue
    base = good(b.get("base", []))
    bmin = min(r["wall"] for r in base) if base else None
    bmed = med([r["wall"] for r in base])
    bl = [r["loop"] for r in base if r.get("loop") is not None]
    blmed = med(bl)
    for v, rs in b.items():
        ok = good(rs)
        fails = len(rs) - len(ok)
        walls = [r["wall"] for r in ok]
        loops = [r["loop"] for r in ok if r.get("loop") is not None]
        mn, md = (min(walls), med(walls)) if walls else (None, None)
        xmin = mn / bmin if (mn and bmin) else None
        xmed = md / bmed if (md and bmed) else None
        lmed = med(loops)
        xl = lmed / blmed if (lmed and blmed) else None
        st = stats.get(f"{w}/{v}") or {}
        ev, lost, by = st.get("events"), st.get("lost"), st.get("bytes")
        bpe = by / ev if (by and ev) else None
        tg = []
        if v == "memmon":
            if w in TGT_SLOW and xmed is not None:
                tg.append(f"x med <= {TGT_SLOW[w]}: {mark(xmed <= TGT_SLOW[w])}")
                score[(f"{w}: slowdown, median", "memmon")] = (f"{xmed:.2f}x (min {xmin:.2f}x, loop {fmt(xl, '{:.2f}')}x)",
                                                                f"<= {TGT_SLOW[w]}x", mark(xmed <= TGT_SLOW[w]))
            if w in TGT_BPE and bpe is not None:
                tg.append(f"B/ev <= {TGT_BPE[w]}: {mark(bpe <= TGT_BPE[w])}")
                score[(f"{w}: file bytes per event", "memmon")] = (f"{bpe:.2f}", f"<= {TGT_BPE[w]}", mark(bpe <= TGT_BPE[w]))
            if lost is not None:
                tg.append(f"lost 0: {mark(lost == 0)}")
        if w == "mallocs" and v in ("memmon-malloc", "heaptrack") and xmed is not None:
            heap_slow[v] = xmed
        if v in ("floor", "trace-cmd", "perf"):
            if w in TGT_SLOW and xmed is not None:
                score[(f"{w}: slowdown, median", v)] = (f"{xmed:.2f}x",)
            if w in TGT_BPE and bpe is not None:
                score[(f"{w}: file bytes per event", v)] = (f"{bpe:.1f}",)
        if v in ("memmon", "trace-cmd", "perf") and st:
            score.setdefault(("lost", v), []).append(f"{w} {lost if lost is not None else '?'}")
        vs_floor.setdefault(w, {})[v] = (md, bpe, lmed)
        runs = f"{len(ok)}" + (f" ({fails} failed)" if fails else "")
        p(f"| {w} | {v} | {runs} | {fmt(mn)} | {fmt(md)} | {fmt(xmin, '{:.2f}')} | {fmt(xmed, '{:.2f}')} "
          f"| {fmt(min(loops) if loops else None, '{:.1f}')} / {fmt(lmed, '{:.1f}')} | {fmt(xl, '{:.2f}')} "
          f"| {fmt(ev, '{:,}')} | {fmt(lost, '{:,}')} | {fmt(by, '{:,}')} | {fmt(bpe, '{:.2f}')} | {'; '.join(tg)} |")

if fixed:
    p()
    p("## Fixed start+stop cost: record -- /bin/true (whole command)")
    p()
    p("| variant | runs | min s | median s | max s | target (memmon) |")
    p("|---|---:|---:|---:|---:|---|")
    for v, rs in fixed.items():
        ok = good(rs)
        if not ok:
            p(f"| {v} | 0 ({len(rs)} failed) | | | | |")
            continue
        w = [r["wall"] for r in ok]
        tg = ""
        if v == "memmon":
            tg = f"<= {TGT_FIXED} s: {mark(med(w) <= TGT_FIXED)}"
            score[("fixed cost: record -- /bin/true", "memmon")] = (f"{med(w):.3f} s (min {min(w):.3f})", f"<= {TGT_FIXED} s",
                                                                    mark(med(w) <= TGT_FIXED))
        elif v != "base":
            score[("fixed cost: record -- /bin/true", v)] = (f"{med(w):.3f} s",)
        p(f"| {v} | {len(ok)} | {min(w):.3f} | {med(w):.3f} | {max(w):.3f} | {tg} |")

if rep:
    p()
    p("## Report: full event log to /dev/null (and memmon's analyses)")
    p()
    p("events/s = events in the file / median wall; cpu/wall > 1 means it used more than one core.")
    p()
    p("| trace | decoder | events | runs | min s | median s | events/s | cpu/wall | peak RSS MiB | target (memmon) |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key, rs in rep.items():
        w, name = key.split("/", 1)
        v = ("memmon-malloc" if name.startswith("memmon-malloc") else "heaptrack" if name.startswith("heaptrack")
             else "memmon" if name.startswith("memmon") else "trace-cmd" if name.startswith("trace-cmd") else "perf")
        ev = (stats.get(f"{w}/{v}") or {}).get("events")
        ok = good(rs)
        if not ok:
            p(f"| {w} | {name} | {fmt(ev, '{:,}')} | 0 ({len(rs)} failed) | | | | | | |")
            continue
        walls = [r["wall"] for r in ok]
        md = med(walls)
        eps = eps_of(ev, md)
        cpu = med([(r["user"] + r["sys"]) / r["wall"] for r in ok])
        rss = max(r["maxrss"] for r in ok) / 1024
        tg = ""
        if name == LOG and eps and ev < 100000:
            tg = "(start-up dominated: too few events to judge)"
        elif name == LOG and eps:
            tg = f">= 6.5M ev/s: {mark(eps >= TGT_EPS)}"
            score.setdefault(("report: full log, events/s", "memmon"), []).append((w, eps))
        elif name in ("trace-cmd report", "perf script") and eps:
            score.setdefault(("report: full log, events/s", v), []).append((w, eps))
        elif v in ("memmon-malloc", "heaptrack") and ok:
            (heap_rep if w == "mallocs" else fp_rep)[name] = (md, rss)
        elif name.startswith("memmon report") and eps and ev >= 100000:
            score.setdefault(("analyses", name[len("memmon report "):]), []).append((w, eps))
        p(f"| {w} | {name} | {fmt(ev, '{:,}')} | {len(ok)} | {min(walls):.3f} | {md:.3f} | {fmt(eps, '{:,.0f}')} "
          f"| {cpu:.2f} | {rss:.1f} | {tg} |")

if big:
    p()
    p("## Long traces: memmon record -- storm 2 512 ROUNDS (2 threads, both CPUs faulting), then report")
    p()
    p("| rounds | events | lost | file bytes | B/event | record s (rc) | decoder | report s | events/s | cpu/wall | peak RSS MiB | target |")
    p("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")
    for rounds, s in big.items():
        ev, lost, by = s.get("events"), s.get("lost"), s.get("bytes")
        bpe = by / ev if (by and ev) else None
        first = True
        for name in [k for k in s if k.startswith("memmon report")]:
            rs = s[name]
            ok = good(rs)
            if not ok:
                p(f"| {rounds} | {fmt(ev, '{:,}')} | {fmt(lost)} | {fmt(by, '{:,}')} | {fmt(bpe, '{:.2f}')} | {s['record_wall']:.1f} ({s['record_rc']}) | {name} | failed | | | | |")
                continue
            md = med([r["wall"] for r in ok])
            rss = max(r["maxrss"] for r in ok) / 1024
            cpu = med([(r["user"] + r["sys"]) / r["wall"] for r in ok])
            eps = eps_of(ev, md)
            tg = f"RSS <= {TGT_RSS_MIB} MiB: {mark(rss <= TGT_RSS_MIB)}"
            if lost is not None:
                tg += f"; lost 0: {mark(lost == 0)}"
            score.setdefault(("report: peak RSS", name), []).append((ev, rss))
            if lost is not None and name == LOG:
                score.setdefault(("lost", "memmon"), []).append(f"storm x{rounds} {lost}")
            lead = (f"| {rounds} | {fmt(ev, '{:,}')} | {fmt(lost, '{:,}')} | {fmt(by, '{:,}')} | {fmt(bpe, '{:.2f}')} "
                    f"| {s['record_wall']:.1f} ({s['record_rc']}) ") if first else "| | | | | | "
            first = False
            p(lead + f"| {name} | {md:.2f} | {fmt(eps, '{:,.0f}')} | {cpu:.2f} | {rss:.1f} | {tg} |")
        if first:
            p(f"| {rounds} | {fmt(ev, '{:,}')} | {fmt(lost)} | {fmt(by, '{:,}')} | {fmt(bpe, '{:.2f}')} | {s['record_wall']:.1f} ({s['record_rc']}) | - | | | | | |")

if scale:
    p()
    p("## Report cost vs processes, regions, events: spread PROCS REGIONS PAGES (memmon record, then each view x3)")
    p()
    views = []
    for sv in scale.values():
        for k in sv:
            if k.startswith("memmon report") and k not in views:
                views.append(k)
    p("| procs | regions/proc | pages/region | events | " + " | ".join(f"{v[len('memmon report '):]} s / RSS MiB" for v in views) + " |")
    p("|---:|---:|---:|---:|" + "---:|" * len(views))
    for k, sv in scale.items():
        pr, rg, pg = k.split("/")
        cells = []
        for v in views:
            ok = good(sv.get(v, []))
            cells.append(f"{med([r['wall'] for r in ok]):.3f} / {max(r['maxrss'] for r in ok) / 1024:.1f}" if ok else "failed")
        p(f"| {pr} | {rg} | {pg} | {fmt(sv.get('events'), '{:,}')} | " + " | ".join(cells) + " |")

# ---------------------------------------------------------------- scorecard
p()
p("## Issue 4 targets: measured now (peers' figures in results.md: floor 1.35x/1.18x, trace-cmd 1.99x/1.92x, perf 3.9x/3.75x)")
p()
p("| measure | floor | trace-cmd | perf | memmon | target | pass |")
p("|---|---|---|---|---|---|---|")


def cell(k, v):
    x = score.get((k, v))
    if x is None:
        return "-"
    return x[0] if isinstance(x, tuple) else x


for k, tgt in (("faults: slowdown, median", "<= 1.45x"), ("mallocs: slowdown, median", "<= 1.25x")):
    m = score.get((k, "memmon"))
    p(f"| {k} | {cell(k, 'floor')} | {cell(k, 'trace-cmd')} | {cell(k, 'perf')} | {m[0] if m else 'n/a'} | {tgt} | {m[2] if m else 'n/a'} |")
lm = score.get(("lost", "memmon"))
lost_ok = None
if lm:
    lost_ok = all(x.split()[-1] == "0" for x in lm)
p(f"| lost events (every workload, default buffer) | - | {', '.join(score.get(('lost', 'trace-cmd'), [])) or '-'} "
  f"| {', '.join(score.get(('lost', 'perf'), [])) or '-'} | {', '.join(lm) if lm else 'n/a'} | 0 | "
  f"{mark(lost_ok) if lost_ok is not None else 'n/a'} |")
for k, tgt in (("faults: file bytes per event", "<= 4.0"), ("mallocs: file bytes per event", "<= 6.0")):
    m = score.get((k, "memmon"))
    p(f"| {k} | - | {cell(k, 'trace-cmd')} | {cell(k, 'perf')} | {m[0] if m else 'n/a'} | {tgt} | {m[2] if m else 'n/a'} |")
k = "fixed cost: record -- /bin/true"
m = score.get((k, "memmon"))
p(f"| {k} | - | {cell(k, 'trace-cmd')} | {cell(k, 'perf')} | {m[0] if m else 'n/a'} | <= 0.05 s | {m[2] if m else 'n/a'} |")
k = "report: full log, events/s"


def eps_cell(v):
    xs = score.get((k, v))
    return ", ".join(f"{w} {e/1e6:.2f}M" for w, e in xs) if xs else "-"


xs = score.get((k, "memmon"))
ok = all(e >= TGT_EPS for _, e in xs) if xs else None
p(f"| {k} (one decoder process) | - | {eps_cell('trace-cmd')} | {eps_cell('perf')} | {eps_cell('memmon')} | >= 6.5M "
  f"| {mark(ok) if ok is not None else 'n/a'} |")
an = [(k[1], v) for k, v in score.items() if k[0] == "analyses"]
if an:
    for view, xs in an:
        p(f"| report {view}, events/s | - | - | - | {', '.join(f'{w} {e/1e6:.2f}M' for w, e in xs)} | (none) | |")
else:
    p("| report analyses (--regions ...), events/s | - | - | - | n/a | (none) | |")
rs = [(k[1], v) for k, v in score.items() if k[0] == "report: peak RSS"]
if rs:
    allr = [r for _, xs in rs for _, r in xs]
    for view, xs in rs:
        p(f"| report peak RSS, long traces: {view} | - | - | - | {', '.join(f'{r:.1f} MiB at {e/1e6:.1f}M ev' for e, r in xs if e)} "
          f"| <= 64 MiB, flat | {mark(all(r <= TGT_RSS_MIB for _, r in xs))} |")
else:
    p("| report: peak RSS on a 50M-event trace | - | - | - | n/a (not run: BENCH_QUICK or stage big off) | <= 64 MiB, flat | n/a |")

# ---------------------------------------------------------- issue 10's cost
# the kernel-mode fault events, signals and smaps snapshots must not cost
# what the old events saved: record within the floor + 2% on every workload,
# files within the bytes per event of the run before them (RESULTS.md of
# 2026-11-23, memmon b1a07f0).  Compared on the workload's own time (loop):
# the floor's tracepoints are switched on and off outside its timed command,
# record's start and stop are inside memmon's, and have their own target
# (the fixed cost above); the whole command's ratio is shown beside it.
# The floor memmon is held to is floor-pid when the run has it: the same
# tracepoints filtered to the workload by the kernel's pid filter, which any
# recorder of one process pays (measured on this host: ~4% of a fault loop
# for the filter alone, whichever way it is set: bench/README.md); the
# unfiltered floor is shown beside it.  Bytes per event: the event data
# (the file without issue 13's names, ELF objects and mapping records,
# which are per file, not per event: their own table in RESULTS.md).
BPE_BEFORE = {"faults": 1.40, "mallocs": 4.94, "filemap": 2.83, "storm": 1.52}
p()
p("## Issue 10 target: memmon within the floor + 2% (workload's own time, median), bytes per event as before")
p()
p("Paired: the median over rounds of each round's own ratio (the two runs of a round are "
  "seconds apart, so drift of the machine between rounds cancels out); the verdicts use the "
  "ratio of the medians.")
p()
p("| workload | floor loop ms | floor-pid loop ms | memmon loop ms | memmon / floor-pid (loop) | paired "
  "| memmon / floor (loop) "
  "| whole command memmon / floor-pid | memmon B/event | pass (defaults) "
  "| --no-stacks --no-names / floor-pid (loop) | paired | its B/event | pass (issue 10's events alone) "
  "| before B/event |")
p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|")


def paired(w, v, ref):
    """Median of the per-round loop ratios V / REF of workload W: run i of
    each variant is of round i (failed runs keep their place)."""
    b = load(f"bench_{w}.json") or {}
    rs = [a["loop"] / r["loop"] for a, r in zip(b.get(v, []), b.get(ref, []))
          if a.get("rc", 0) == 0 and r.get("rc", 0) == 0 and a.get("loop") and r.get("loop")]
    return med(rs)


def event_bpe(v, w):
    """A memmon file's bytes per event without issue 13's names sections."""
    st = stats.get(f"{w}/{v}") or {}
    return ((st["bytes"] - st.get("names_bytes", 0)) / st["events"]
            if st.get("bytes") and st.get("events") else None)


def verdict(ratio, bpe, before):
    ok = [ratio <= 1.02] if ratio is not None else []
    if bpe is not None and before is not None:
        ok.append(bpe <= before)
    return mark(all(ok)) if ok else "n/a"


for w in WORK:
    if w == "mallocs-fp":     # no floor, no plain recording: its own table below
        continue
    got = vs_floor.get(w, {})
    fl, fp, mm, ml = got.get("floor"), got.get("floor-pid"), got.get("memmon"), got.get("memmon-lean")
    ref = fp or fl
    r = mm[0] / ref[0] if (ref and mm and ref[0] and mm[0]) else None
    rl = mm[2] / ref[2] if (ref and mm and ref[2] and mm[2]) else None
    rlu = mm[2] / fl[2] if (fl and mm and fl[2] and mm[2]) else None
    rll = ml[2] / ref[2] if (ref and ml and ref[2] and ml[2]) else None
    bpe, bpl, before = event_bpe("memmon", w), event_bpe("memmon-lean", w), BPE_BEFORE.get(w)
    rv = "floor-pid" if fp else "floor"
    pm, pl = paired(w, "memmon", rv), paired(w, "memmon-lean", rv)
    p(f"| {w} | {fmt(fl[2] if fl else None, '{:.1f}')} | {fmt(fp[2] if fp else None, '{:.1f}')} "
      f"| {fmt(mm[2] if mm else None, '{:.1f}')} | {fmt(rl if fp else None, '{:.3f}')} | {fmt(pm, '{:.3f}')} "
      f"| {fmt(rlu, '{:.3f}')} "
      f"| {fmt(r if fp else None, '{:.3f}')} | {fmt(bpe, '{:.2f}')} | {verdict(rl, bpe, before)} "
      f"| {fmt(rll, '{:.3f}')} | {fmt(pl, '{:.3f}')} | {fmt(bpl, '{:.2f}')} "
      f"| {verdict(rll, bpl, before) if ml else 'n/a'} "
      f"| {fmt(before, '{:.2f}')} |")
# issue 14: record --malloc against heaptrack, same run (mallocs workload)
if heap_slow or heap_rep:
    p()
    p("## Allocator calls: memmon record --malloc against heaptrack (mallocs, same run)")
    p()
    p("| measure | heaptrack | memmon --malloc | target | |")
    p("|---|---:|---:|---|---|")
    hs, ms = heap_slow.get("heaptrack"), heap_slow.get("memmon-malloc")
    p(f"| slowdown, median | {fmt(hs, '{:.2f}x')} | {fmt(ms, '{:.2f}x')} | <= half of heaptrack's "
      f"| {mark(ms <= hs / 2) if (hs and ms) else 'n/a'} |")
    hst, mst = stats.get("mallocs/heaptrack") or {}, stats.get("mallocs/memmon-malloc") or {}
    hb = hst["bytes"] / hst["events"] if hst.get("bytes") and hst.get("events") else None
    mb = mst["bytes"] / mst["events"] if mst.get("bytes") and mst.get("events") else None
    p(f"| file bytes per malloc/free event | {fmt(hb, '{:.2f}')} | {fmt(mb, '{:.2f}')} (HEAP_CHUNK bytes / calls) "
      f"| <= heaptrack's | {mark(mb <= hb) if (hb and mb) else 'n/a'} |")
    p(f"| allocation events lost | 0 | {fmt(mst.get('lost'), '{:,}')} | 0 | "
      f"{mark(mst.get('lost') == 0) if mst.get('lost') is not None else 'n/a'} |")
    hp = heap_rep.get("heaptrack_print")
    for name in ("memmon-malloc report --leaks", "memmon-malloc report --allocations"):
        r = heap_rep.get(name)
        p(f"| {name[len('memmon-malloc '):]} ({fmt(mst.get('events'), '{:,}')} calls): s / RSS MiB "
          f"| {fmt(hp[0] if hp else None)} / {fmt(hp[1] if hp else None, '{:.1f}')} (heaptrack_print) "
          f"| {fmt(r[0] if r else None)} / {fmt(r[1] if r else None, '{:.1f}')} | <= 0.3 s, <= 64 MiB "
          f"| {mark(r[0] <= 0.3 and r[1] <= 64) if r else 'n/a'} |")

# issue 14: what recording another process costs a bystander
if bystander:
    p()
    p("## A bystander's malloc loop while another process is recorded with --malloc")
    p()
    p("mallocs (2M pairs, its loop_ms) beside allocloop (10 pairs a millisecond) recorded with "
      "--malloc by the interposer (cmd: record -- allocloop) or by uprobes (p: record -p), "
      "against the same pair with nobody recorded (base); rounds interleave the modes.")
    p()
    p("| mode | runs | loop ms median | x base | target |")
    p("|---|---:|---:|---:|---|")
    bl = med([r["loop"] for r in good(bystander.get("base", [])) if r.get("loop") is not None])
    for m, rs in bystander.items():
        ls = [r["loop"] for r in good(rs) if r.get("loop") is not None]
        lm = med(ls)
        x = lm / bl if (lm and bl) else None
        tg = "" if m == "base" else f"<= 1.05x: {mark(x <= 1.05) if x else 'n/a'}"
        p(f"| {m} | {len(ls)} | {fmt(lm, '{:.1f}')} | {fmt(x, '{:.3f}')} | {tg} |")

# issue 14's callers: what taking them costs where the program keeps frame
# pointers (mallocs-fp), --malloc against --malloc --no-stacks, same run
fpb = load("bench_mallocs-fp.json")
if fpb:
    p()
    p("## Allocator calls with their callers: mallocs built with frame pointers (mallocs-fp, same run)")
    p()
    p("record --malloc takes up to 7 callers of each allocation here (the program keeps frame pointers); "
      "--no-stacks leaves them out. x base = median loop over base's; paired = median of each round's "
      "own ratio.")
    p()
    p("| variant | runs | loop ms median | x base (loop) | paired x base | calls | call stacks | B/call | lost |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    fl = med([r["loop"] for r in good(fpb.get("base", [])) if r.get("loop") is not None])
    for v in ("base", "memmon-malloc-noframes", "memmon-malloc"):
        ls = [r["loop"] for r in good(fpb.get(v, [])) if r.get("loop") is not None]
        st = stats.get(f"mallocs-fp/{v}") or {}
        lm = med(ls)
        bpc = st["bytes"] / st["events"] if st.get("bytes") and st.get("events") else None
        p(f"| {v} | {len(ls)} | {fmt(lm, '{:.1f}')} | {fmt(lm / fl if (lm and fl) else None, '{:.3f}')} "
          f"| {fmt(paired('mallocs-fp', v, 'base') if v != 'base' else None, '{:.3f}')} "
          f"| {fmt(st.get('events'), '{:,}')} | {fmt(st.get('stacks'), '{:,}')} | {fmt(bpc, '{:.2f}')} "
          f"| {fmt(st.get('lost'), '{:,}')} |")
    pf = paired("mallocs-fp", "memmon-malloc", "memmon-malloc-noframes")
    p()
    p(f"The callers cost: --malloc / --malloc --no-stacks, paired: {fmt(pf, '{:.3f}x')}.")
    for name in ("memmon-malloc report --leaks", "memmon-malloc report --allocations"):
        r = fp_rep.get(name)
        if r:
            p(f"- {name[len('memmon-malloc '):]} on the trace with callers: {r[0]:.3f} s, {r[1]:.1f} MiB")

txt = "\n".join(out) + "\n"
open(os.path.join(res, "summary.md"), "w").write(txt)
print(txt)

