#!/usr/bin/env bash
# Checks names from the trace alone (issue 13) on real recordings of names-prog, its binary and library deleted and the report run as nobody in /: exact fault counts per function in --sites (text, JSON, CSV), the stacks of its own mmap and brk calls, the deleted data file's and the dlclosed library's paths in --regions, no "fd N" in any region view, the mapped file's path after its fd on the log's mmap lines (text and JSON "file") and no "fd N" alone in any view (text, JSON, Perfetto, HTML), ELF segments, symbols in the log (and --symbols=off), one ELF object per build-id for two processes of two copies, a stripped binary (module+offset, and its debug file by build-id), a fixed (non-PIE) build, list and info; and record --no-names --no-stacks keeps none of it (no mapping records, objects or stacks: code by module+offset).
set -u
. "$(dirname "$0")/lib.sh"
TESTS="names-record names-sites-fill names-sites-read names-sites-lib names-map-direct
names-brk names-data-path names-lib-path names-no-fd names-segments names-log-symbol
names-symbols-off names-log-file names-log-no-fd names-json-log-file names-no-fd-views names-json-sites
names-json-regions names-csv-sites names-dedup names-dedup-sites names-stripped names-debugfile
names-nopie names-list names-info names-off"
need_root_tracefs $TESTS
mm_tmp
chmod 755 "$T"

# The report runs as nobody, in /, with the binaries gone.
if command -v setpriv >/dev/null; then
	as_nobody() { (cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$@"); }
else
	as_nobody() { (cd / && "$@"); }
fi
rep() { as_nobody "$MEMMON" report "$@"; }

# rec NAME BIN [RECORD-OPTIONS]: copy BIN (and the library) to $T/NAME/,
# record it there, delete both; facts in $T/NAME.out
rec() {
	local name=$1 bin=$2; shift 2
	mkdir -p "$T/$name" "$T/$name.work"
	cp "$bin" "$T/$name/$name"
	cp "$(prog libnames.so)" "$T/$name/libnames.so"
	"$MEMMON" record -q "$@" -o "$T/$name.dat" -- "$T/$name/$name" "$T/$name.work" \
		"$T/$name/libnames.so" >"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
	rm -rf "$T/$name"
	chmod 644 "$T/$name.dat"
}
# codes SITES-TEXT: each row of the fault-site table as "FAULTS ANON FILE
# SWAP COW OTHER R W X PAGES REGIONS | CODE", the columns found by their
# header (a class the table has besides those must be 0: else "+N")
codes() {
	awk '/^#/ { t++; next } t == 1 && $1 == "FAULTS" { for (i = 1; i <= NF; i++) col[$i] = i; n = NF - 1; next }
	t == 1 && $1 ~ /^[0-9]+$/ { c = $0
		for (i = 0; i < n; i++) sub(/^ *[0-9]+/, "", c)
		sub(/^ +/, "", c)
		extra = 0
		for (k in col) if (k !~ /^(FAULTS|ANON|FILE|SWAP|COW|OTHER|R|W|X|PAGES|REGIONS|CODE)$/) extra += $col[k]
		print $col["FAULTS"], $col["ANON"], $col["FILE"], $col["SWAP"], $col["COW"], $col["OTHER"] (extra ? "+" extra : ""),
		      $col["R"], $col["W"], $col["X"], $col["PAGES"], $col["REGIONS"], "|", c }' "$1"
}
# site SITES-TEXT CODE: the numbers of CODE's row ("fill_anon [p]")
site() { codes "$1" | awk -v c="$2" '{ n = $0; sub(/^[^|]*\| /, "", n) } n == c { sub(/ \|.*/, ""); print }'; }

rec p "$(prog names-prog)"
pid=$(fact "$T/p.out" pid)
check names-record "exit 0" "exit $(cat "$T/p.rc")"
rep --sites "$T/p.dat" >"$T/p.sites" 2>&1
# fill_anon wrote 24 pages of one mapping and 8 of another, one fault each
check names-sites-fill "32 32 0 0 0 0 0 32 0 32 2" "$(site "$T/p.sites" "fill_anon [p]")"
# read_data read 12 pages of a file out of the page cache, one fault each
check names-sites-read "12 file R faults" \
	"$(site "$T/p.sites" "read_data [p]" | awk '{ print $3 " file R faults" }')"
# the library's function, named though it was opened and closed between snapshots
check names-sites-lib "6 6 0 0 0 0 0 6 0 6 1" "$(site "$T/p.sites" "lib_touch [libnames.so]")"

# map sites: MMAP MUNMAP MPROTECT BRK OTHER MAPPED UNMAPPED BRK+ BRK- FAULTS PAGES STACK
check names-map-direct "1 32K 8 8 map_direct main" "$(awk '$12 ~ /^map_direct\+0x/ && $15 ~ /^main\+0x/ {
	f = $12; m = $15; sub(/\+.*/, "", f); sub(/\+.*/, "", m); print $1, $6, $10, $11, f, m }' "$T/p.sites")"
check names-brk "3 brk calls, +20K -20K" "$(awk '$12 ~ /^grow_break\+0x/ { n += $4; u += $8; d += $9 }
	END { printf "%d brk calls, +%dK -%dK", n, u, d }' "$T/p.sites")"

rep --regions "$T/p.dat" >"$T/p.regions" 2>&1
data=$(fact "$T/p.out" data)
# regions: NAME is field 12 (then " [SEGMENT]", then "by STACK")
# the region at data's address that took its page faults (FAULTS, field 7):
# ld.so.cache, mapped and unmapped by ld.so, may have started there too
dpages=$(fact "$T/p.out" data_pages)
check names-data-path "$T/p.work/data" "$(awk -v a="$data" -v n="$dpages" '$1 ~ "^" a "-" && $7 == n { print $12; exit }' "$T/p.regions")"
check names-lib-path "$T/p/libnames.so [text]" \
	"$(awk '$3 == "r-xp" && $12 ~ /\/libnames\.so$/ { print $12, $13; exit }' "$T/p.regions")"
rep "$T/p.dat" >"$T/p.page" 2>&1
rep --regions --json "$T/p.dat" >"$T/p.rjson" 2>&1
rep --regions --csv "$T/p.dat" >"$T/p.rcsv" 2>&1
rep --maps-at end "$T/p.dat" >"$T/p.maps" 2>&1
check names-no-fd "0 in text, 0 in JSON" "$(cat "$T/p.regions" "$T/p.page" "$T/p.rcsv" "$T/p.maps" |
	grep -cE '(^| |,)fd [0-9]+') in text, $(jq -r '.processes[].regions[].name' "$T/p.rjson" |
	grep -cE '^fd [0-9]+$') in JSON"
