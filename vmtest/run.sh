#!/usr/bin/env bash
# make vmtest: the sensor on Debian's own kernels, in qemu guests (vmtest/README.md).
#
#   vmtest/run.sh [--rarenet PATH] [--kernels "META ..."] [--only probes|systemd]
#
# 1. Fetches each kernel of the matrix as a Debian package (the newest that
#    each metapackage of $VMTEST_KERNELS depends on) into the cache.
# 2. Probe guests: boots each kernel with a busybox initramfs holding the
#    sensor, its libraries and the workload (vmtest/guest/probe-init.sh), and
#    runs the workload under `rarenet record` in kprobe, tracepoint and auto
#    mode.
# 3. The systemd guest: boots the first kernel on a Debian root made with
#    debootstrap (built once, cached), installs the sensor with the Makefile's
#    install steps and runs the shipped unit (vmtest/guest/systemd-test.sh).
# 4. Checks what the guests sent back (vmtest/check.py): a table of pass/fail
#    per check, kernel and mode. The exit status is 0 only if every check passed.
#
# Cached between runs, outside the repository, in $VMTEST_CACHE
# (/var/cache/rarenet-vmtest): the kernel packages and the Debian root. The
# initramfs images are rebuilt each run (they hold this build's binary) under
# .build/vmtest, where the guests' results also land.
set -euo pipefail
cd "$(dirname "$0")/.."

RARENET=.build/debug/rarenet
CACHE=${VMTEST_CACHE:-/var/cache/rarenet-vmtest}
KERNELS=${VMTEST_KERNELS:-linux-image-amd64 linux-image-6.12-amd64}
ONLY=
WORK=$PWD/.build/vmtest
# A guest that has not powered off by then has hung: its console log says
# where. (Measured under TCG on 2 loaded cores: a probe guest ~30 s, the
# systemd guest ~2 min.)
GUEST_TIMEOUT=${VMTEST_GUEST_TIMEOUT:-480}

while [ $# -gt 0 ]; do
	case "$1" in
	--rarenet) RARENET=$2; shift 2 ;;
	--kernels) KERNELS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	*) echo "vmtest: unknown argument $1" >&2; exit 2 ;;
	esac
done

