#!/usr/bin/env python3
"""bench/rawdump.py FILE OUTDIR: cut a memmon trace file's CHUNK sections out
(format/layout.h) and decompress them with the zstd CLI into OUTDIR/cpuN.raw
(the raw ring-buffer sub-buffers, as read from trace_pipe_raw) - input for
`zstd -b` experiments on levels and chunk sizes (see bench/README.md)."""
import os, struct, subprocess, sys

f, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
data = open(f, "rb").read()
assert data[:8] == b"MEMMONTR", "not a memmon file"
off = struct.unpack_from("<I", data, 12)[0]
raw = {}
n = 0
while off + 16 <= len(data):
    typ, crc, ln = struct.unpack_from("<IIQ", data, off)
    if typ == 5:   # CHUNK: cpu u32, nr_subbufs u32, raw_len u64, then one zstd frame
        cpu, nsub, rawlen = struct.unpack_from("<IIQ", data, off + 16)
        frame = data[off + 32: off + 16 + ln]
        r = subprocess.run(["zstd", "-dc"], input=frame, capture_output=True, check=True)
        raw.setdefault(cpu, []).append(r.stdout)
        n += 1
    off += 16 + ln
for cpu, parts in raw.items():
    open(os.path.join(out, f"cpu{cpu}.raw"), "wb").write(b"".join(parts))
print(f"{n} chunks; " + ", ".join(f"cpu{c}: {sum(map(len, p))} bytes" for c, p in sorted(raw.items())))
