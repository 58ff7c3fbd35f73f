# L0 and test-l2 on older CPU models: cortex-a53 (40-bit PA: stage 2 starts
# at level 1 with two concatenated root tables) and cortex-a57 (44-bit PA),
# neither with VHE, FGT, HCX or NV. L0 probes what exists; test-l2 must pass.
ok=1
for cpu in cortex-a53:40 cortex-a57:44; do
  model=${cpu%%:*} bits=${cpu##*:}
  log=$LOGS/l0-cpu-$model.log
  QEMU_BOARD=(-M virt,virtualization=on,gic-version=3 -cpu "$model" -nographic -monitor none -no-reboot
    -semihosting-config enable=on,target=native)
  scenario_test_l2 "$log" 60
  rc=$?
  if [ $rc -eq 0 ] && expect "$log" "$bits-bit IPA" "test-l2: all ok" && expect_not "$log" "BAD" "PANIC"; then
    echo "ok: $model ($bits-bit IPA)"
  else
    echo "FAIL: $model (exit $rc)"; tail_log "$log"; ok=0
  fi
done
[ $ok = 1 ]
