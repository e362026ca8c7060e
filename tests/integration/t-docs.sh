#!/usr/bin/env bash
# Checks that every command has a man page whose SYNOPSIS is the command's usage string (no root needed).
set -u
M=${MEMMON:-./memmon}
top=${MEMMON_TOP:-.}

synopsis() {	# the SYNOPSIS lines of a roff page, macros and escapes removed
	awk '/^\.SH +"?SYNOPSIS/ {on=1; next} /^\.SH/ {on=0} on' "$1" |
		grep -v '^\.\(nf\|fi\|PP\|sp\|br\)' |
		sed -e 's/^\.[A-Z][A-Z]* //' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/--/g' -e 's/\\\\/\\/g' -e 's/"//g'
}

for cmd in record report info list reset; do
	page="$top/Documentation/memmon-$cmd.1"
	if [ ! -f "$page" ]; then echo "FAIL man-page-$cmd: $page missing"; continue; fi
	usage=$("$M" "$cmd" --help </dev/null 2>&1 | sed -n 's/^usage: //p' | head -1)
	if [ -z "$usage" ]; then echo "FAIL usage-$cmd: 'memmon $cmd --help' printed no usage line"; continue; fi
	if synopsis "$page" | grep -qxF -- "$usage"; then
		echo "ok synopsis-$cmd"
	else
		echo "FAIL synopsis-$cmd: usage '$usage' is not a SYNOPSIS line of $page: $(synopsis "$page" | tr '\n' '|')"
	fi
done
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
