# tests/kernels/initramfs.sh - build the test VM's initramfs (source it).
#
#   mm_initramfs OUT.cpio.gz KDIR
# KDIR is an unpacked kernel package (boot/, lib/modules/).  The archive
# holds busybox-static (the applets), bash, strace, GNU sort, strip, python3 with
# the modules the scripts import, memmon with the test programs and scripts
# under /memmon, every ELF's ldd closure, and the kernel's loop and ext4
# modules (the guest's /var/tmp).  The host's
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

# mm_copy_python ROOT SCRIPT...: /usr/bin/python3 and the part of its
# standard library the SCRIPTs' python snippets import (every module
# `python3 -v` loads for their "import X", "from X import" and "python3 -m X"
# lines, with runpy for -m; source
# and compiled), so the checks written in python run in the VM as on the
# host.  ~1 MB instead of the library's 54.  Fails with a reason (no
# python3 here, a module the carried one cannot import in a chroot).
mm_copy_python() {
	local root=$1 py=${MEMMON_VM_PYTHON:-/usr/bin/python3} mods f src; shift
	[ -x "$py" ] || { echo "the host has no $py to carry" >&2; return 1; }
	mods=$(sed -nE -e 's/.*python3 -c .?import ([a-zA-Z0-9_, ]+).*/\1/p' \
		-e 's/.*python3 -m ([a-zA-Z0-9_.]+).*/\1/p' \
		-e 's/^[[:space:]]*import ([a-zA-Z0-9_, .]+)$/\1/p' \
		-e 's/^[[:space:]]*from ([a-zA-Z0-9_.]+) import .*/\1/p' "$@" |
	       tr ', ' '\n\n' | grep -E '^[a-zA-Z_][a-zA-Z0-9_.]*$' | { cat; echo runpy; } | sort -u | paste -sd, -)
	mm_copy_elf "$root" "$(readlink -f "$py")" || return 1
	ln -sf "$(basename "$(readlink -f "$py")")" "$root/usr/bin/python3"
	for f in $(PYTHONDONTWRITEBYTECODE=1 "$py" -v -c "import ${mods:-sys}" 2>&1 |
		   sed -nE "s/^# code object from '([^']+)'$/\1/p; s/.* from '([^']+\.so)'$/\1/p"); do
		case $f in
		*/__pycache__/*.pyc)
			src=${f%/__pycache__/*}/$(basename "$f" | sed 's/\.cpython-[0-9]*\.pyc$/.py/')
			mkdir -p "$root$(dirname "$f")" && cp -p "$f" "$root$f" &&
			cp -pL "$src" "$root$src" || return 1 ;;
		*.so)	mm_copy_elf "$root" "$f" || return 1 ;;
		esac
	done
	# os.py: frozen in the interpreter, but its file is how python3 finds
	# its prefix (without it every run warns on stderr)
	f=$("$py" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/os.py
	mkdir -p "$root${f%/*}" && cp -pL "$f" "$root$f" || return 1
	# the proof: the carried interpreter imports them all inside the image
	# (chroot needs root; without it the VM's scripts would say so)
	[ "$(id -u)" -eq 0 ] || return 0
	err=$(chroot "$root" /usr/bin/python3 -c "import ${mods:-sys}" 2>&1) && [ -z "$err" ] && return 0
	echo "the carried python3 cannot import ${mods:-sys} inside the image: $(echo "$err" | tail -1)" >&2
	return 1
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
	# GNU sort: t-kernel sorts a 50 MB file, as on the host; strip:
	# t-stacks judges stripped copies of the test programs
	mm_copy_elf "$root" /bin/bash "$(command -v strace)" "$(command -v chrt)" \
		"$(command -v setpriv)" "$(command -v pgrep)" "$(command -v jq)" /usr/bin/sort \
		"$(command -v strip)" || return 1
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
	# test-holes: t-anon checks the recorded file's gaps with it (and
	# tests/run runs its unit tests, on tests/data/formats)
	mm_copy_elf "$root" "$top/$build/tests/test-holes" &&
	mv "$root$top/$build/tests/test-holes" "$root/memmon/$build/tests/" || return 1
	rm -rf "${root:?}$top"
	mkdir -p "$root/memmon/tests/integration" && cp "$top/tests/run" "$root/memmon/tests/" &&
	cp -r "$top/tests/kernels" "$root/memmon/tests/" &&
	cp "$top/tests/integration/lib.sh" "$root/memmon/tests/integration/" &&
	mkdir -p "$root/memmon/tests/data" && cp -r "$top/tests/data/golden" "$top/tests/data/formats" "$root/memmon/tests/data/" ||
		return 1
	for a in $(grep -v '^#' "$top/tests/kernels/vm-tests.list") $(cd "$top/tests/kernels/guest" && ls t-*.sh 2>/dev/null); do
		cp "$top/tests/integration/$a" "$root/memmon/tests/integration/" 2>/dev/null ||
		cp "$top/tests/kernels/guest/$a" "$root/memmon/tests/integration/" || return 1
	done
	# python3: carried and proved in the image (every module the scripts
	# import, loaded by the carried interpreter in a chroot); where it cannot
	# be, the scripts that call it stay out and are listed in OUT.skipped
	: >"$out.skipped"
	if ! mm_copy_python "$root" "$root"/memmon/tests/integration/t-*.sh 2>"$out.python.err"; then
		for a in $(grep -l python3 "$root"/memmon/tests/integration/t-*.sh); do
			echo "${a##*/} needs python3: $(tail -1 "$out.python.err")" >>"$out.skipped"
			rm -f "$a"
		done
	fi
	cp "$top/tests/kernels/guest/init" "$root/init"
	# modules: as the package ships them (none is compressed in Debian 12)
	for a in loop crc16 mbcache jbd2 crc32c_generic ext4; do
		find "$kdir/lib/modules" -name "$a.ko" -exec sh -c \
			'mkdir -p "$1/lib/modules" && cp "$2" "$1/lib/modules/"' _ "$root" {} \;
	done
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out" || return 1
	rm -rf "$root"
}