check names-segments "data relro rodata text" "$(awk '$12 ~ /\/p$/ { print $13 }' "$T/p.regions" |
	tr -d '[]' | sort -u | paste -sd' ')"

rep --log "$T/p.dat" >"$T/p.log" 2>&1
anon=$(fact "$T/p.out" anon)
check names-log-symbol "24 lines in fill_anon [p]" "$(faults "$T/p.log" "$pid" "$anon" \
	"$(d2h $(( $(h2d "$anon") + 24 * 4096 )))" | awk '$8 == "fill_anon"' | wc -l) lines in fill_anon [p]"
rep --log --symbols=off "$T/p.dat" >"$T/p.raw" 2>&1
# (and the summary has no stacks line: off, no ELF object is read)
check names-symbols-off "0 named, same lines" "$(grep -c ') in ' "$T/p.raw") named, $(
	sed -E 's/\) in .*/)/; s/(fd [0-9]+) "[^"]*"/\1/' "$T/p.log" | grep -v '^stacks: ' | cmp -s - "$T/p.raw" && echo same || echo other) lines"
# the data file's mmap (found by its result and length: ld.so.cache, mapped
# and unmapped by ld.so, may have been there before) names the file after its fd
dlen=$((dpages * 4096))
check names-log-file "mmap(0, $dlen, r--, PRIVATE, fd N \"$T/p.work/data\") -> $data" "$(
	grep -E "^$pid: mmap\(0, $dlen, .*\) -> $data$" "$T/p.log" | sed -E "s/^$pid: //; s/fd [0-9]+ /fd N /")"
