#!/bin/sh
# make -C guests check hook: sh miniredis/check.sh <elf> <qemu>
# Runs miniredis under the given qemu and drives it over loopback TCP with
# check.py (needs python3; skipped without it).
set -u
elf=$1
qemu=${2:-qemu-riscv64}
dir=$(dirname "$0")
if ! command -v python3 >/dev/null 2>&1; then
    echo "miniredis: python3 not found, skipped"
    exit 0
fi
exec python3 "$dir/check.py" "$qemu" "$elf"
