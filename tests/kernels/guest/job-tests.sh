# The VM's test job: tests/run over the scripts the initramfs carries
# (vm-tests.list and tests/kernels/guest/t-*.sh), as on the host.  Traces
# the guest tests keep for the host's comparison go to /out/traces.
export MEMMON_BUILD=build MEMMON=/memmon/build/memmon MEMMON_PROGS=/memmon/build/tests/progs
export MEMMON_TOP=/memmon MEMMON_OUT=/out/traces
mkdir -p "$MEMMON_OUT"
"$MEMMON" list >/out/list.txt 2>&1
uname -r >/out/uname.txt
tests/run
