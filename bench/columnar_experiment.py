"""bench/columnar_experiment.py RAW [delta]: size estimate of a columnar chunk
layout for raw ring-buffer data: event headers (and sub-buffer headers) in one
stream, each event type's payloads in its own stream (optionally delta-coded
against the previous event of the type), each stream zstd -1 compressed
(zstd CLI).  Prints bytes per stream and B/event (see RESULTS.md notes)."""
import struct, sys, subprocess, collections
data = open(sys.argv[1],'rb').read()
PG=4096; M=(1<<64)-1
streams=collections.defaultdict(bytearray); hdr=bytearray(); prev={}
cnt=collections.Counter()
delta = len(sys.argv)>2
for base in range(0,len(data),PG):
    commit=struct.unpack_from('<Q',data,base+8)[0]&((1<<30)-1)
    off=base+16; end=off+commit
    hdr += data[base:base+16]
    while off<end:
        h=struct.unpack_from('<I',data,off)[0]; tl=h&31
        if tl==29:
            ln=struct.unpack_from('<I',data,off+4)[0]; off+=4+ln if ln else 4; continue
        if tl in(30,31): hdr+=data[off:off+8]; off+=8; continue
        if tl==0: ln=struct.unpack_from('<I',data,off+4)[0]-4; p=off+8; hdr+=data[off:off+8]
        else: ln=tl*4; p=off+4; hdr+=data[off:off+4]
        typ=struct.unpack_from('<H',data,p)[0]; cur=data[p:p+ln]
        out=bytearray(cur)
        pv=prev.get(typ)
        if delta and pv is not None and len(pv)==ln:
            for i in range(0,ln-7,8):
                struct.pack_into('<Q',out,i,(struct.unpack_from('<Q',cur,i)[0]-struct.unpack_from('<Q',pv,i)[0])&M)
        prev[typ]=cur
        streams[typ]+=out; cnt[typ]+=1
        off=p+ln
def z(b):
    return len(subprocess.run(['zstd','-1','-c'],input=bytes(b),capture_output=True).stdout)
tot=0
print('headers', len(hdr), z(hdr)); tot+=z(hdr)
for t,b in sorted(streams.items(), key=lambda x:-len(x[1])):
    c=z(b); tot+=c
    print(f"type {t}: {cnt[t]} events, {len(b)//max(cnt[t],1)} B each, raw {len(b)}, zstd-1 {c}, {c/cnt[t]:.2f} B/ev")
print('total', tot, 'B/ev', tot/sum(cnt.values()))