log() { printf 'vmtest: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

# Root is needed for debootstrap (the systemd guest's root) and for the cache
# in /var/cache. Without it the stage is skipped, unless CI or
# RARENET_REQUIRE_PRIVILEGED=1 forbids skipping (the rule of the other root tests).
if [ "$(id -u)" != 0 ]; then
	if [ "${RARENET_REQUIRE_PRIVILEGED:-}" = 1 ] || [ "${CI:-}" = true ]; then
		fail "the VM tests need root, and RARENET_REQUIRE_PRIVILEGED=1 / CI=true forbids skipping them"
	fi
	log "skipped: needs root (set RARENET_REQUIRE_PRIVILEGED=1 to fail instead)"
	exit 0
fi
[ -x "$RARENET" ] || fail "$RARENET is missing: build it first (swift build --build-tests)"

# KVM only where the host has hardware virtualisation; a /dev/kvm without it
# (a software virtualiser) cannot run a stock kernel, and TCG can.
accelerator() {
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -q -w -E 'vmx|svm' /proc/cpuinfo; then
		echo kvm
	else
		echo tcg
	fi
}
ACCEL=${VMTEST_ACCEL:-$(accelerator)}
if [ "$ACCEL" = kvm ]; then QEMU_CPU=host; else QEMU_CPU=max; fi

# ---- the cache ----------------------------------------------------------------

# Runs COMMAND holding the cache's lock NAME: runs from two work trees of one
# machine share the cache, and must not build the same entry at once (one's
# clean-up would remove the other's half-built tree). Entries are complete
# before they are visible (a stamp, or a rename), so using them needs no lock.
with_cache_lock() { # NAME COMMAND...
	local name=$1
	shift
	( flock 9 && "$@" ) 9> "$CACHE/.$name.lock"
}

# Removes the tree DIR, first unmounting whatever is mounted inside it (a
# debootstrap killed midway leaves the target's /proc mounted), and never
# crossing into another file system.
remove_tree() { # DIR
	local mount
	[ -e "$1" ] || return 0
	for mount in $(awk -v dir="$(realpath "$1")/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$mount" || fail "cannot unmount $mount, left inside $1"
	done
	rm -rf --one-file-system "$1"
}

# ---- kernels ------------------------------------------------------------------

# At most one `apt-get update` per run (a file, not a variable: the callers
# run in command substitutions, which are subshells).
apt_update_once() {
	[ -e "$WORK/.apt-updated" ] && return 0
	log "apt-get update"
	apt-get update -qq || fail "apt-get update failed"
	touch "$WORK/.apt-updated"
}

# The kernel image package a metapackage depends on now, e.g.
# linux-image-amd64 -> linux-image-6.1.0-57-amd64.
resolve_kernel_package() { # META
	local package
	package=$(apt-cache depends "$1" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [ -z "$package" ]; then
		apt_update_once
		package=$(apt-cache depends "$1" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	fi
	[ -n "$package" ] || fail "cannot resolve kernel metapackage $1 (apt-cache depends $1 names no linux-image package)"
	echo "$package"
}

# Fetches PACKAGE (once: its extracted tree stays in the cache) and prints
# the directory it was extracted to. A package that cannot be fetched fails
# the run: a kernel of the matrix is never skipped.
fetch_kernel() { # PACKAGE
	local package=$1 dir=$CACHE/kernels/$1
	if [ ! -e "$dir/.complete" ]; then
		log "fetching $package"
		rm -rf "$dir" && mkdir -p "$dir/deb"
		if ! (cd "$dir/deb" && apt-get download -q "$package" >/dev/null 2>&1); then
			apt_update_once
			(cd "$dir/deb" && apt-get download -q "$package" >&2) ||
				fail "cannot fetch kernel package $package (apt-get download failed)"
		fi
		dpkg-deb -x "$dir"/deb/*.deb "$dir/root" || fail "cannot extract $package"
		rm -rf "$dir/deb"
		touch "$dir/.complete"
	fi
	echo "$dir/root"
}

# ---- images ---------------------------------------------------------------------

# Copies FILE and every shared library it needs (ldd) into ROOT at their own paths.
copy_with_libraries() { # ROOT FILE [AS]
	local root=$1 file=$2 as=${3:-$2} library
	mkdir -p "$root$(dirname "$as")"
	cp "$file" "$root$as"
	for library in $(ldd "$file" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
		[ -e "$root$library" ] && continue
		mkdir -p "$root$(dirname "$library")"
		cp -L "$library" "$root$library"
	done
}

# An uncompressed newc cpio of DIR: under TCG, the kernel unpacks it faster
# than it would decompress it.
make_cpio() { # DIR OUTPUT
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) > "$2"
}

build_workload() {
	mkdir -p "$WORK"
	gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/workload" vmtest/workload.c
}

# The probe guest's initramfs: busybox, the sensor (debug information
# stripped) and its libraries, the workload under two names.
build_probe_initramfs() {
	local root=$WORK/probe-root
	rm -rf "$root" && mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,vmtest/bin}
	cp /bin/busybox "$root/bin/busybox"
	copy_with_libraries "$root" "$WORK/rarenet" /vmtest/bin/rarenet
	cp "$WORK/workload" "$root/vmtest/bin/workload"
	cp "$WORK/workload" "$root/vmtest/bin/quick-connect"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
	echo 'root:x:0:' > "$root/etc/group"
	install -m 0755 vmtest/guest/probe-init.sh "$root/init"
	make_cpio "$root" "$WORK/probe-initramfs.cpio"
}

# ---- guests ---------------------------------------------------------------------

# Boots KERNEL with INITRD and the extra qemu arguments; the guest's console
# goes to NAME.console and its second serial port (the results) to NAME.serial.
boot_guest() { # NAME KERNEL INITRD APPEND [QEMU ARGS...]
	local name=$1 kernel=$2 initrd=$3 append=$4 start status
	shift 4
	start=$(date +%s.%N)
	set +e
	nice -n 10 timeout --kill-after=10 "$GUEST_TIMEOUT" qemu-system-x86_64 \
		-accel "$ACCEL" -cpu "$QEMU_CPU" -smp 2 -m 2048 \
		-display none -monitor none -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 $append" \
		-serial "file:$WORK/$name.console" -serial "file:$WORK/$name.serial" \
		"$@" > "$WORK/$name.qemu.log" 2>&1
	status=$?
	set -e
	echo "$start $(date +%s.%N)" > "$WORK/$name.wallclock"
	[ "$status" = 0 ] || log "$name: qemu exited with status $status (124: timed out after ${GUEST_TIMEOUT}s)"
	# What the guest sent, unpacked into results/NAME (empty if it sent nothing).
	mkdir -p "$WORK/results/$name"
	touch "$WORK/$name.serial" "$WORK/$name.console"
	sed -n '/^BEGIN rarenet-vmtest results$/,/^END rarenet-vmtest results$/p' "$WORK/$name.serial" |
		sed '1d;$d' | base64 -d 2>/dev/null | tar -xz -C "$WORK/results/$name" 2>/dev/null ||
		log "$name: the guest sent no results (see $WORK/$name.console)"
	cp "$WORK/$name.console" "$WORK/$name.wallclock" "$WORK/results/$name/" 2>/dev/null || true
}

run_probe_guests() {
	local meta package root kernel
	build_probe_initramfs
	for meta in $KERNELS; do
		package=$(resolve_kernel_package "$meta")
		root=$(with_cache_lock "kernel-$package" fetch_kernel "$package")
		kernel=$(ls "$root"/boot/vmlinuz-* | head -n 1)
		log "probe guest: $package ($ACCEL)"
		boot_guest "probe-$package" "$kernel" "$WORK/probe-initramfs.cpio" "quiet rdinit=/init"
		echo "$package" > "$WORK/results/probe-$package/package"
	done
}

# ---- the systemd guest ---------------------------------------------------------------

# What the Debian root holds besides debootstrap's minbase: systemd as init,
# the sensor's libraries (README: libbpf1, libelf1, zlib), what the test uses.
ROOT_PACKAGES=systemd,systemd-sysv,libbpf1,libelf1,zlib1g,libstdc++6,make,curl,iproute2,procps
# Bump when the way the root is configured below changes: the cached image's
# name carries it and the package list, so a change builds a new one.
ROOT_LAYOUT=1

# The configured Debian mirror of this host's release, from apt's own sources.
debian_mirror() { # CODENAME
	apt-get indextargets --format '$(SITE) $(CODENAME)' 'Created-By: Packages' |
		awk -v codename="$1" '$2 == codename { print $1; exit }'
}

# The cached ext4 image of a minimal Debian root with systemd; built with
# debootstrap when absent. Prints its path.
debian_root_image() {
	local codename mirror key image dir
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	key=$(echo "$codename $ROOT_PACKAGES $ROOT_LAYOUT" | sha256sum | cut -c1-12)
	image=$CACHE/debian-$codename-systemd-$key.ext4
	if [ ! -e "$image" ]; then
		mirror=$(debian_mirror "$codename")
		[ -n "$mirror" ] || fail "no Debian mirror for $codename in apt's sources (apt-get indextargets)"
		dir=$CACHE/debian-root.tmp
		remove_tree "$dir"
		log "building the Debian root ($codename, debootstrap from $mirror): once, then cached"
		debootstrap --variant=minbase --include="$ROOT_PACKAGES" "$codename" "$dir" "$mirror" \
			> "$WORK/debootstrap.log" 2>&1 || { remove_tree "$dir"; fail "debootstrap failed (see $WORK/debootstrap.log)"; }
		echo rarenet-vmtest > "$dir/etc/hostname"
		: > "$dir/etc/fstab"
		# No logins: nothing reads the consoles.
		ln -sf /dev/null "$dir/etc/systemd/system/serial-getty@ttyS0.service"
		ln -sf /dev/null "$dir/etc/systemd/system/getty@tty1.service"
		rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
		mkfs.ext4 -q -F -L rarenet-root -d "$dir" "$image.tmp" 1G >&2 || fail "mkfs.ext4 of the Debian root failed"
		mv "$image.tmp" "$image"
		remove_tree "$dir"
	fi
	echo "$image"
}

# The systemd guest's initramfs: busybox, the modules of KERNEL_ROOT that the
# virtio disks and ext4 need (in load order), vmtest/guest/systemd-init.sh.
build_systemd_initramfs() { # KERNEL_ROOT
	local kernel_root=$1 root=$WORK/systemd-initramfs-root release module file
	release=$(ls "$kernel_root/lib/modules")
	rm -rf "$root" && mkdir -p "$root"/{bin,proc,sys,dev,newroot,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	[ -e "$kernel_root/lib/modules/$release/modules.dep" ] || depmod -b "$kernel_root" "$release"
	: > "$root/modules.order"
	for module in virtio_pci virtio_blk ext4; do
		modprobe -d "$kernel_root" -S "$release" --show-depends "$module" |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r file; do
		case "$file" in
		*.ko.xz) xz -dc "$file" > "$root/lib/modules/$(basename "$file" .xz)" ;;
		*) cp "$file" "$root/lib/modules/" ;;
		esac
		basename "${file%.xz}" >> "$root/modules.order"
	done
	install -m 0755 vmtest/guest/systemd-init.sh "$root/init"
	make_cpio "$root" "$WORK/systemd-initramfs.cpio"
}

# The payload disk: this build's binary, the Swift runtime it links, the
# Makefile and deploy/, the workload, the test script and its unit.
build_payload_image() {
	local root=$WORK/payload library
	rm -rf "$root" && mkdir -p "$root/repo" "$root/swift-runtime"
	cp "$WORK/rarenet" "$root/rarenet"
	for library in $(ldd "$WORK/rarenet" | awk '$3 ~ /^\/opt\// { print $3 }'); do
		mkdir -p "$root/swift-runtime$(dirname "$library")"
		cp -L "$library" "$root/swift-runtime$library"
	done
	cp Makefile "$root/repo/" && cp -r deploy "$root/repo/"
	cp "$WORK/workload" vmtest/guest/systemd-test.sh vmtest/guest/rarenet-vmtest.service "$root/"
	rm -f "$WORK/payload.ext4"
	mkfs.ext4 -q -F -L rarenet-payload -d "$root" "$WORK/payload.ext4" 512M >&2
}

run_systemd_guest() { # ROOT_IMAGE
	local image=$1 package root kernel
	package=$(resolve_kernel_package "${KERNELS%% *}")
	root=$(with_cache_lock "kernel-$package" fetch_kernel "$package")
	kernel=$(ls "$root"/boot/vmlinuz-* | head -n 1)
	build_systemd_initramfs "$root"
	build_payload_image
	log "systemd guest: $package on $(basename "$image") ($ACCEL)"
	boot_guest "systemd-$package" "$kernel" "$WORK/systemd-initramfs.cpio" "rdinit=/init" \
		-drive "file=$image,format=raw,if=virtio,snapshot=on" \
		-drive "file=$WORK/payload.ext4,format=raw,if=virtio,readonly=on"
}

mkdir -p "$WORK" "$CACHE"
rm -rf "$WORK/results" "$WORK"/*.console "$WORK"/*.serial "$WORK/.apt-updated"
build_workload
objcopy --strip-debug "$RARENET" "$WORK/rarenet"
# The Debian root (built only when the cache lacks it) is made while the probe
# guests run: debootstrap waits mostly on the network and the disk, the
# guests on the CPU. Nothing is left running when the script exits.
root_builder=
trap 'if [ -n "$root_builder" ]; then wait "$root_builder" 2>/dev/null; fi' EXIT
if [ "$ONLY" != probes ]; then
	with_cache_lock debian-root debian_root_image > "$WORK/root-image.path" 2> "$WORK/root-image.log" &
	root_builder=$!
fi
if [ "$ONLY" != systemd ]; then run_probe_guests; fi
if [ -n "$root_builder" ]; then
	status=0
	wait "$root_builder" || status=$?
	root_builder=
	cat "$WORK/root-image.log" >&2
	[ "$status" = 0 ] || fail "the Debian root for the systemd guest could not be made"
	run_systemd_guest "$(cat "$WORK/root-image.path")"
fi
python3 vmtest/check.py "$WORK/results"
