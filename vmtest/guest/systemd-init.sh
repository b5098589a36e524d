#!/bin/busybox sh
# /init of the systemd guest's initramfs (vmtest/README.md): loads the kernel
# modules for the virtio disks and ext4 (listed in load order in
# /modules.order), mounts the Debian root (/dev/vda, a qemu snapshot: the
# cached image is never written) and the payload disk (/dev/vdb, read-only,
# at /vmtest), installs the unit that runs vmtest/guest/systemd-test.sh, and
# hands over to systemd.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r module; do
	insmod "/lib/modules/$module" || echo "vmtest init: insmod $module failed"
done < /modules.order

deadline=$(( $(cut -d. -f1 /proc/uptime) + 60 ))
while [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; do
	if [ "$(cut -d. -f1 /proc/uptime)" -ge "$deadline" ]; then
		echo "vmtest init: no /dev/vda and /dev/vdb after 60 s"
		poweroff -f
	fi
	sleep 0.1
done

mkdir -p /newroot
mount -t ext4 /dev/vda /newroot
mkdir -p /newroot/vmtest
mount -t ext4 -o ro /dev/vdb /newroot/vmtest
cp /newroot/vmtest/rarenet-vmtest.service /newroot/etc/systemd/system/
mkdir -p /newroot/etc/systemd/system/multi-user.target.wants
ln -sf ../rarenet-vmtest.service /newroot/etc/systemd/system/multi-user.target.wants/rarenet-vmtest.service

umount /proc /sys /dev
exec switch_root /newroot /sbin/init
