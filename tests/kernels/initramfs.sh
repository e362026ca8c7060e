# tests/kernels/initramfs.sh - build the test VM's initramfs (source it).
#
#   mm_initramfs OUT.cpio.gz KDIR
# KDIR is an unpacked kernel package (boot/, lib/modules/).  The archive
# holds busybox-static (the applets), bash, strace, memmon with the test
# programs and scripts under /memmon, every ELF's ldd closure, and the
# kernel's loop and ext4 modules (the guest's /var/tmp).  The host's
# merged-/usr layout is kept, so ldd's paths are valid inside.

# mm_copy_elf ROOT FILE...: FILE and its shared libraries into ROOT
mm_copy_elf() {
	local root=$1 f lib; shift
	for f in "$@"; do
		# rm first: a busybox applet link there would be written through
		mkdir -p "$root$(dirname "$f")" && rm -f "$root$f" && cp -L "$f" "$root$f" || return 1
		for lib in $(ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || return 1
		done
	done
}

mm_initramfs() {
	local out=$1 kdir=$2 root a
	local top=${MEMMON_TOP:?} build=${MEMMON_BUILD:-build}
	root=$(mktemp -d "${out%/*}/root.XXXXXX") && chmod 755 "$root" || return 1
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{proc,sys,dev,tmp,var/tmp,root,etc,out,memmon}
	ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
	cp /bin/busybox "$root/usr/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ -e "$root/usr/bin/$a" ] || ln -s busybox "$root/usr/bin/$a"
	done
	rm -f "$root/usr/bin/bash"
	mm_copy_elf "$root" /bin/bash "$(command -v strace)" "$(command -v chrt)" \
		"$(command -v setpriv)" "$(command -v pgrep)" "$(command -v jq)" || return 1
	echo "root:x:0:0:root:/root:/bin/bash" >"$root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh" >>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	# memmon, the test programs and the scripts, at the paths tests/run uses
	mkdir -p "$root/memmon/$build/tests/progs" "$root/memmon/tests"
	mm_copy_elf "$root" "$top/$build/memmon" || return 1
	mv "$root$top/$build/memmon" "$root/memmon/$build/memmon"
	for a in "$top/$build"/tests/progs/*; do
		mm_copy_elf "$root" "$a" && mv "$root$a" "$root/memmon/$build/tests/progs/" || return 1
	done
	rm -rf "${root:?}$top"
	mkdir -p "$root/memmon/tests/integration" && cp "$top/tests/run" "$root/memmon/tests/" &&
	cp -r "$top/tests/kernels" "$root/memmon/tests/" &&
	cp "$top/tests/integration/lib.sh" "$root/memmon/tests/integration/" &&
	mkdir -p "$root/memmon/tests/data" && cp -r "$top/tests/data/golden" "$root/memmon/tests/data/" ||
		return 1
	for a in $(grep -v '^#' "$top/tests/kernels/vm-tests.list") $(cd "$top/tests/kernels/guest" && ls t-*.sh 2>/dev/null); do
		cp "$top/tests/integration/$a" "$root/memmon/tests/integration/" 2>/dev/null ||
		cp "$top/tests/kernels/guest/$a" "$root/memmon/tests/integration/" || return 1
	done
	cp "$top/tests/kernels/guest/init" "$root/init"
	# modules: as the package ships them (none is compressed in Debian 12)
	for a in loop crc16 mbcache jbd2 crc32c_generic ext4; do
		find "$kdir/lib/modules" -name "$a.ko" -exec sh -c \
			'mkdir -p "$1/lib/modules" && cp "$2" "$1/lib/modules/"' _ "$root" {} \;
	done
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out" || return 1
	rm -rf "$root"
}
