# The VM's test job: tests/run over the scripts the initramfs carries
# (vm-tests.list and tests/kernels/guest/t-*.sh), as on the host, with each
# script's wall time; a script still running after 8 minutes is stopped
# and failed, so that a hang costs one script, not the VM's results.  Traces the guest tests keep for the host's comparison
# go to /out/traces.
export MEMMON_BUILD=build MEMMON=/memmon/build/memmon MEMMON_PROGS=/memmon/build/tests/progs
export MEMMON_TOP=/memmon MEMMON_OUT=/out/traces MEMMON_RUN_TIMES=1 MEMMON_RUN_TIMEOUT=480
mkdir -p "$MEMMON_OUT"
"$MEMMON" list >/out/list.txt 2>&1
uname -r >/out/uname.txt
tests/run
