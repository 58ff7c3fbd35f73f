# Linux boots on a guest DTB built by the guests crate: QEMU's DTB for the
# board without virtualization=on (the kernel then runs at EL1 and QEMU
# serves PSCI over HVC, as L0 will) goes through guests::dtb::build, and the
# Debian kernel boots on the result with `-dtb`, brings up both CPUs via
# PSCI/HVC, ticks its timers on the GICv3 without an ITS, and powers off.
# QEMU rewrites /memory and /chosen of a -dtb blob, so this checks the rest.
d=$BUILD/guests-linux-guestdtb
initrd=$IMG/linux-initramfs.cpio.gz
log=$LOGS/guests-linux-guestdtb.log
board=(-M virt,gic-version=3 -cpu max,pauth-impdef=on -m 1G -smp 2 -nographic -monitor none -no-reboot)
rm -rf "$d"; mkdir -p "$d"
ok=1
"$ROOT/scripts/mk-initramfs.sh" "$initrd" linux || { echo "mk-initramfs.sh failed"; ok=0; }
if [ $ok = 1 ]; then
  timeout 20 qemu-system-aarch64 "${board[@]/virt,gic-version=3/virt,gic-version=3,dumpdtb=$d/host.dtb}" \
    >"$log" 2>&1 || { echo "dumpdtb failed"; cat "$log"; ok=0; }
fi
if [ $ok = 1 ]; then
  (cd "$ROOT" && GUESTS_HOST_DTB="$d/host.dtb" GUESTS_DTB_OUT="$d" \
    cargo test -q -p guests --lib dump_for_dtc >"$log" 2>&1) || { echo "guest DTB build failed"; cat "$log"; ok=0; }
fi
if [ $ok = 1 ]; then
  timeout -k 5 60 qemu-system-aarch64 "${board[@]}" -kernel "$CACHE/Image" -initrd "$initrd" \
    -dtb "$d/host.guest.dtb" -append "console=ttyAMA0 panic=-1 rdinit=/init" </dev/null >"$log" 2>&1
  rc=$?
  tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
  grep -F 'linux-scenario: timer' "$log" || true
  if ! { [ $rc -eq 0 ] &&
    expect "$log" "psci: PSCIv1.1 detected in firmware." "linux-scenario: nproc 2" "linux-scenario: done" &&
    grep -qE '^linux-scenario: timer irqs in 1s: cpu0=\+[0-9]+ cpu1=\+[0-9]+ ok$' "$log" &&
    expect_not "$log" "Kernel panic" "ITS [mem" "pci-host-generic"; }; then
    echo "qemu rc=$rc"; tail_log "$log"; ok=0
  fi
fi
[ $ok = 1 ]
