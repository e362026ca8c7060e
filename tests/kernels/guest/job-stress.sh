# Stress: many short recordings (probes defined/removed, events enabled and
# disabled) while untraced processes fault all the time.  MODE (memmon.stress=)
# picks the classifier, so a kernel bug can be pinned to kprobes or tracepoints.
M=/memmon/build/memmon P=/memmon/build/tests/progs
mode=kprobe
for w in $(cat /proc/cmdline); do case $w in memmon.stress=*) mode=${w#memmon.stress=} ;; esac; done
cd /tmp
( while :; do $P/anon-touch 2000 >/dev/null; done ) & bg1=$!
( while :; do $P/anon-touch 2000 >/dev/null; done ) & bg2=$!
for i in $(seq 40); do
	$M record -q --classifier=$mode -o s$i.dat -- $P/anon-touch 500 >/dev/null 2>>err.txt &
	[ $((i % 2)) -eq 0 ] && wait
	echo "round $i"
done
wait $!
kill $bg1 $bg2
echo "stress $mode done"; tail -3 err.txt
