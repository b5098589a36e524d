#!/bin/busybox sh
# /init of the probe guest (vmtest/README.md): a busybox initramfs holding the
# sensor, its shared libraries and the workload. For each attach mode it
# starts `rarenet record`, waits until it records, notes which kprobes the
# kernel has registered, runs the workload, stops the recorder, and finally
# sends everything it collected to the host on the second serial port as a
# base64 tar between two marker lines. Then it powers the guest off.
/bin/busybox --install -s /bin
export PATH=/bin:/vmtest/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# For /sys/kernel/debug/kprobes/list. tracefs is left unmounted on purpose:
# the sensor mounts it when it is absent, and that is part of what is tested.
mount -t debugfs debugfs /sys/kernel/debug
ip link set lo up
hostname vmtest

out=/tmp/results
mkdir -p "$out"
cut -d' ' -f1 /proc/uptime > "$out/uptime-at-init"
uname -r > "$out/kernel-release"
uname -n > "$out/hostname"

# Waits until FILE contains a line matching PATTERN, or PID has exited, or
# SECONDS have passed; fails in the last two cases.
wait_for_line() { # FILE PATTERN PID SECONDS
	deadline=$(( $(cut -d. -f1 /proc/uptime) + $4 ))
	while ! grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || return 1
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

for mode in kprobe tracepoint auto; do
	dir="$out/$mode"
	mkdir -p "$dir"
	rarenet record --attach "$mode" --output "$dir/events.jsonl" 2> "$dir/rarenet.log" &
	recorder=$!
	if wait_for_line "$dir/rarenet.log" '\] recording$' "$recorder" 180; then
		cut -d' ' -f1 /proc/uptime > "$dir/uptime-recording"
		cat /sys/kernel/debug/kprobes/list > "$dir/kprobes.txt"
		# From the mode's directory, so that the workload's command line (in
		# every event's args) is the same in every mode.
		(cd "$dir" && workload expected.jsonl /vmtest/bin/quick-connect) > "$dir/workload.log" 2>&1
		echo $? > "$dir/workload.status"
	fi
	kill -INT "$recorder" 2>/dev/null
	wait "$recorder"
	echo $? > "$dir/rarenet.status"
done
cut -d' ' -f1 /proc/uptime > "$out/uptime-at-end"

stty -F /dev/ttyS1 raw -echo
{
	echo "BEGIN rarenet-vmtest results"
	tar -c -C "$out" . | gzip | base64
	echo "END rarenet-vmtest results"
} > /dev/ttyS1
sync
poweroff -f
