#!/usr/bin/env bash
# Checks that every command has a man page whose SYNOPSIS is the command's usage string, that 'memmon CMD --help', '-h' and 'memmon help CMD' show that page (the built tree's), and the usage string only when no page can be shown (no root needed).
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
