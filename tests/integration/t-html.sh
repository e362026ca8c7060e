#!/usr/bin/env bash
# Checks report --html FILE on real recordings, loaded in headless Chromium: no console message (no error, no blocked network request), anon-touch's region drawn at its address with its exact 300 faults and one mark per fault of the process, the findings of --malloc-patterns in the table, a uniform sample (and a note saying so) past 20,000 faults, a program path holding "</script>" harmless, and a clear error for a path it cannot write.
set -u
. "$(dirname "$0")/lib.sh"
TESTS="html-record html-self-contained html-loads html-region html-marks html-findings html-aggregated html-hostile-name html-unwritable"
need_root_tracefs $TESTS
mm_tmp
BROWSER=$(command -v chromium || command -v chromium-browser || true)

# load PAGE: its DOM after the scripts ran (PAGE.dom) and what the browser
# said (PAGE.log: only the page's console lines)
load() {
	"$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/chr" \
		--enable-logging=stderr --v=0 --dump-dom "file://$1" >"$1.dom" 2>"$1.err"
	grep ':CONSOLE' "$1.err" >"$1.log"
}
browser_check() {	# NAME: skip when there is no browser
	[ -n "$BROWSER" ] && return 0
	skip "$1" "needs chromium (Debian's chromium package)"; return 1
}

N=300
record "$T/a" "$(prog anon-touch)" $N
"$MEMMON" report -q --html "$T/a.html" "$T/a.dat" >"$T/a.stdout" 2>"$T/a.herr"; hrc=$?
check html-record "record 0, html 0, nothing on stdout" \
	"record $rec_rc, html $hrc, $([ -s "$T/a.stdout" ] && echo something || echo nothing) on stdout"
# nothing to fetch: no URL but the SVG namespace, and a policy that forbids any
urls=$(grep -o 'https\?://[^"'"'"' )]*' "$T/a.html" | grep -v '^http://www.w3.org/2000/svg$' | sort -u | tr '\n' ' ')
check html-self-contained "no URL, a Content-Security-Policy of default-src 'none'" \
	"${urls:-no URL}, $(grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$T/a.html" && echo "a Content-Security-Policy of default-src 'none'" || echo "no policy")"
child=$(fact "$T/a.out" pid); region=$(fact "$T/a.out" region)
eval "$(summary <("$MEMMON" report --log --pid "$child" "$T/a.dat" 2>/dev/null))"
if browser_check html-loads; then
	load "$T/a.html"
	check html-loads "ready, no console message" \
		"$(grep -q 'data-ready="1"' "$T/a.html.dom" && echo ready || echo "not ready"), $([ -s "$T/a.html.log" ] && echo "console: $(head -c 300 "$T/a.html.log")" || echo "no console message")"
	check html-region "region $region with $N faults" \
		"region $region with $(grep -o "<g class=\"region\" data-start=\"$region\"[^>]*>" "$T/a.html.dom" | sed -n 's/.*data-faults="\([0-9]*\)".*/\1/p' | head -1) faults"
	check html-marks "$S_faults marks" "$(grep -o '<circle' "$T/a.html.dom" | wc -l) marks"
else
	skip html-region "needs chromium"; skip html-marks "needs chromium"
fi

# the findings, as --malloc-patterns has them
record "$T/m" "$(prog mf-malloc)" churn
"$MEMMON" report -q --html "$T/m.html" "$T/m.dat" 2>/dev/null
want=$("$MEMMON" report --malloc-patterns --json "$T/m.dat" 2>/dev/null | jq -r '[.findings[].id] | sort | join(" ")')
if browser_check html-findings; then
	load "$T/m.html"
	got=$(grep -o '<tr class="finding"><td>[a-z-]*' "$T/m.html.dom" | sed 's/.*<td>//' | sort | tr '\n' ' ' | sed 's/ $//')
	if [ -n "$want" ] && [ "$want" = "$got" ] && [ ! -s "$T/m.html.log" ]; then ok html-findings
	else fail html-findings "expected the findings '$want' (not empty) and no console message, got '$got' $(head -c 200 "$T/m.html.log")"; fi
fi

# past 20,000 faults: a uniform sample of 20,000 drawn, and said
record "$T/b" "$(prog anon-touch)" 30000
"$MEMMON" report -q --html "$T/b.html" "$T/b.dat" 2>/dev/null
if browser_check html-aggregated; then
	load "$T/b.html"
	check html-aggregated "20000 marks, a note, no console message" \
		"$(grep -o '<circle' "$T/b.html.dom" | wc -l) marks, $(grep -q 'aggregated: a uniform sample of 20,000 faults is drawn' "$T/b.html.dom" && echo "a note" || echo "no note"), $([ -s "$T/b.html.log" ] && echo "console: $(head -c 200 "$T/b.html.log")" || echo "no console message")"
fi

# a program whose path holds "</script>" cannot end the page's data
mkdir -p "$T/x</script><b>y"
cp "$(prog anon-touch)" "$T/x</script><b>y/prog"
"$MEMMON" record -q -o "$T/h.dat" -- "$T/x</script><b>y/prog" 4 >/dev/null 2>&1
"$MEMMON" report -q --html "$T/h.html" "$T/h.dat" 2>/dev/null
if browser_check html-hostile-name; then
	load "$T/h.html"
	check html-hostile-name "ready, the path in a region's label, no console message" \
		"$(grep -q 'data-ready="1"' "$T/h.html.dom" && echo ready || echo "not ready"), $(grep -q 'data-label="[^"]*x&lt;/script&gt;&lt;b&gt;y/prog"' "$T/h.html.dom" && echo "the path in a region's label" || echo "no label with the path"), $([ -s "$T/h.html.log" ] && echo "console: $(head -c 200 "$T/h.html.log")" || echo "no console message")"
fi

"$MEMMON" report --html "$T/no/such/dir/x.html" "$T/a.dat" >/dev/null 2>"$T/u.err"; urc=$?
check html-unwritable "exit 1, 'memmon report: --html $T/no/such/dir/x.html: cannot write it: No such file or directory', no file" \
	"exit $urc, '$(head -1 "$T/u.err")', $([ -e "$T/no/such/dir/x.html" ] && echo a file || echo no file)"
exit $mm_failed
