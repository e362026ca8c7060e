# The kernel patching its own code while untraced programs fault, with or
# without memmon: a reproducer that tells a kernel or qemu problem from
# memmon's (MEMMON_VM_JOB=toggle MEMMON_VM_APPEND="memmon.toggle=MODE").
# For memmon.secs (default 120) seconds, two anon-touch loops fault all the
# time while MODE switches:
#   schedstats  a static key outside tracing (kernel.sched_schedstats: jump
#               labels in the scheduler), no tracing at all
#   tracepoint  page_fault_user and rss_stat on and off in an instance
#               (their static keys and static calls), no memmon
#   instance    an instance made, those events enabled, the instance
#               removed: record's start and teardown, no memmon
#   kprobe      a kprobe on do_swap_page and one on __do_fault defined,
#               enabled in an instance, disabled, removed, no memmon
#   memmon      memmon record -- anon-touch 500, back to back
# It ends with "toggle MODE: N rounds in S s" (a crash panics the VM first).
# (memmon's build directory in the image is the host's MEMMON_BUILD)
TR=/sys/kernel/tracing M=$(ls /memmon/*/memmon | head -1); P=${M%/memmon}/tests/progs
mode=schedstats secs=120
for w in $(cat /proc/cmdline); do
	case $w in memmon.toggle=*) mode=${w#memmon.toggle=} ;; memmon.secs=*) secs=${w#memmon.secs=} ;; esac
done
cd /tmp
( while :; do $P/anon-touch 2000 >/dev/null; done ) & bg1=$!
( while :; do $P/anon-touch 2000 >/dev/null; done ) & bg2=$!
t0=$(cut -d' ' -f1 /proc/uptime)
end=$(awk -v t="$t0" -v s="$secs" 'BEGIN { print t + s }')
n=0
while awk -v e="$end" -v now="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { exit !(now < e) }'; do
	case $mode in
	schedstats)
		echo 1 >/proc/sys/kernel/sched_schedstats; echo 0 >/proc/sys/kernel/sched_schedstats ;;
	tracepoint)
		mkdir -p $TR/instances/toggle
		for e in exceptions/page_fault_user kmem/rss_stat; do echo 1 >$TR/instances/toggle/events/$e/enable; done
		for e in exceptions/page_fault_user kmem/rss_stat; do echo 0 >$TR/instances/toggle/events/$e/enable; done ;;
	instance)
		mkdir $TR/instances/toggle
		for e in exceptions/page_fault_user kmem/rss_stat; do echo 1 >$TR/instances/toggle/events/$e/enable; done
		echo 1 >$TR/instances/toggle/tracing_on
		rmdir $TR/instances/toggle ;;
	kprobe)
		echo 'p:toggle/swap do_swap_page' >>$TR/kprobe_events
		echo 'p:toggle/fault __do_fault' >>$TR/kprobe_events
		mkdir -p $TR/instances/toggle
		echo 1 >$TR/instances/toggle/events/toggle/enable
		echo 0 >$TR/instances/toggle/events/toggle/enable
		echo '-:toggle/swap' >>$TR/kprobe_events; echo '-:toggle/fault' >>$TR/kprobe_events ;;
	memmon)
		$M record -q -o m.dat -- $P/anon-touch 500 >/dev/null 2>>err.txt ;;
	*)	echo "toggle: unknown mode $mode"; break ;;
	esac
	n=$((n + 1))
done
kill $bg1 $bg2
echo "toggle $mode: $n rounds in $(awk -v t="$t0" -v now="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", now - t }') s"
