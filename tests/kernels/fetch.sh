# tests/kernels/fetch.sh - Debian's kernel packages, unpacked (source it).
#
#   mm_kernel_fetch FLAVOUR     e.g. amd64, cloud-amd64, rt-amd64
# Sets KPKG (package name), KDIR (unpacked tree), KIMG (vmlinuz) and KREL
# (its release) or returns 1 with the reason in KWHY.  The package is the
# one the archive's metapackage (linux-image-FLAVOUR) depends on now, i.e.
# the newest; it is fetched with apt-get download into the cache (not in
# git, never installed) and unpacked with dpkg-deb -x.  Without apt or the
# network an already cached package of that flavour is used.
MM_KCACHE=${MEMMON_KERNEL_CACHE:-/var/cache/memmon-kernels}

mm_kernel_fetch() {
	local flavour=$1 deb
	KPKG= KDIR= KIMG= KREL= KWHY=
	KPKG=$(apt-cache depends "linux-image-$flavour" 2>/dev/null |
	       sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
	mkdir -p "$MM_KCACHE" || { KWHY="cannot create $MM_KCACHE"; return 1; }
	if [ -n "$KPKG" ] && ! ls "$MM_KCACHE/${KPKG}_"*.deb >/dev/null 2>&1; then
		(cd "$MM_KCACHE" && apt-get download -q "$KPKG" >"$MM_KCACHE/$KPKG.log" 2>&1)
	fi
	if [ -n "$KPKG" ]; then
		deb=$(ls "$MM_KCACHE/${KPKG}_"*.deb 2>/dev/null | sort -V | tail -1)
	else	# apt knows no such metapackage: the newest cached one
		deb=$(ls "$MM_KCACHE"/linux-image-[0-9]*-"${flavour}"_*.deb 2>/dev/null | sort -V | tail -1)
		KPKG=$(basename "${deb%%_*}")
	fi
	if [ -z "$deb" ]; then
		KWHY="cannot get linux-image-$flavour (apt-get download failed: $(tail -1 "$MM_KCACHE/$KPKG.log" 2>/dev/null))"
		return 1
	fi
	KDIR=$MM_KCACHE/$KPKG
	if [ ! -d "$KDIR/boot" ]; then
		rm -rf "$KDIR.tmp" && mkdir -p "$KDIR.tmp" &&
		dpkg-deb -x "$deb" "$KDIR.tmp" && mv "$KDIR.tmp" "$KDIR" ||
		{ KWHY="cannot unpack $deb"; return 1; }
	fi
	KIMG=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -1)
	KREL=${KIMG##*/vmlinuz-}
	[ -n "$KIMG" ] || { KWHY="no vmlinuz in $deb"; return 1; }
}
