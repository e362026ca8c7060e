#!/usr/bin/env python3
# tc-page.py: the ring pages of a trace-cmd file (format 6 or 7), and one
# of them patched, for t-tracecmd.sh and the kept fuzz inputs.
#
#   tc-page.py list FILE                  one line a CPU with data:
#                                         buffer cpu compressed chunks pages
#   tc-page.py first-of FILE I            the index of the first page of the
#                                         Ith chunk (0: the first) of the CPU
#                                         with the most pages
#   tc-page.py set-date FILE OUT HEX      OUT = FILE (format 7) with its VERSION
#                                         option turned into a DATE option of
#                                         HEX microseconds (trace-cmd record
#                                         --date itself stops and clears every
#                                         instance of the machine, 50 times)
#   tc-page.py patch FILE OUT N HOW       OUT = FILE with the Nth page of the
#                                         CPU with the most pages broken:
#                                         prints "buffer=B cpu=C offset=O chunk=I
#                                         at=K" (O: the page's file offset, or
#                                         its chunk's; K: the page's offset in
#                                         the chunk decompressed)
#
# HOW: commit (a commit length past the page), loop (a padding event whose
# length sends kbuffer's walk back onto itself), short (a data event whose
# length is shorter than its own field), past (a data event that runs past
# the commit), lost (missed events stored past the page's end).
#
# A compressed page's chunk is decompressed and compressed again with the
# zstd command, at a higher level than trace-cmd's, and padded to its old
# size with a zstd skippable frame, so nothing else in the file moves.
import struct, subprocess, sys


class TC:
    def __init__(self, path):
        self.b = bytearray(open(path, "rb").read())
        b = self.b
        assert b[:10] == b"\027\010\104tracing", "not a trace-cmd file"
        self.ver = b[10:12]
        self.e = ">" if b[12] else "<"
        self.long = b[13]
        self.page = self.u(14, 4)
        self.hdr = 8 + self.long
        self.cpus = []       # (buffer, cpu, offset, size, compressed)
        if self.ver == b"6\0":
            self.v6()
        else:
            self.v7()

    def u(self, off, n):
        return int.from_bytes(self.b[off:off + n], "big" if self.e == ">" else "little")

    def cstr(self, off):
        end = self.b.index(0, off)
        return self.b[off:end].decode(), end + 1

    # ---- format 6: everything in a row, then options and flyrecord
    def v6(self):
        o = 18
        for name in ("header_page", "header_event"):
            _, o = self.cstr(o)
            o += 8 + self.u(o, 8)
        n = self.u(o, 4); o += 4
        for _ in range(n):
            o += 8 + self.u(o, 8)
        systems = self.u(o, 4); o += 4
        for _ in range(systems):
            _, o = self.cstr(o)
            n = self.u(o, 4); o += 4
            for _ in range(n):
                o += 8 + self.u(o, 8)
        o += 4 + self.u(o, 4)          # kallsyms
        o += 4 + self.u(o, 4)          # printk
        o += 8 + self.u(o, 8)          # cmdlines
        self.ncpus = self.u(o, 4); o += 4
        self.v6_data(o, "")

    def v6_data(self, o, buf):
        tag = self.b[o:o + 10]; o += 10
        if tag == b"options  \0":
            while True:
                id_ = self.u(o, 2); o += 2
                if id_ == 0:
                    break
                ln = self.u(o, 4); o += 4
                if id_ == 3:                       # BUFFER: offset, name
                    name, _ = self.cstr(o + 8)
                    self.v6_data(self.u(o, 8), name)
                o += ln
            tag = self.b[o:o + 10]; o += 10
        assert tag == b"flyrecord\0", tag
        for c in range(self.ncpus):
            self.cpus.append((buf, c, self.u(o, 8), self.u(o + 8, 8), False))
            o += 16

    # ---- format 7: sections, the options chain from the header
    def v7(self):
        o = 18
        comp, o = self.cstr(o)
        _, o = self.cstr(o)
        self.comp = comp != "none"
        opt = self.u(o, 8)
        while opt:
            size = self.u(opt + 8, 8)
            o, end, opt = opt + 16, opt + 16 + size, 0
            while o < end:
                id_, ln = self.u(o, 2), self.u(o + 2, 4)
                d = o + 6
                if id_ == 0:
                    opt = self.u(d, 8)
                    break
                if id_ == 9:
                    self.version_opt = (o, ln)
                if id_ == 3:
                    sec = self.u(d, 8)
                    name, p = self.cstr(d + 8)
                    _, p = self.cstr(p)
                    n = self.u(p + 4, 4); p += 8
                    flags = self.u(sec + 2, 2)
                    for _ in range(n):
                        self.cpus.append((name, self.u(p, 4), self.u(p + 4, 8),
                                          self.u(p + 12, 8), bool(flags & 1)))
                        p += 20
                o = d + ln

    # ---- the pages of one CPU: (file offset, chunk index or None, offset in chunk)
    def chunks(self, off):
        n, o, out = self.u(off, 4), off + 4, []
        for _ in range(n):
            zlen, raw = self.u(o, 4), self.u(o + 4, 4)
            out.append((o, zlen, raw))
            o += 8 + zlen
        return out

    def pages(self, c):
        buf, cpu, off, size, comp = c
        if not size:
            return []
        if not comp:
            return [(off + k, None, 0) for k in range(0, size, self.page)]
        out = []
        for i, (o, zlen, raw) in enumerate(self.chunks(off)):
            out += [(o, i, k) for k in range(0, raw, self.page)]
        return out


