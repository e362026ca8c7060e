# tests/kernels/guest/watchdog.sh FILE SECONDS: while FILE (the job's output)
# has not grown for SECONDS, print what every task is doing to the console
# (ps, then the kernel's blocked-task and all-task dumps via sysrq), once per
# stall: a hung VM then says where it hangs before the host's timeout.
f=$1 quiet=$2 last=-1 said=0
while sleep "$quiet"; do
	n=$(wc -c <"$f" 2>/dev/null || echo 0)
	if [ "$n" = "$last" ]; then
		[ "$said" = 1 ] && continue
		said=1
		echo "memmon-vm: no output for ${quiet} s; tasks:"
		ps -o pid,ppid,stat,time,args
		for p in /proc/[0-9]*; do
			case $(cat $p/comm 2>/dev/null) in memmon|bash|anon-touch|fault-mix|forker|churn|sleep)
				echo "--- ${p#/proc/} $(cat $p/comm) $(tr '\0' ' ' <$p/cmdline | cut -c1-80)"
				cat $p/stack 2>/dev/null | head -12 ;;
			esac
		done
		echo w >/proc/sysrq-trigger
	else
		said=0
	fi
	last=$n
done