# every mmap of a file in the log says which (ld.so's, the program's, the
# dlopened library's): none with its fd alone
check names-log-no-fd "0 with the fd alone" "$(grep -cE '^[0-9]+: mmap\(.*, fd [0-9]+(,|\))' "$T/p.log") with the fd alone"
rep --log --json "$T/p.dat" >"$T/p.ljson" 2>&1
check names-json-log-file "$T/p.work/data; 0 unnamed" "$(jq -r --argjson d "$(h2d "$data")" --argjson n "$dlen" '.events[] |
	select(.kind == "syscall" and .name == "mmap" and .ret == $d and .args[1] == $n) | .file' "$T/p.ljson"); $(
	jq '[.events[] | select(.kind == "syscall" and .name == "mmap" and has("file") and .file == null and .ret > 0)] | length' "$T/p.ljson") unnamed"
# every view, text and JSON, and the files of their own: nothing named by
# "fd N" alone (a file's fd is followed by its path), the data file named
mkdir -p "$T/views"; chmod 777 "$T/views"
for v in "" --log --regions "--maps-at end" --sites --malloc-patterns --timeline --context; do
	# shellcheck disable=SC2086
	rep $v "$T/p.dat" >>"$T/views/all" 2>&1
	# shellcheck disable=SC2086
	rep $v --json "$T/p.dat" >>"$T/views/all" 2>&1
done
rep --perfetto "$T/views/p.json" --html "$T/views/p.html" "$T/p.dat" >>"$T/views/all" 2>&1
cat "$T/views/p.json" "$T/views/p.html" >>"$T/views/all" 2>/dev/null
check names-no-fd-views "0 named by fd alone, data named" "$(grep -oE 'fd [0-9]+( \\?")?' "$T/views/all" |
	grep -cvE '"$') named by fd alone, $(grep -qF "$T/p.work/data" "$T/views/all" && echo data named || echo data not named)"
rep --sites --json "$T/p.dat" >"$T/p.sjson" 2>&1
check names-json-sites "32 32 32 32 2" "$(jq -r '.fault_sites[] | select(.code.function == "fill_anon" and .code.module == "p") |
	"\(.faults) \(.by_class.anon) \(.by_access.w) \(.pages_touched) \(.regions)"' "$T/p.sjson")"
direct=$(fact "$T/p.out" direct)
check names-json-regions "$T/p.work/data null, text, map_direct main" "$(
	jq -r --arg d "$data" --argjson n "$dpages" '[.processes[].regions[] | select(.start == $d and .faults.total == $n)][0] | "\(.name) \(.segment)"' "$T/p.rjson"), $(
	jq -r '[.processes[].regions[] | select(.perms == "r-xp" and (.name | endswith("/p")))][0].segment' "$T/p.rjson"), $(
	jq -r --arg m "$direct" --argjson n "$(fact "$T/p.out" direct_pages)" '[.processes[].regions[] | select(.start == $m and .faults.total == $n)][0].created_by | "\(.[0].function) \(.[1].function)"' "$T/p.rjson")"
rep --sites --csv "$T/p.dat" >"$T/p.scsv" 2>&1
check names-csv-sites "fault,32,32,p,fill_anon" "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
	NR > 1 && $c["function"] == "fill_anon" { print $c["kind"] "," $c["faults"] "," $c["anon"] "," $c["module"] "," $c["function"] }' "$T/p.scsv")"

# Two copies of one binary (two inodes, one build-id) in three processes:
# one ELF object, and every process's faults named.
mkdir -p "$T/d" "$T/d.work"
cp "$(prog names-prog)" "$T/d/a"; cp "$(prog names-prog)" "$T/d/b"; cp "$(prog libnames.so)" "$T/d/"
"$MEMMON" record -q -o "$T/d.dat" -- sh -c "$T/d/a $T/d.work $T/d/libnames.so && $T/d/b $T/d.work $T/d/libnames.so && $T/d/a $T/d.work $T/d/libnames.so" >/dev/null 2>&1
bid=$(readelf -n "$(prog names-prog)" | awk '/Build ID/ { print $3 }')
rm -rf "$T/d"; chmod 644 "$T/d.dat"
check names-dedup "1 object of $bid" "$(as_nobody "$MEMMON" info "$T/d.dat" | grep -c "^  $bid ") object of $bid"
rep --sites "$T/d.dat" >"$T/d.sites" 2>&1
check names-dedup-sites "96 faults in fill_anon" "$(codes "$T/d.sites" | awk '$13 == "fill_anon" && ($14 == "[a]" || $14 == "[b]") { n += $1 }
	END { print n + 0 " faults in fill_anon" }')"

