"""bench/xform_experiment.py RAW OUT: prototype of a reversible pre-compression
transform for raw ring-buffer data (memmon chunk payloads, 4 KiB sub-buffers):
each event payload minus the previous payload of the same event type (u64
words, tail bytes XOR), state reset every 256 sub-buffers (a 1 MiB chunk).
Compare `zstd -b1 -B1M RAW` with `zstd -b1 -B1M OUT` (see RESULTS.md notes)."""
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, 'rb').read())
PG = 4096
prev = {}
out = bytearray(data)
nev = 0
M = (1 << 64) - 1
for base in range(0, len(data), PG):
    if base % (256 * PG) == 0: prev = {}
    commit = struct.unpack_from('<Q', data, base + 8)[0] & ((1 << 30) - 1)
    off = base + 16
    end = off + commit
    while off < end:
        h = struct.unpack_from('<I', data, off)[0]
        tl = h & 31
        if tl == 29:
            ln = struct.unpack_from('<I', data, off + 4)[0]
            off += 4 + ln if ln else 4
            continue
        if tl in (30, 31):
            off += 8
            continue
        if tl == 0:
            ln = struct.unpack_from('<I', data, off + 4)[0] - 4
            p = off + 8
        else:
            ln = tl * 4
            p = off + 4
        typ = struct.unpack_from('<H', data, p)[0]
        pv = prev.get(typ)
        cur = bytes(data[p:p + ln])
        if pv is not None and len(pv) == ln:
            i = 0
            while i + 8 <= ln:
                a = struct.unpack_from('<Q', cur, i)[0]; b = struct.unpack_from('<Q', pv, i)[0]
                struct.pack_into('<Q', out, p + i, (a - b) & M)
                i += 8
            while i < ln:
                out[p + i] = cur[i] ^ pv[i]; i += 1
            struct.pack_into('<H', out, p, typ)   # keep type readable
        prev[typ] = cur
        nev += 1
        off = p + ln
open(dst, 'wb').write(out)
print(nev, "events")
