# tests/integration/lib.sh - helpers shared by the t-*.sh scripts (source it).
#
# Output convention (tests/run counts these lines):
#   ok NAME | FAIL NAME: expected X, got Y | skip NAME: why
# Environment (tests/run exports them): MEMMON, MEMMON_PROGS, MEMMON_TOP.
# Reports are parsed in the formats of Documentation/design.md.

MEMMON_TOP=${MEMMON_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MEMMON=${MEMMON:-$MEMMON_TOP/build/memmon}
MEMMON_PROGS=${MEMMON_PROGS:-$MEMMON_TOP/build/tests/progs}
export LC_ALL=C

mm_failed=0
ok()   { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; mm_failed=1; }
skip() { echo "skip $1: $2"; }

# check NAME EXPECTED GOT: ok when equal (as strings), else FAIL
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "expected $2, got $3"; fi
}

# skip_all REASON NAME...: one skip line per test
skip_all() {
	local why=$1 n; shift
	for n in "$@"; do skip "$n" "$why"; done
}

# need_root_tracefs NAME...: unless root with tracefs (mounting it when
# missing), print one skip line per NAME and exit 0.
need_root_tracefs() {
	if [ "$(id -u)" -ne 0 ]; then
		skip_all "needs root and tracefs" "$@"; exit 0
	fi
	if [ ! -e /sys/kernel/tracing/trace ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	fi
	if [ ! -e /sys/kernel/tracing/trace ] ||
	   [ ! -d /sys/kernel/tracing/events/exceptions/page_fault_user ]; then
		skip_all "needs root and tracefs (with exceptions:page_fault_user)" "$@"; exit 0
	fi
	if [ ! -x "$MEMMON" ]; then
		for n in "$@"; do fail "$n" "expected memmon at $MEMMON, got nothing"; done
		exit 1
	fi
}

# mm_tmp: make $T (temp dir) removed on exit; mm_on_exit CMD adds a
# cleanup command run (in reverse order) before the directory goes.
mm_cleanups=()
mm_on_exit() { mm_cleanups+=("$1"); }
mm_exit_trap() {
	local i
	for ((i = ${#mm_cleanups[@]} - 1; i >= 0; i--)); do eval "${mm_cleanups[i]}"; done
	[ -n "${T:-}" ] && rm -rf "$T"
}
mm_tmp() {
	T=$(mktemp -d /tmp/memmon-test.XXXXXX) || exit 1
	chmod 755 "$T"
	trap mm_exit_trap EXIT
	trap 'exit 130' INT TERM
}

# prog NAME: path of a built test program
prog() { echo "$MEMMON_PROGS/$1"; }

# record BASE CMD...: memmon record -o BASE.dat -- CMD; CMD's stdout goes to
# BASE.out, record's stderr (and CMD's) to BASE.err; the report of the
# recording to BASE.rep (report's stderr BASE.rep.err).  Sets rec_rc and
# rep_rc.  REC_OPTS (word-split) go to record before -o: REC_OPTS=--classifier=tracepoint
record() {
	local base=$1; shift
	"$MEMMON" record ${REC_OPTS:-} -o "$base.dat" -- "$@" >"$base.out" 2>"$base.err"
	rec_rc=$?
	"$MEMMON" report --log "$base.dat" >"$base.rep" 2>"$base.rep.err"
	rep_rc=$?
}

# fact FILE KEY [PATTERN]: the value of KEY=VALUE in the first line of FILE
# that matches PATTERN (a grep -E regex; default: any line with KEY=)
fact() {
	local file=$1 key=$2 pat=${3:-"(^| )$2="}
	grep -E -- "$pat" "$file" | head -1 | tr ' ' '\n' | sed -n "s/^$key=//p" | head -1
}

# hex arithmetic: h2d HEX -> decimal; d2h DEC -> lowercase hex, no 0x
h2d() { echo $((16#$1)); }
d2h() { printf '%x' "$1"; }

# faults REPORT [PID] [LO HI] [FROM TO]: the fault lines of REPORT as
# "LINENO PID CLASS ADDR ACC MODE PAGES" (ADDR hex; MODE user or kernel, a
# kernel-mode fault's line being "(W, kernel in read)"; PAGES the pages it
# mapped when the line says more than one, else 1), only for task PID (when
# not empty), only with LO <= addr < HI (hex, when given), only on report
# lines FROM..TO (when given).  An access that raised a signal ("PID:
# SIGSEGV @ADDR (W) at IP (SEGV_MAPERR)") is a fault of class "other", as
# the summary counts it.  A line may end with the code of the faulting
# instruction (" in FUNC+0xOFF [MODULE]", report --symbols=on): FUNC (or
# MODULE+0xOFF, "-" when none) is an 8th field.
faults() {
	awk -v pid="${2:-}" -v lo="${3:-}" -v hi="${4:-}" -v from="${5:-0}" -v to="${6:-0}" '
	function h(s,   i, n) {
		n = 0; s = tolower(s)
		for (i = 1; i <= length(s); i++)
			n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	BEGIN { L = lo == "" ? -1 : h(lo); H = hi == "" ? -1 : h(hi) }
	$0 ~ /^[0-9]+: [a-z]+ page @[0-9a-f]+ \([RWX](, [^)]*)?\)( in [^ ]+( \[[^]]*\])?)?$/ ||
	$0 ~ /^[0-9]+: SIG[A-Z0-9]+ @[0-9a-f]+ \([RWX]\) at [0-9a-f]+ \([A-Z_0-9]+\)( in [^ ]+( \[[^]]*\])?)?$/ {
		if (from && (NR < from || NR > to)) next
		p = $1; sub(/:$/, "", p)
		if (pid != "" && p != pid) next
		sig = $2 ~ /^SIG/
		a = sig ? $3 : $4; sub(/^@/, "", a)
		if (L >= 0 && (h(a) < L || h(a) >= H)) next
		acc = substr(sig ? $4 : $5, 2, 1)
		mode = $0 ~ /, kernel/ ? "kernel" : "user"
		pages = 1
		if (match($0, /, [0-9]+ pages\)/)) pages = substr($0, RSTART + 2, RLENGTH - 9) + 0
		code = "-"
		if (match($0, / in [^ ]+( \[[^]]*\])?$/)) {
			code = substr($0, RSTART + 4); sub(/ .*/, "", code); sub(/\+0x[0-9a-f]+$/, "", code)
		}
		print NR, p, sig ? "other" : $2, a, acc, mode, pages, code
	}' "$1"
}

# pages_of: read "LINENO PID CLASS ADDR ACC" lines, print the distinct page
# numbers (addr >> 12, hex) sorted
pages_of() { awk '{ a = $4; sub(/...$/, "", a); print a }' | sort -u; }

# lineno REPORT EXACT-LINE: number of the first report line equal to it (0 if none)
lineno() { local n; n=$(grep -nFx -- "$2" "$1" | head -1 | cut -d: -f1); echo "${n:-0}"; }
# count REPORT EXACT-LINE: how many report lines equal it
count() { grep -cFx -- "$2" "$1"; }

# summary REPORT: the summary numbers as shell assignments
#   S_events S_faults S_syscalls S_process S_rss S_filemap
#   F_total F_anon F_file F_swap F_cow F_other A_R A_W A_X S_lost
#   H_events H_faults H_syscalls H_process H_rss H_filemap (the "left out"
#   line: record's child before its exec; 0 when there is none)
summary() {
	echo "H_events=0 H_faults=0 H_syscalls=0 H_process=0 H_rss=0 H_filemap=0"
	sed -n '/^# summary$/,$p' "$1" | awk '
	/^events: / { gsub(/[(),]/, ""); printf "S_events=%s S_faults=%s S_syscalls=%s S_process=%s S_rss=%s S_filemap=%s\n", $2, $4, $6, $8, $10, $12 }
	/^left out: / { gsub(/[(),]/, ""); printf "H_events=%s H_faults=%s H_syscalls=%s H_process=%s H_rss=%s H_filemap=%s\n", $3, $5, $7, $9, $11, $13 }
	/^faults: / { printf "F_total=%s F_anon=%s F_file=%s F_swap=%s F_cow=%s F_other=%s\n", $2, $4, $6, $8, $10, $12 }
	/^faults by access: / { printf "A_R=%s A_W=%s A_X=%s\n", $5, $7, $9 }
	/^lost events: / { printf "S_lost=%s\n", $3 }'
}

# show FILE: a file's head for a FAIL message (one line, first N lines)
show() { head -"${2:-3}" "$1" 2>/dev/null | tr '\n' '|' | cut -c1-300; }
