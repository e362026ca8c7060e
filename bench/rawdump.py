#!/usr/bin/env python3
"""bench/rawdump.py FILE OUTDIR: cut a memmon trace file's CHUNK sections out
(format 2.x or 3.x, format/layout.h) and decompress them with the zstd CLI:
input for `zstd -b` experiments on levels and layouts (see bench/README.md).

Codec 0 (raw) and 1 (delta) chunks go to OUTDIR/cpuN.raw, as zstd saw them
(so delta-coded for codec 1).  Codec 2 (columns) chunks go to
OUTDIR/cpuN.sK.raw, one file per stream K (format/columns.h names them),
each the concatenation of that stream over the CPU's chunks.  The codec of
every chunk is counted in the last line."""
import collections, os, struct, subprocess, sys

STREAMS = 11   # MM_COLUMNS_STREAMS

def unzstd(frame):
    return subprocess.run(["zstd", "-dc"], input=frame, capture_output=True,
                          check=True).stdout

f, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
data = open(f, "rb").read()
assert data[:8] == b"MEMMONTR", "not a memmon file"
assert struct.unpack_from("<H", data, 8)[0] in (2, 3), "not a format 2.x/3.x file"
off = struct.unpack_from("<I", data, 12)[0]
parts, codecs = collections.defaultdict(list), collections.Counter()
while off + 16 <= len(data):
    typ, flags, crc, ln = struct.unpack_from("<HHIQ", data, off)
    if typ == 5:   # CHUNK: cpu u32, nr_subbufs u32, raw_len u64, codec u32, reserved u32, payload
        cpu, nsub, rawlen, codec, _ = struct.unpack_from("<IIQII", data, off + 16)
        body = data[off + 16 + 24: off + 16 + ln]
        codecs[codec] += 1
        if codec != 2:
            parts[f"cpu{cpu}.raw"].append(unzstd(body))
        else:
            sizes = struct.unpack_from(f"<{2 * STREAMS}I", body, 0)
            zo = 8 * STREAMS
            for k in range(STREAMS):
                stored = sizes[STREAMS + k]
                if stored:
                    parts[f"cpu{cpu}.s{k}.raw"].append(unzstd(body[zo:zo + stored]))
                zo += stored
    off += 16 + ln
for name, p in sorted(parts.items()):
    open(os.path.join(out, name), "wb").write(b"".join(p))
print(f"{sum(codecs.values())} chunks (codecs {dict(codecs)}); " +
      ", ".join(f"{n}: {sum(map(len, p))} bytes" for n, p in sorted(parts.items())))