# Stripped: no symbol names fill_anon, its address in the object does.
strip --strip-all -o "$T/stripped-bin" "$(prog names-prog)"
read -r fa fsz < <(nm -S "$(prog names-prog)" | awk '$4 == "fill_anon" { print $1, $2 }')
rec s "$T/stripped-bin"
rep --sites "$T/s.dat" >"$T/s.sites" 2>&1
check names-stripped "no fill_anon, 32 faults in s+0x$fa.." "$(grep -c 'fill_anon' "$T/s.sites" | sed 's/^0$/no fill_anon/'), $(
	codes "$T/s.sites" | awk -v lo="$fa" -v n="$fsz" '
	function h(s,  i, v) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
	$13 ~ /^s\+0x/ { a = h(substr($13, 5)); if (a >= h(lo) && a < h(lo) + h(n)) f += $1 }
	END { print f + 0 " faults in s+0x" lo ".." }')"
# ... and with its debug file, found by build-id under --debug-dir
mkdir -p "$T/dbg/.build-id/${bid:0:2}"
objcopy --only-keep-debug "$(prog names-prog)" "$T/dbg/.build-id/${bid:0:2}/${bid:2}.debug"
rec g "$T/stripped-bin" --debug-dir "$T/dbg"
rep --sites "$T/g.dat" >"$T/g.sites" 2>&1
check names-debugfile "32 32 0 0 0 0 0 32 0 32 2" "$(site "$T/g.sites" "fill_anon [g]")"

rec n "$(prog names-prog-nopie)"
rep --sites "$T/n.dat" >"$T/n.sites" 2>&1
rep --regions "$T/n.dat" >"$T/n.regions" 2>&1
check names-nopie "32 32 0 0 0 0 0 32 0 32 2, text at 401000" "$(site "$T/n.sites" "fill_anon [n]"), $(
	awk '$3 == "r-xp" && $12 ~ /\/n$/ && $13 == "[text]" { split($1, r, "-"); print "text at " r[1]; exit }' "$T/n.regions")"

list=$("$MEMMON" list 2>&1)
check names-list "user stacks: yes, mapping records: yes, libc frame pointers said" "$(
	echo "$list" | grep -q '^user stacks: yes' && echo -n 'user stacks: yes' || echo -n 'user stacks: ?'), $(
	echo "$list" | grep -q '^mapping records: yes' && echo -n 'mapping records: yes' || echo -n 'mapping records: ?'), $(
	echo "$list" | grep -qE '^frame pointers: .*libc\.so\.6 (keeps none|keeps them)' && echo 'libc frame pointers said' || echo 'libc: ?')"
info=$(as_nobody "$MEMMON" info "$T/p.dat" 2>&1)
check names-info "mappings named, objects listed, stacks kept" "$(
	echo "$info" | grep -qE '^mappings: +[1-9][0-9]* file mappings' && echo -n 'mappings named' || echo -n 'mappings: ?'), $(
	echo "$info" | grep -qE '^  [0-9a-f]{40} +[0-9]+ symbols from \.symtab +frame pointers +.*/p$' && echo -n 'objects listed' || echo -n 'objects: ?'), $(
	echo "$info" | grep -qE '^stacks: +[1-9][0-9]* user stacks' && echo 'stacks kept' || echo 'stacks: ?')"

# --no-names --no-stacks: the cheapest recording keeps no names at all, and
# says so; the code is still placed, by module and offset
rec o "$(prog names-prog)" --no-names --no-stacks
info=$(as_nobody "$MEMMON" info "$T/o.dat" 2>&1)
rep --sites "$T/o.dat" >"$T/o.sites" 2>&1
check names-off "exit 0; 0 mappings, 0 objects, 0 stacks; 32 faults at o+0x.., no fill_anon" "exit $(cat "$T/o.rc"); $(
	echo "$info" | sed -n 's/^mappings: *\([0-9]*\) file mappings.*/\1 mappings/p'), $(
	echo "$info" | sed -n 's/^objects: *\([0-9]*\) ELF objects.*/\1 objects/p'), $(
	echo "$info" | sed -n 's/^stacks: *\([0-9]*\) user stacks.*/\1 stacks/p'); $(
	codes "$T/o.sites" | awk '$1 == 32 && $13 ~ /^o\+0x[0-9a-f]+$/ { print "32 faults at o+0x.."; exit }'), $(
	grep -q fill_anon "$T/o.sites" && echo "fill_anon named" || echo "no fill_anon")"
