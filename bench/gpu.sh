#!/usr/bin/env bash
# Runs the GPU-machine benchmarks from prebuilt bundles (bench/gpu-build.mjs) and writes
# each log to $OUT. Usage on the device: bash .gpu/enter.sh bash bench/gpu.sh [ops,kernels,lm,train,peers]
set -uo pipefail
out=${OUT:-/tmp/bench-out}; mkdir -p "$out"
want=${1:-ops,kernels,lm,train}
run() { # run NAME SECONDS CMD...
  local name=$1 secs=$2; shift 2
  [[ ",$want," == *",$name,"* ]] || return 0
  echo "== $name"; local t0=$SECONDS
  timeout "$secs" "$@" > "$out/$name.log" 2>&1; echo "== $name rc=$? in $((SECONDS - t0))s"
  tail -n 14 "$out/$name.log"
}
run lm 200 node dist/gpu/lm.mjs
run kernels 150 env WEBMLX_DAWN_FLAGS=disable-dawn-features=timestamp_quantization node dist/gpu/kernels.mjs --big
run train 100 node dist/gpu/train.mjs --big
run ops 100 node dist/gpu/ops.mjs --run --big
run peers 420 node dist/bench-peers/peers.mjs --big --out="$out"
