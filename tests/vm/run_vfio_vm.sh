#!/usr/bin/env bash
# The VFIO layer against a real kernel: boots Debian's kernel (linux-image-amd64, fetched with
# apt-get download and unpacked with dpkg -x, never installed) in QEMU/TCG with an emulated Intel
# IOMMU, QEMU's edu device (MSI, DMA) and an NVMe controller (MSI-X). A busybox initramfs loads
# the vfio modules, binds both with irqrig-vfio and runs irqrig-vfio-edu and irqrig-vfio-nvme (all
# static). irqrig-vfio-edu also makes edu DMA irqrig event records into a ring and records each
# arrival (docs/replay.md); the recording comes back over the serial console and the host replays
# it twice with `irqrig run --replay`: the same report both times, every recorded event processed
# once, and the counts the guest saw.
# Exit 0 when all of it holds, 1 on failure, 77 (CTest: skipped) when a package is missing.
set -euo pipefail

work="" bind_tool="" check="" check_msix="" irqrig="" scenario=""
msis=64 events=32
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --bind-tool) bind_tool="$2"; shift 2 ;;
    --check) check="$2"; shift 2 ;;
    --check-msix) check_msix="$2"; shift 2 ;;
    --irqrig) irqrig="$2"; shift 2 ;;
    --scenario) scenario="$2"; shift 2 ;;
    --msis) msis="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    *) echo "usage: $0 --work DIR --bind-tool irqrig-vfio --check irqrig-vfio-edu --check-msix irqrig-vfio-nvme" \
            "--irqrig irqrig --scenario edu_replay.yaml [--msis N] [--events N]" >&2
       exit 2 ;;
  esac
done
[ -n "$work" ] && [ -x "$bind_tool" ] && [ -x "$check" ] && [ -x "$check_msix" ] && [ -x "$irqrig" ] && [ -f "$scenario" ] ||
  { echo "vm: --work, --bind-tool, --check, --check-msix, --irqrig and --scenario are required" >&2; exit 2; }

skip() { echo "vm: SKIPPED: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio not found (apt-get install cpio)"
command -v objcopy >/dev/null || skip "objcopy not found (apt-get install binutils)"
command -v python3 >/dev/null || skip "python3 not found"
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" ||
  skip "busybox-static is not installed (apt-get install busybox-static)"
busybox=/bin/busybox

started=$(date +%s.%N)
mkdir -p "$work"
work=$(cd "$work" && pwd)

# --- the kernel: the package linux-image-amd64 points at, cached in the build tree -------------
kdir="$work/kernel"
mkdir -p "$kdir"
image_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }' || true)
if [ -z "$image_pkg" ]; then
  # No package lists (apt-get update never ran): a cached kernel still serves.
  image_pkg=$(cat "$kdir/package" 2>/dev/null || true)
  [ -n "$image_pkg" ] || skip "apt-cache knows no linux-image-amd64 (run apt-get update) and no kernel is cached in $kdir"