def unzstd(data):
    return subprocess.run(["zstd", "-d", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def rezstd(data, room):
    z = subprocess.run(["zstd", "-19", "-q", "-c", "--no-check"], input=data,
                       stdout=subprocess.PIPE, check=True).stdout
    if len(z) + 8 > room:
        sys.exit(f"tc-page.py: the patched chunk takes {len(z)} bytes compressed, "
                 f"its room {room}")
    pad = room - len(z) - 8
    return z + struct.pack("<II", 0x184D2A50, pad) + bytes(pad)


def patch_page(t, p, how):
    """Break the page at P (bytes of one page, header first) the HOW way."""
    e, L, h = t.e, t.long, t.hdr
    lf = "Q" if L == 8 else "I"
    commit = int.from_bytes(p[8:8 + L], "big" if e == ">" else "little") & ((1 << 27) - 1)
    assert commit >= 16, "a page without events to break"
    tl = (lambda t_: t_ << 27) if e == ">" else (lambda t_: t_)
    if how == "commit":
        p[8:8 + L] = struct.pack(e + lf, t.page * 4)
    elif how == "lost":
        p[8:8 + L] = struct.pack(e + lf, (1 << 31) | (1 << 30) | (t.page - h - 4))
    elif how == "loop":          # padding of length -4: next = itself
        p[h:h + 8] = struct.pack(e + "II", tl(29), 0xFFFFFFFC)
    elif how == "short":
        p[h:h + 8] = struct.pack(e + "II", tl(0), 1)
    elif how == "past":
        p[h:h + 8] = struct.pack(e + "II", tl(0), commit + 64)
    else:
        sys.exit(f"tc-page.py: no way '{how}'")


def main():
    t = TC(sys.argv[2])
    if sys.argv[1] == "list":
        for c in t.cpus:
            if c[3]:
                ch = len(t.chunks(c[2])) if c[4] else 0
                print(f"buffer={c[0] or '-'} cpu={c[1]} compressed={int(c[4])} chunks={ch} "
                      f"pages={len(t.pages(c))}")
        return
    if sys.argv[1] == "set-date":
        o, ln = t.version_opt
        text = sys.argv[4].encode() + b"\0"
        assert len(text) <= ln, "the VERSION option is too short for that date"
        t.b[o:o + 2] = (1).to_bytes(2, "big" if t.e == ">" else "little")
        t.b[o + 6:o + 6 + ln] = text + bytes(ln - len(text))
        open(sys.argv[3], "wb").write(t.b)
        return
    c = max(t.cpus, key=lambda c: len(t.pages(c)))
    pages = t.pages(c)
    if sys.argv[1] == "first-of":
        i = int(sys.argv[3])
        print(next((n for n, p in enumerate(pages) if p[1] == i), "none"))
        return
    out, n, how = sys.argv[3], int(sys.argv[4]), sys.argv[5]
    if n >= len(pages):
        sys.exit(f"tc-page.py: CPU {c[1]} has {len(pages)} pages, no page {n}")
    off, chunk, k = pages[n]
    if chunk is None:
        p = t.b[off:off + t.page]
        patch_page(t, p, how)
        t.b[off:off + len(p)] = p
    else:
        o, zlen, raw = t.chunks(c[2])[chunk]
        data = bytearray(unzstd(bytes(t.b[o + 8:o + 8 + zlen])))
        assert len(data) == raw
        p = data[k:k + t.page]
        patch_page(t, p, how)
        data[k:k + len(p)] = p
        t.b[o + 8:o + 8 + zlen] = rezstd(bytes(data), zlen)
    open(out, "wb").write(t.b)
    print(f"buffer={c[0] or '-'} cpu={c[1]} offset={off} chunk={'-' if chunk is None else chunk} "
          f"at={k}")


main()
