# L0 and test-l2 on older CPU models: cortex-a53 (40-bit PA: stage 2 starts
# at level 1 with two concatenated root tables) and cortex-a57 (44-bit PA),
# neither with VHE, FGT, HCX or NV. L0 probes what exists; test-l2 must pass.
ok=1
board=("${QEMU_BOARD[@]}")
for cpu in cortex-a53:40 cortex-a57:44; do
  model=${cpu%%:*} bits=${cpu##*:}
  log=$LOGS/l0-cpu-$model.log
  QEMU_BOARD=("${board[@]/max,pauth-impdef=on/$model}")
  scenario_test_l2 "$log" 60
  rc=$?
  if [ $rc -eq 0 ] && expect "$(l0_log "$log")" "$bits-bit IPA" && expect "$log" "test-l2: all ok" &&
    expect_not "$log" "BAD" && l0_verdict "$log"; then
    echo "ok: $model ($bits-bit IPA)"
  else
    echo "FAIL: $model (exit $rc)"; tail_log "$log"; ok=0
  fi
done
[ $ok = 1 ]