fi
if [ "$(cat "$kdir/package" 2>/dev/null || true)" != "$image_pkg" ] || [ ! -s "$kdir/vmlinux" ]; then
  echo "vm: fetching $image_pkg (apt-get download, unpacked with dpkg -x)"
  rm -rf "$kdir/root" "$kdir"/*.deb "$kdir/vmlinux" "$kdir/package"
  (cd "$kdir" && apt-get download "$image_pkg" >/dev/null 2>"$kdir/download.log") ||
    skip "apt-get download $image_pkg failed: $(tail -1 "$kdir/download.log")"
  dpkg -x "$kdir"/*.deb "$kdir/root"
  rm -f "$kdir"/*.deb
  # QEMU loads an uncompressed vmlinux through its PVH entry: that skips the xz decompression the
  # bzImage does at boot, which takes 15-20 s under TCG on a busy machine.
  python3 - "$kdir"/root/boot/vmlinuz-* "$kdir/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("vm: no xz payload in " + sys.argv[1])
open(sys.argv[2], "wb").write(lzma.LZMADecompressor().decompress(data[start:]))
PY
  echo "$image_pkg" >"$kdir/package"
fi
moddir=$(echo "$kdir"/root/lib/modules/*)
kver=$(basename "$moddir")

# --- modules: vfio-pci and what it depends on, dependencies first -------------------------------
# The .deb carries no modules.dep (depmod writes it at install time): each module's own .modinfo
# 'depends=' field is the source of truth.
declare -A module_file
while IFS= read -r f; do
  name=${f##*/}
  name=${name%.ko}
  module_file[${name//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko')
declare -A loaded
order=()
add_module() {
  local name=${1//-/_} deps d
  [ -n "${loaded[$name]:-}" ] && return 0
  [ -n "${module_file[$name]:-}" ] || { echo "vm: module $1 is not in $kver" >&2; exit 1; }
  loaded[$name]=1
  deps=$(objcopy -O binary --only-section=.modinfo "${module_file[$name]}" /dev/stdout | tr '\0' '\n' | sed -n 's/^depends=//p')
  for d in ${deps//,/ }; do add_module "$d"; done
  order+=("$name")
}
add_module vfio_iommu_type1
add_module vfio_pci

# --- initramfs ----------------------------------------------------------------------------------
root="$work/initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,modules}
cp "$busybox" "$root/bin/busybox"
cp "$bind_tool" "$root/bin/irqrig-vfio"
cp "$check" "$root/bin/irqrig-vfio-edu"
cp "$check_msix" "$root/bin/irqrig-vfio-nvme"
cp "$scenario" "$root/edu_replay.yaml"
for m in "${order[@]}"; do cp "${module_file[$m]}" "$root/modules/$m.ko"; done
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "irqrig-vm: init at \$(cut -d' ' -f1 /proc/uptime) s guest time"
for m in ${order[*]}; do insmod /modules/\$m.ko || echo "irqrig-vm: insmod \$m failed"; done
# find_device VENDOR:DEVICE prints the BDF of the first such device
find_device() {
  for d in /sys/bus/pci/devices/*; do
    [ "\$(cat \$d/vendor):\$(cat \$d/device)" = "\$1" ] && { basename \$d; return; }
  done
}
edu=\$(find_device 0x1234:0x11e8)
nvme=\$(find_device 0x1b36:0x0010)
if [ -z "\$edu" ]; then
  echo "irqrig-vm-result: edu FAIL no edu device (1234:11e8) on the guest's PCI bus"
else
  irqrig-vfio bind \$edu && irqrig-vfio info \$edu &&
    irqrig-vfio-edu \$edu --msis $msis --record /edu.jsonl --scenario /edu_replay.yaml --events $events &&
    sed 's/^/irqrig-vm-recording: /' /edu.jsonl
fi
if [ -z "\$nvme" ]; then
  echo "irqrig-vm-result: nvme FAIL no NVMe controller (1b36:0010) on the guest's PCI bus"
else
  irqrig-vfio bind \$nvme && irqrig-vfio info \$nvme && irqrig-vfio-nvme \$nvme --serial irqrig-vm
fi
poweroff -f
INIT
chmod +x "$root/init"
# Uncompressed: the guest's decompressor is slower under TCG than loading the bytes.
(cd "$root" && find . | cpio -o -H newc --quiet >"$work/initramfs.cpio")

# --- boot ---------------------------------------------------------------------------------------
log="$work/guest.log"
booted=$(date +%s.%N)
# kernel-irqchip=split is what intremap=on needs with KVM; under TCG it is accepted and harmless.
set +e
timeout 240 qemu-system-x86_64 -nodefaults -no-user-config -accel tcg -m 256M \
  -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on -device edu \
  -blockdev null-co,node-name=null0,size=16777216 -device nvme,serial=irqrig-vm,drive=null0 \
  -kernel "$kdir/vmlinux" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 intel_iommu=on quiet panic=-1 mitigations=off nokaslr tsc=reliable no_timer_check" \
  -display none -serial stdio -no-reboot </dev/null >"$log" 2>&1
qemu_rc=$?
set -e
finished=$(date +%s.%N)
tr -d '\r' <"$log" | grep -E '^(irqrig-vm|irqrig-vfio|0000:|  )' | grep -v '^irqrig-vm-recording: ' || true
timing=$(python3 -c "print(f'prepare {$booted-$started:.1f} s, boot+test {$finished-$booted:.1f} s')")
passed=$(tr -d '\r' <"$log" | grep -c -E '^irqrig-vm-result: (edu|nvme) PASS' || true)

# --- the recording, replayed on the host ---------------------------------------------------------
# Twice: the reports must be the same less wall_s, every recorded event processed exactly once,
# exit 0, and the events and interrupts the report counts those the guest saw.
replayed=0
recording="$work/edu_recording.jsonl"
tr -d '\r' <"$log" | sed -n 's/^irqrig-vm-recording: //p' >"$recording"
seen=$(tr -d '\r' <"$log" | sed -n 's/^irqrig-vm-result: edu PASS .*recorded_events\/arrivals=\([0-9]*\/[0-9]*\).*/\1/p')
if [ "$passed" -eq 2 ] && [ -s "$recording" ] && [ -n "$seen" ]; then
  replay_ok=1
  for n in 1 2; do
    "$irqrig" run --replay "$recording" --quiet --report "$work/replay$n.json" || { echo "vm: replay $n exited $?"; replay_ok=0; }
  done
  if [ "$replay_ok" -eq 1 ] && python3 - "$work/replay1.json" "$work/replay2.json" "$seen" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
events, arrivals = (int(x) for x in sys.argv[3].split("/"))
for r in (a, b): r.pop("wall_s")
problems = []
if a != b: problems.append("the two replays' reports differ")
if a["device"]["events"] != events: problems.append(f"device.events {a['device']['events']}, the guest made {events}")
if a["events"]["processed"] != events: problems.append(f"events.processed {a['events']['processed']} of {events}")
if a["events"]["lost"] or a["events"]["duplicated"]: problems.append("events lost or duplicated")
if a["isr"]["claimed"] != arrivals: problems.append(f"isr.claimed {a['isr']['claimed']}, the guest saw {arrivals} MSIs")
if not a["ok"]: problems.append("a check failed")
print(f"vm: replay of {sys.argv[1].rsplit('/', 1)[0]}/edu_recording.jsonl: {events} events, {arrivals} MSIs; "
      f"processed {a['events']['processed']}, ISR claimed {a['isr']['claimed']}, DPC runs {a['dpc']['runs']}, "
      f"{'identical twice' if a == b else 'DIFFERENT'}" + ("; " + "; ".join(problems) if problems else ""))
sys.exit(1 if problems else 0)
PY
  then replayed=1
  fi
fi
if [ "$passed" -eq 2 ] && [ "$replayed" -eq 1 ]; then
  echo "vm: PASS ($timing, kernel $kver)"
  exit 0
fi
echo "vm: FAIL (qemu exit $qemu_rc, $timing); last lines of $log:"
tail -n 25 "$log"
exit 1
