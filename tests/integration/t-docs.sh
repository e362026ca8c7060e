#!/usr/bin/env bash
# Checks that every command has a man page whose SYNOPSIS is the command's usage string, that 'memmon CMD --help', '-h' and 'memmon help CMD' show that page (the built tree's), and the usage string only when no page can be shown; and that every symbol field (FRAME, STACK, segment) the JSON views print on a real trace with names is named in that view's JSON block of memmon-report(1) (no root needed).
set -u
M=${MEMMON:-./memmon}
top=${MEMMON_TOP:-.}

synopsis() {	# the SYNOPSIS lines of a roff page, macros and escapes removed
	awk '/^\.SH +"?SYNOPSIS/ {on=1; next} /^\.SH/ {on=0} on' "$1" |
		grep -v '^\.\(nf\|fi\|PP\|sp\|br\)' |
		sed -e 's/^\.[A-Z][A-Z]* //' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/--/g' -e 's/\\\\/\\/g' -e 's/"//g'
}

for cmd in record report info list reset watch; do
	page="$top/Documentation/memmon-$cmd.1"
	if [ ! -f "$page" ]; then echo "FAIL man-page-$cmd: $page missing"; continue; fi
	# the usage line a usage error ends with
	usage=$("$M" "$cmd" --no-such-option </dev/null 2>&1 | sed -n 's/^usage: //p' | head -1)
	if [ -z "$usage" ]; then echo "FAIL usage-$cmd: 'memmon $cmd --no-such-option' printed no usage line"; continue; fi
	if synopsis "$page" | grep -qxF -- "$usage"; then
		echo "ok synopsis-$cmd"
	else
		echo "FAIL synopsis-$cmd: usage '$usage' is not a SYNOPSIS line of $page: $(synopsis "$page" | tr '\n' '|')"
	fi
done
# --help, -h and "memmon help CMD": the page, rendered by man(1) (stdout is
# not a terminal here: the whole page, no pager), exit 0
for cmd in record report info list reset watch; do
	want="MEMMON-$(echo "$cmd" | tr a-z A-Z)(1)"
	for how in "$cmd --help" "$cmd -h" "help $cmd"; do
		out=$("$M" $how </dev/null 2>/dev/null); rc=$?
		first=$(echo "$out" | head -1 | awk '{ print $1 }')
		if [ "$rc" -eq 0 ] && [ "$first" = "$want" ] && echo "$out" | grep -q '^SYNOPSIS$'; then
			echo "ok help-page-${how// /-}"
		else
			echo "FAIL help-page-${how// /-}: expected exit 0 and the page headed $want with a SYNOPSIS, got exit $rc, first line '$(echo "$out" | head -1)'"
		fi
	done
done
# without man(1) the usage string, and where the page is
out=$(PATH=/nonexistent "$M" report --help 2>&1); rc=$?
usage=$("$M" report --no-such-option 2>&1 | sed -n 's/^usage: //p')
if [ "$rc" -eq 0 ] && [ "$(echo "$out" | head -1)" = "usage: $usage" ] &&
   echo "$out" | grep -q "^(the manual is .*Documentation/memmon-report.1; man(1) could not show it)$"; then
	echo "ok help-without-man"
else
	echo "FAIL help-without-man: expected exit 0, 'usage: $usage' and where the manual is, got exit $rc: $(echo "$out" | head -2 | paste -sd'|')"
fi
# a binary away from any tree, no page installed: the usage string alone
d=$(mktemp -d); cp "$M" "$d/memmon"; mkdir "$d/noman"
out=$(MANPATH="$d/noman" "$d/memmon" info --help 2>&1); rc=$?
[ "$rc" -eq 0 ] && [ "$out" = "usage: memmon info [-i FILE] [FILE]" ] && echo "ok help-no-page" ||
	echo "FAIL help-no-page: expected exit 0 and only 'usage: memmon info [-i FILE] [FILE]', got exit $rc: $(echo "$out" | head -3 | paste -sd'|')"
rm -rf "$d"
for page in memmon.1 memmon-format.5; do
	[ -f "$top/Documentation/$page" ] && echo "ok man-page-$page" || echo "FAIL man-page-$page: missing"
done
# every page renders without warnings
for page in "$top"/Documentation/*.[15]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null | grep -v 'cannot adjust\|can.t break' | head -3)
	[ -z "$w" ] && echo "ok renders-$(basename "$page")" || echo "FAIL renders-$(basename "$page"): $w"
done
# usage errors exit 129, unknown commands too
"$M" nosuchcommand >/dev/null 2>&1; rc=$?
[ "$rc" -eq 129 ] && echo "ok unknown-command-129" || echo "FAIL unknown-command-129: exit $rc"
# The symbol fields of every JSON view are in the page: on a real trace with
# names (the fuzz seed names.dat: names-prog recorded with stacks and
# --malloc), each key whose value is code (a FRAME, a STACK) or an ELF
# segment is named in the JSON block of the view that printed it, and every
# key of a FRAME in the FRAME and STACK lines (memmon-report(1), JSON AND
# CSV OUTPUT)
trace="$top/tests/fuzz/seeds/names.dat"
d=$(mktemp)
page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$top/Documentation/memmon-report.1" 2>/dev/null)
for view in --log --regions --maps-at --malloc-patterns --sites; do
	args=("$view"); [ "$view" = --maps-at ] && args+=(0.01)   # the model's rows
	"$M" report "${args[@]}" --json "$trace" >"$d.json" 2>/dev/null
	res=$(python3 -c '
import json, re, sys
view, page, doc = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
def frame(v): return isinstance(v, dict) and "function" in v and "module" in v
def stack(v): return isinstance(v, list) and v and all(frame(x) for x in v)
keys, fkeys = set(), set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if frame(x) or stack(x) or k == "segment": keys.add(k)
            for f in ([x] if frame(x) else x if stack(x) else []): fkeys.update(f)
            walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
walk(doc)
# the view'"'"'s block: from its heading line to the next view'"'"'s
lines = page.split("\n")
start = [i for i, l in enumerate(lines) if re.match(r"^ {7}%s( \(.*)?$" % re.escape(view), l)]
section = lines.index("JSON AND CSV OUTPUT") if "JSON AND CSV OUTPUT" in lines else len(lines)
start = [i for i in start if i > section]
if not start: print("no JSON block for", view); sys.exit()
end = next((i for i in range(start[0] + 1, len(lines)) if re.match(r"^ {7}--[a-z]|^[A-Z]", lines[i])), len(lines))
block = "\n".join(lines[start[0]:end])
frames = "\n".join(l for l in lines if "FRAME = {" in l or "STACK = [" in l)
bad = sorted(k for k in keys if "\"%s\"" % k not in block)
bad += sorted("FRAME." + k for k in fkeys - {"gap"} if "\"%s\"" % k not in frames and "\"%s\"" % k not in block)
bad += ["STACK.gap"] if "gap" in fkeys and "\"gap\"" not in frames else []
print("%d symbol fields, undocumented: %s" % (len(keys), " ".join(bad) or "none") if keys else "no symbol field")
' "$view" "$page" "$d.json")
	case "$res" in
	*"undocumented: none") echo "ok json-symbols${view}" ;;
	*) echo "FAIL json-symbols${view}: expected its symbol fields in memmon-report(1)'s JSON block for $view, got $res" ;;
	esac
done
rm -f "$d" "$d.json"
