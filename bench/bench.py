#!/usr/bin/env python3
"""bench/bench.py - memmon against the uninstrumented program, the tracepoint
floor, trace-cmd and perf, side by side (see bench/README.md).

Run through bench/run (root; it saves and restores the top-level tracefs state
around this script).  Stages (BENCH_STAGES, default all):
    build   workloads, shim, the 512 MiB file for filemap
    bench   timed runs, interleaved round-robin, per workload x variant
    stats   events / lost / bytes of the last recorded file of each variant
    report  decoder time, events/s, peak RSS on those files
    fixed   record -- /bin/true
    bystander  a malloc loop's time while another process is recorded with
            --malloc (CMD and -p) against the same pair with nobody recorded
    big     a ~50M-event storm trace: record, report time + RSS; deleted after
    scale   report cost vs events, processes, regions (spread workload)
    summary the table (also $RES/summary.md; full runs save bench/RESULTS.md)
"""
import json, os, re, shutil, signal, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import filestats as fs  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(TOP, "bench", "workloads")
QUICK = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
BD = os.environ.get("BENCH_DIR", "/tmp/memmon-bench")
RES = os.path.join(BD, "res")
OUT = os.path.join(BD, "out")
T = "/sys/kernel/tracing"
MEMMON = os.path.abspath(os.environ.get("MEMMON", os.path.join(TOP, "memmon")))
SHIM = os.path.join(BD, "noftrace_shim.so")
DATA = os.path.join(BD, "data512m.bin")
STAGES = os.environ.get("BENCH_STAGES",
                        "build bench stats report fixed bystander summary" if QUICK else
                        "build bench stats report fixed bystander big scale summary").split()
WORKLOADS = os.environ.get("BENCH_WORKLOADS", "faults mallocs mallocs-fp filemap storm reads").split()
VARIANTS = os.environ.get("BENCH_VARIANTS", "base floor floor-pid memmon memmon-lean trace-cmd perf memmon-malloc heaptrack").split()
# the allocator-level recorders (issue 14): only on mallocs, where their
# targets are (memmon record --malloc against heaptrack 1.4)
HEAP_VARIANTS = ("memmon-malloc", "heaptrack")
# mallocs-fp is mallocs built with frame pointers, where record --malloc
# takes each allocation's callers by default: its own three variants
# measure what the callers cost (--no-stacks leaves them out)
FP_VARIANTS = ("base", "memmon-malloc", "memmon-malloc-noframes")
WARM_TOUCH = os.environ.get("BENCH_WARM", "1") != "0"
# Pause before every timed run, untimed: a tracepoint switched off (the
# floor's disable, a recorder's tear-down) and switched on again within one
# RCU grace period makes the enabling wait for that grace period
# (tracepoint.c, tp_rcu_cond_sync), so the variant run right after the
# floor paid for the floor's clean-up (measured: memmon's start+stop on
# mallocs 20-48 ms after the floor, 19 ms after base).
SETTLE = float(os.environ.get("BENCH_SETTLE", "0.3"))
BIG_ROUNDS = int(os.environ.get("BENCH_BIG_ROUNDS", "100"))   # storm 2 x 512 MiB x 100 = ~52M events


def nruns(w):
    if QUICK:
        return int(os.environ.get("BENCH_RUNS", "3"))
    # the two slowdown targets get the most rounds: their floor's own median
    # moved by 0.25x between 15-round runs
    default = {"faults": 21, "mallocs": 21, "mallocs-fp": 21, "storm": 15, "reads": 15}.get(w, 10)
    return int(os.environ.get("BENCH_RUNS", str(default)))


WARMUP_ROUNDS = int(os.environ.get("BENCH_WARMUP", "1"))
DEC_RUNS = 1 if QUICK else 3


