#!/usr/bin/env python3
"""bench/rawdump.py FILE OUTDIR: cut a memmon trace file's CHUNK sections out
(format 2.x, format/layout.h) and decompress them with the zstd CLI into
OUTDIR/cpuN.raw - input for `zstd -b` experiments on levels and layouts (see
bench/README.md).  Chunks stored with codec 1 (delta) come out delta-coded,
i.e. as zstd saw them; codec 0 chunks come out as raw ring-buffer
sub-buffers.  The codec of every chunk is counted in the last line."""
import collections, os, struct, subprocess, sys

f, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
data = open(f, "rb").read()
assert data[:8] == b"MEMMONTR", "not a memmon file"
assert struct.unpack_from("<H", data, 8)[0] == 2, "not a format 2.x file"
off = struct.unpack_from("<I", data, 12)[0]
raw, codecs = {}, collections.Counter()
while off + 16 <= len(data):
    typ, flags, crc, ln = struct.unpack_from("<HHIQ", data, off)
    if typ == 5:   # CHUNK: cpu u32, nr_subbufs u32, raw_len u64, codec u32, reserved u32, zstd frame
        cpu, nsub, rawlen, codec, _ = struct.unpack_from("<IIQII", data, off + 16)
        frame = data[off + 16 + 24: off + 16 + ln]
        r = subprocess.run(["zstd", "-dc"], input=frame, capture_output=True, check=True)
        raw.setdefault(cpu, []).append(r.stdout)
        codecs[codec] += 1
    off += 16 + ln
for cpu, parts in raw.items():
    open(os.path.join(out, f"cpu{cpu}.raw"), "wb").write(b"".join(parts))
print(f"{sum(codecs.values())} chunks (codecs {dict(codecs)}); " +
      ", ".join(f"cpu{c}: {sum(map(len, p))} bytes" for c, p in sorted(raw.items())))
