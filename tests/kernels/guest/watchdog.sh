# tests/kernels/guest/watchdog.sh FILE SECONDS: while FILE (the job's output)
# has not grown for SECONDS, print what every task is doing to the console
# (each user task's state, wait channel and kernel stack, then the kernel's
# blocked-task dump via sysrq), once per
# stall: a hung VM then says where it hangs before the host's timeout.
f=$1 quiet=$2 last=-1 said=0
while sleep "$quiet"; do
	n=$(wc -c <"$f" 2>/dev/null || echo 0)
	if [ "$n" = "$last" ]; then
		[ "$said" = 1 ] && continue
		said=1
		echo "memmon-vm: no output for ${quiet} s; tasks:"
		# every user task (kernel threads have no cmdline): state, where
		# it waits, its kernel stack
		for p in /proc/[0-9]*; do
			[ -s $p/cmdline ] || continue
			echo "--- ${p#/proc/} ppid $(sed -n 's/^PPid:\t*//p' $p/status 2>/dev/null)" \
				"$(sed -n 's/^State:\t*//p' $p/status 2>/dev/null) wchan $(cat $p/wchan 2>/dev/null):" \
				"$(tr '\0' ' ' <$p/cmdline | cut -c1-100)"
			cat $p/stack 2>/dev/null | head -8
		done
		echo w >/proc/sysrq-trigger
	else
		said=0
	fi
	last=$n
done
