#!/usr/bin/env bash
# Checks make install/uninstall into a DESTDIR (binary, every man page, bash completion, the libtraceevent plugin; nothing left after uninstall), that the installed memmon shows the installed manual as man(1) does, --version's versions, and the completion (commands, each command's long options as its getopt table has them, trace files).
set -u
. "$(dirname "$0")/lib.sh"
mm_tmp
B=${MEMMON_BUILD:-build}
D=$T/dest
# make from inside make check: not the outer make's jobserver
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$MEMMON_TOP" O="$B" "$@"; }

mk install DESTDIR="$D" PREFIX=/usr >"$T/inst.out" 2>&1
rc=$?
missing=
for f in "$MEMMON_TOP"/Documentation/*.1; do
	[ -f "$D/usr/share/man/man1/$(basename "$f")" ] || missing="$missing $(basename "$f")"
done
for f in "$MEMMON_TOP"/Documentation/*.5; do
	[ -f "$D/usr/share/man/man5/$(basename "$f")" ] || missing="$missing $(basename "$f")"
done
[ -x "$D/usr/bin/memmon" ] || missing="$missing bin/memmon"
[ -f "$D/usr/lib/memmon/libmemmon-malloc.so" ] || missing="$missing lib/memmon/libmemmon-malloc.so"
# libtraceevent's plugin directory, as the Makefile finds it
plugdir=$(pkg-config --variable=plugin_dir libtraceevent 2>/dev/null)
plugdir=${plugdir:-$(pkg-config --variable=libdir libtraceevent 2>/dev/null)/traceevent/plugins}
[ -f "$D$plugdir/plugin_memmon.so" ] || missing="$missing $plugdir/plugin_memmon.so"
[ -f "$D/usr/share/bash-completion/completions/memmon" ] || missing="$missing completion"
check install-files "exit 0, nothing missing" "exit $rc, nothing missing$missing"

# the installed binary has no source tree beside it: its --help is the
# installed page, the same text man(1) gives for memmon-record
if command -v man >/dev/null; then
	MANPATH=$D/usr/share/man "$D/usr/bin/memmon" help record >"$T/help.out" 2>&1
	MANPATH=$D/usr/share/man man memmon-record >"$T/man.out" 2>/dev/null
	if [ -s "$T/man.out" ] && cmp -s "$T/help.out" "$T/man.out" &&
	   grep -q "MEMMON-RECORD" "$T/help.out"; then
		ok install-help-is-man
	else
		fail install-help-is-man "expected 'memmon help record' = 'man memmon-record' (MEMMON-RECORD page), got $(head -c 200 "$T/help.out" | tr '\n' ' ')"
	fi
else
	skip install-help-is-man "needs man(1) (man-db)"
fi

# --version: the version in memmon.h and the format in format/layout.h
v=$(sed -n 's/^#define MEMMON_VERSION "\(.*\)"/\1/p' "$MEMMON_TOP/memmon.h")
maj=$(sed -n 's/^#define MM_FORMAT_MAJOR *\([0-9]*\)/\1/p' "$MEMMON_TOP/format/layout.h")
min=$(sed -n 's/^#define MM_FORMAT_MINOR *\([0-9]*\)/\1/p' "$MEMMON_TOP/format/layout.h")
got=$("$D/usr/bin/memmon" --version 2>&1 | sed -n '1s/^memmon version //p;2s/^file format \([0-9.]*\) .*/\1/p' | tr '\n' ' ')
check install-version "$v $maj.$min " "$got"

# ---- completion
comp() {	# WORDS...: what the completion offers for the last word
	(cd "$T/cwd" && bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _memmon; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$D/usr/share/bash-completion/completions/memmon" "$@")
}
mkdir -p "$T/cwd/sub" && touch "$T/cwd/a.dat" "$T/cwd/b.txt"
check completion-commands "record report reset " "$(comp memmon re)"
check completion-help "reset " "$(comp memmon help res)"
check completion-trace-files "a.dat sub " "$(comp memmon report '')"
check completion-value "faults " "$(comp memmon report --sort f)"
for c in record report diff info list reset; do
	src=$(grep -l "^int cmd_$c(" "$MEMMON_TOP"/record/*.c "$MEMMON_TOP"/report/*.c | head -1)
	want=$(grep -o '{ *"[a-z][a-z-]*", *[a-z_]*_argument' "$src" | sed 's/{ *"\([^"]*\)".*/--\1/' | sort -u | tr '\n' ' ')
	got=$(comp memmon "$c" --)
	lacking=
	for o in $want; do
		case " $got " in *" $o "*) ;; *) lacking="$lacking $o" ;; esac
	done
	check "completion-options-$c" "every long option of $(basename "$src") (add missing ones to Documentation/memmon-completion.bash)" \
		"every long option of $(basename "$src")${lacking:+ but$lacking} (add missing ones to Documentation/memmon-completion.bash)"
done

mk uninstall DESTDIR="$D" PREFIX=/usr >"$T/uninst.out" 2>&1
rc=$?
left=$(find "$D" -type f | sed "s|^$D||" | tr '\n' ' ')
check uninstall "exit 0, no files left" "exit $rc, no files left${left:+: $left}"
exit $mm_failed