def log(*a):
    print(time.strftime("[%H:%M:%S]"), *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ events
def event_set():
    """The tracepoints memmon records (plugins/eventset.c) that exist here."""
    src = open(os.path.join(TOP, "plugins", "eventset.c")).read()
    evs = []
    m = re.search(r"mm_event_set\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    for s, n in re.findall(r'\{\s*"(\w+)",\s*"(\w+)"', m.group(1)):
        evs.append(f"{s}:{n}")
    for table in ("mm_traced_syscalls", "mm_io_syscalls"):
        m = re.search(table + r"\[\]\s*=\s*\{(.*?)\};", src, re.S)
        for n in re.findall(r'"(\w+)"', m.group(1)):
            evs += [f"syscalls:sys_enter_{n}", f"syscalls:sys_exit_{n}"]
    have = [e for e in evs if os.path.isdir(f"{T}/events/{e.replace(':', '/')}")]
    return have, [e for e in evs if e not in have]


EVENTS, MISSING = event_set()


def write_top(rel, val):
    with open(f"{T}/{rel}", "w") as f:
        f.write(val)


def floor(on, pid=False):
    """The floor's tracepoints in the top-level buffer on or off.  PID: also
    filtered the way a recorder of one process filters them (floor-pid):
    set_event_pid with this bench's own pid and event-fork, so the workload
    spawned next and its threads and children are the traced tasks, exactly
    the kernel's work memmon's pid filter asks for (bench/README.md)."""
    if on and pid:
        write_top("options/event-fork", "1")
        write_top("set_event_pid", str(os.getpid()))
    for e in EVENTS:
        write_top(f"events/{e.replace(':', '/')}/enable", "1" if on else "0")
    if not on:
        write_top("set_event_pid", "")
        write_top("options/event-fork", "0")


# ------------------------------------------------------------------ running
class Interrupted(Exception):
    pass


def _sig(signo, frame):
    raise Interrupted(f"signal {signo}")


signal.signal(signal.SIGTERM, _sig)
signal.signal(signal.SIGINT, _sig)


def spawn(argv, env=None, stdout=None, stderr=None):
    """Run ARGV; return (wall s, user s, sys s, maxrss KiB, status)."""
    out = os.open(stdout or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(stderr or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    path = shutil.which(argv[0]) or argv[0]
    fa = [(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(path, argv, env if env is not None else os.environ, file_actions=fa)
    if argv[0] == MEMMON:       # bench/run removes a memmon-<pid> instance these leave behind
        with open(os.path.join(RES, "memmon_pids"), "a") as f:
            f.write(f"{pid}\n")
    try:
        _, st, ru = os.wait4(pid, 0)
    except BaseException:
        try:
            os.kill(pid, signal.SIGTERM)
            os.wait4(pid, 0)
        except OSError:
            pass
        raise
    t1 = time.perf_counter()
    os.close(out)
    os.close(err)
    return t1 - t0, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(st)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, text=True, capture_output=True, **kw)


def bin_(w):
    return os.path.join(BD, w)


def workload_argv(w):
    return {"faults": [bin_("faults")], "mallocs": [bin_("mallocs")], "mallocs-fp": [bin_("mallocs-fp")],
            "filemap": [bin_("filemap"), DATA], "storm": [bin_("storm"), "2", "512", "1"],
            "reads": [bin_("reads"), DATA]}[w]


# The plain recordings, by their flags: memmon-lean is issue 10's events
# alone (no stacks, no names: issue 13); memmon-stacks takes the stacks the
# defaults leave out for the workloads (they keep no frame pointers) and
# memmon-nonames has no mapping records, to measure issue 13's two costs
# apart (not in the default variants).
MEMMON_FLAGS = {"memmon": [], "memmon-lean": ["--no-stacks", "--no-names"],
                "memmon-stacks": ["--stacks"], "memmon-nonames": ["--no-names"]}


def recorder_argv(v, out, cmd):
    if v in MEMMON_FLAGS:
        return [MEMMON, "record"] + MEMMON_FLAGS[v] + ["-o", out, "--"] + cmd
    if v == "memmon-malloc":
        return [MEMMON, "record", "--malloc", "-o", out, "--"] + cmd
    if v == "memmon-malloc-noframes":
        return [MEMMON, "record", "--malloc", "--no-stacks", "-o", out, "--"] + cmd
    if v == "heaptrack":
        # heaptrack appends .zst to -o's name
        return ["heaptrack", "-o", out[:-len(".zst")]] + cmd
    if v == "trace-cmd":
        a = ["trace-cmd", "record", "-q", "-d"]
        for e in EVENTS:
            a += ["-e", e]
        return a + ["-F", "-c", "-o", out] + cmd
    if v == "perf":
        return ["perf", "record", "-q", "--no-bpf-event", "-B", "-z", "-e", ",".join(EVENTS),
                "-o", out, "--"] + cmd
    raise ValueError(v)


EXT = {**{v: "mmd" for v in MEMMON_FLAGS}, "trace-cmd": "dat", "perf": "data", "memmon-malloc": "mmd",
       "memmon-malloc-noframes": "mmd", "heaptrack": "zst"}


def outfile(w, v):
    return os.path.join(OUT, f"{w}_{v}.{EXT[v]}")


def variant(w, v, cmd=None):
    """(argv, env, floor?) of variant V on workload W."""
    cmd = cmd or workload_argv(w)
    env = dict(os.environ)
    env.pop("PB_VERBOSE", None)
    if v in ("base", "floor", "floor-pid"):
        return cmd, env, v if v != "base" else None
    if v == "trace-cmd":
        env["LD_PRELOAD"] = SHIM
    return recorder_argv(v, outfile(w, v), cmd), env, False


def read_loop(path):
    try:
        txt = open(path).read()
    except OSError:
        return None
    m = re.findall(r"(?:touch_ms|loop_ms|read_ms)=([0-9.]+)", txt)
    return float(m[-1]) if m else None


def warm_touch():
    """Touch (and free) ~1.25 GiB right before a first-touch run: the host
    backs guest memory lazily and hands freed pages back after ~2 s (free page
    reporting), which made first-touch timings vary 0.4-1.5 s here."""
    spawn([bin_("storm"), "2", "640", "1"])


def run_bench(w):
    vs = [v for v in VARIANTS if v in ("base", "floor", "floor-pid", "trace-cmd", "perf") or v in MEMMON_FLAGS or
          (v in HEAP_VARIANTS and w == "mallocs" and (v != "heaptrack" or shutil.which("heaptrack")))]
    if w == "mallocs-fp":
        vs = list(FP_VARIANTS)
    runs = nruns(w)
    res = {v: [] for v in vs}
    looplog = os.path.join(RES, "loop.tmp")
    log(f"bench {w}: {len(vs)} variants x ({WARMUP_ROUNDS} warm-up + {runs}) rounds, interleaved")
    for r in range(WARMUP_ROUNDS + runs):
        if w == "filemap":
            spawn([bin_("prep_cache"), DATA, "small"])
        order = vs[r % len(vs):] + vs[:r % len(vs)]          # rotate: no variant always first
        for v in order:
            argv, env, fl = variant(w, v)
            env["PB_LOG"] = looplog
            if os.path.exists(looplog):
                os.unlink(looplog)
            time.sleep(SETTLE)
            if w in ("faults", "storm", "reads") and WARM_TOUCH:
                warm_touch()
            if fl:
                floor(True, fl == "floor-pid")
            try:
                wall, ut, st, rss, rc = spawn(argv, env, stderr=os.path.join(RES, f"log_{w}_{v}.txt"))
            finally:
                if fl:
                    floor(False)
            if rc != 0:
                log(f"  {w} {v}: exit {rc} (see {RES}/log_{w}_{v}.txt)")
            if r >= WARMUP_ROUNDS:
                res[v].append(dict(wall=wall, user=ut, sys=st, maxrss=rss, rc=rc, loop=read_loop(looplog)))
    json.dump(res, open(os.path.join(RES, f"bench_{w}.json"), "w"), indent=1)


# ------------------------------------------------------------------ stats
def file_stats(f, w, v):
    if not os.path.exists(f):
        return None
    if v.startswith("memmon-malloc"):
        ev, lost, by, stacks = fs.memmon_malloc_stats(os.path.join(RES, f"log_{w}_{v}.txt"))
        return dict(events=ev, lost=lost, bytes=by, stacks=stacks, file_bytes=os.path.getsize(f))
    if v in MEMMON_FLAGS:
        ev, lost = fs.memmon_stats(MEMMON, f)
    else:
        ev, lost = {"trace-cmd": fs.tc_stats, "perf": fs.perf_stats, "heaptrack": fs.heaptrack_stats}[v](f)
    st = dict(events=ev, lost=lost, bytes=os.path.getsize(f))
    if v == "memmon":
        st["names_bytes"] = fs.section_bytes(f, fs.NAMES_SECTIONS)
    return st


def run_stats():
    st = {}
    for w in WORKLOADS:
        vs = [v for v in tuple(MEMMON_FLAGS) + ("trace-cmd", "perf") + HEAP_VARIANTS
              if v in VARIANTS and (v not in HEAP_VARIANTS or w == "mallocs")]
        for v in (FP_VARIANTS[1:] if w == "mallocs-fp" else vs):
            log(f"stats {w} {v}")
            st[f"{w}/{v}"] = file_stats(outfile(w, v), w, v)
    json.dump(st, open(os.path.join(RES, "stats.json"), "w"), indent=1)


# ------------------------------------------------------------------ report
_HELP = None


def memmon_has(opt):
    global _HELP
    if _HELP is None:
        _HELP = sh(f"'{MEMMON}' report --help 2>&1").stdout
    return re.search(re.escape(opt) + r"\b", _HELP) is not None


LOG = "memmon report --log"          # the full event log (the figure issue 4 targets)
ANALYSES = ("--regions", "--malloc-patterns", "--timeline", "--context")


def decoders(v, f, analyses=True):
    """(name, argv) of the decoders of a V file.  memmon: the full event log
    (`report --log`, or plain `report` before --log existed), the default
    page, and each analysis view report has."""
    if v == "memmon":
        if not memmon_has("--log"):
            return [(LOG, [MEMMON, "report", f])]
        d = [(LOG, [MEMMON, "report", "--log", f])]
        if analyses:
            d.append(("memmon report (default page)", [MEMMON, "report", f]))
            for a in ANALYSES:
                if memmon_has(a):
                    d.append((f"memmon report {a}", [MEMMON, "report", a, f]))
        return d
    if v == "memmon-malloc":
        return [("memmon-malloc report --leaks", [MEMMON, "report", "--leaks", f]),
                ("memmon-malloc report --allocations", [MEMMON, "report", "--allocations", f])]
    if v == "heaptrack":
        return [("heaptrack_print", ["heaptrack_print", "-f", f])]
    if v == "trace-cmd":
        return [("trace-cmd report", ["trace-cmd", "report", "-i", f])]
    return [("perf script", ["perf", "script", "-i", f])]


def time_decoder(argv, runs, errlog):
    rs = []
    for _ in range(runs):
        wall, ut, st, rss, rc = spawn(argv, stderr=errlog)
        rs.append(dict(wall=wall, user=ut, sys=st, maxrss=rss, rc=rc))
    return rs


def run_report():
    out = {}
    for w in WORKLOADS:
        for v in ("memmon", "trace-cmd", "perf") + HEAP_VARIANTS:
            f = outfile(w, v)
            if v not in VARIANTS or not os.path.exists(f):
                continue
            for name, argv in decoders(v, f):
                log(f"report {w} {name}")
                out[f"{w}/{name}"] = time_decoder(argv, DEC_RUNS, os.path.join(RES, f"declog_{w}_{v}.txt"))
    json.dump(out, open(os.path.join(RES, "report.json"), "w"), indent=1)


# ------------------------------------------------------------------ fixed
def run_fixed():
    runs = 3 if QUICK else 10
    vs = ["base"] + [v for v in ("memmon", "trace-cmd", "perf") if v in VARIANTS]
    res = {v: [] for v in vs}
    log(f"fixed: record -- /bin/true, {runs} runs")
    for r in range(1 + runs):
        for v in vs:
            argv, env, _ = variant("true", v, ["/bin/true"])
            # the settle pause of the other stages: a record started while
            # the previous one's instance is still being removed (its
            # detached rmdir, ~0.1 s of RCU waits) waits for it at mkdir
            time.sleep(SETTLE)
            wall, ut, st, rss, rc = spawn(argv, env, stderr=os.path.join(RES, f"log_true_{v}.txt"))
            if r >= 1:
                res[v].append(dict(wall=wall, user=ut, sys=st, maxrss=rss, rc=rc))
    json.dump(res, open(os.path.join(RES, "fixed.json"), "w"), indent=1)


# ------------------------------------------------------------------ bystander
def run_bystander():
    """Issue 14: a process's malloc loop (mallocs, 2M pairs: its loop_ms) while
    ANOTHER process, the "other" (allocloop: 10 pairs a millisecond for 4 s,
    a few percent of a CPU even under uprobes, so that the two CPUs carry the
    same load in every mode), is recorded with record --malloc: by the interposer (CMD) or
    by uprobes (-p, attached to the other's pid).  The pair runs the same way
    with nobody recorded (base), so both CPUs carry the same load; the
    bystander's ratio to base is what the recording costs a process it does
    not record (target <= 1.05).  Rounds interleave the modes."""
    runs = 3 if QUICK else 11
    modes = ("base", "cmd", "p")
    res = {m: [] for m in modes}
    other_argv = [bin_("allocloop"), "4"]
    log(f"bystander: mallocs beside a recorded allocloop, {runs} rounds x {modes}")

    def one(mode):
        plog = os.path.join(RES, f"bystander_{mode}.loop")
        if os.path.exists(plog):
            os.unlink(plog)
        out = os.path.join(OUT, f"bystander_{mode}.mmd")
        env = dict(os.environ)
        env.pop("PB_VERBOSE", None)
        env.pop("PB_LOG", None)
        if mode == "cmd":
            argv = [MEMMON, "record", "-q", "--malloc", "-o", out, "--"] + other_argv
        else:
            argv = other_argv
        other = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rec = None
        if mode == "p":
            rec = subprocess.Popen([MEMMON, "record", "-q", "--malloc", "-o", out, "-p", str(other.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(os.path.join(RES, "memmon_pids"), "a") as f:
                f.write(f"{rec.pid}\n")
        if mode == "cmd":
            with open(os.path.join(RES, "memmon_pids"), "a") as f:
                f.write(f"{other.pid}\n")
        # the recording armed (record makes its control socket, memmon
        # watch's, last in its set-up: after tracing is on and the -p
        # probes are in), then the other past its exec and busy
        recorder = rec if mode == "p" else other if mode == "cmd" else None
        if recorder:
            sock = f"/run/memmon/record-{recorder.pid}.sock"
            until = time.time() + 60
            while not os.path.exists(sock) and recorder.poll() is None and time.time() < until:
                time.sleep(0.02)
        time.sleep(0.3)
        benv = dict(env, PB_LOG=plog)
        wall, ut, st, rss, rc = spawn([bin_("mallocs")], benv)
        for pr in (rec, other):
            if pr and pr.poll() is None:
                pr.send_signal(signal.SIGINT)
        for pr in (rec, other):
            if pr:
                try:
                    pr.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pr.kill()
                    pr.wait()
        if mode == "cmd" and other.poll() is None:
            other.kill()
        for f in (out,):
            if os.path.exists(f):
                os.unlink(f)
        return dict(wall=wall, user=ut, sys=st, rc=rc, loop=read_loop(plog))

    for r in range(runs):
        for m in modes:
            time.sleep(SETTLE)
            res[m].append(one(m))
    json.dump(res, open(os.path.join(RES, "bystander.json"), "w"), indent=1)


# ------------------------------------------------------------------ big
def record_one(name, cmd, f):
    """memmon record CMD into F once; its wall time, rusage and file stats."""
    wall, ut, st, rss, rc = spawn([MEMMON, "record", "-o", f, "--"] + cmd,
                                  stderr=os.path.join(RES, f"log_{name}.txt"))
    s = file_stats(f, name, "memmon") or {}
    s.update(record_wall=wall, record_user=ut, record_sys=st, record_rc=rc, record_maxrss=rss)
    return s


def decode_one(f, s, runs=1):
    for name, argv in decoders("memmon", f):
        rs = time_decoder(argv, runs, f + ".declog")
        s[name] = rs
    return s


def run_big():
    need = 12 << 30
    fs = os.statvfs(OUT)
    if fs.f_bavail * fs.f_frsize < need:
        log(f"big: skipped, less than {need >> 30} GiB free in {OUT}")
        return
    out = {}
    for rounds in (10, BIG_ROUNDS):
        f = os.path.join(OUT, f"big_storm_{rounds}.mmd")
        log(f"big: memmon record -- storm 2 512 {rounds}")
        s = record_one(f"big{rounds}", [bin_("storm"), "2", "512", str(rounds)], f)
        log(f"big: {s.get('events')} events, {s.get('lost')} lost, {s.get('bytes')} bytes; reports")
        out[str(rounds)] = decode_one(f, s)
        for x in (f, f + ".info.txt", f + ".declog"):
            if os.path.exists(x):
                os.unlink(x)
        json.dump(out, open(os.path.join(RES, "big.json"), "w"), indent=1)


# ------------------------------------------------------------------ scale
def run_scale():
    cases = [(1, 256, 16), (16, 256, 16), (64, 256, 16), (4, 64, 16), (4, 1024, 16), (4, 4096, 16),
             (4, 256, 4), (4, 256, 64)]
    out = {}
    for p, r, pg in cases:
        f = os.path.join(OUT, f"spread_{p}_{r}_{pg}.mmd")
        log(f"scale: spread {p} {r} {pg}")
        s = record_one(f"spread_{p}_{r}_{pg}", [bin_("spread"), str(p), str(r), str(pg)], f)
        out[f"{p}/{r}/{pg}"] = decode_one(f, s, runs=3)
        os.unlink(f)
    json.dump(out, open(os.path.join(RES, "scale.json"), "w"), indent=1)


# ------------------------------------------------------------------ build
def run_build():
    log(f"build workloads into {BD}")
    for w in ("faults", "mallocs", "filemap", "prep_cache", "storm", "spread", "reads", "allocloop"):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", bin_(w), os.path.join(SRC, w + ".c"), "-lpthread"], check=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-fno-omit-frame-pointer", "-o", bin_("mallocs-fp"),
                    os.path.join(SRC, "mallocs.c")], check=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-o", SHIM,
                    os.path.join(SRC, "noftrace_shim.c"), "-ldl"], check=True)
    if "filemap" in WORKLOADS or "reads" in WORKLOADS:
        subprocess.run([bin_("prep_cache"), DATA, "small"], check=True)


def main():
    os.makedirs(RES, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    if not os.access(MEMMON, os.X_OK):
        sys.exit(f"bench: no memmon binary at {MEMMON} (make, or MEMMON=path)")
    json.dump(dict(events=EVENTS, missing=MISSING, memmon=MEMMON, quick=QUICK,
                   warm_touch=WARM_TOUCH, workloads=WORKLOADS, variants=VARIANTS,
                   runs={w: nruns(w) for w in WORKLOADS}, warmup=WARMUP_ROUNDS, dec_runs=DEC_RUNS),
              open(os.path.join(RES, "config.json"), "w"), indent=1)
    log(f"{len(EVENTS)} tracepoints (memmon's set){'; missing: ' + ','.join(MISSING) if MISSING else ''}")
    try:
        if "build" in STAGES:
            run_build()
        if "bench" in STAGES:
            for w in WORKLOADS:
                run_bench(w)
        if "stats" in STAGES:
            run_stats()
        if "report" in STAGES:
            run_report()
        if "fixed" in STAGES:
            run_fixed()
        if "bystander" in STAGES and "memmon-malloc" in VARIANTS:
            run_bystander()
        if "big" in STAGES:
            run_big()
        if "scale" in STAGES:
            run_scale()
    except Interrupted as e:
        log(f"interrupted ({e})")
        floor(False)
        sys.exit(130)
    finally:
        floor(False)
    if "summary" in STAGES:
        subprocess.run([sys.executable, os.path.join(TOP, "bench", "summarize.py"), RES], check=False)


if __name__ == "__main__":
    main()
