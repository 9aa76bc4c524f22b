#!/bin/sh
# Build a HopRT app into a native program: hoprt build -> wasm2c -> cc.
#   examples/embed-c/build.sh <app.ts> <out-dir>
set -eu
app=$1; out=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
node "$here/../../bin/hoprt.js" build "$app" -o "$out/firmware.wasm"
wasm2c "$out/firmware.wasm" -n firmware -o "$out/firmware.c"
rt=/usr/share/wabt/wasm2c
${CC:-cc} -O1 -o "$out/hoprt-c" -I "$out" -I "$rt" "$here/host.c" "$out/firmware.c" "$rt/wasm-rt-impl.c" -lm
echo "built $out/hoprt-c"
