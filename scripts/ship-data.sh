#!/usr/bin/env bash
# Maintainer tool: writes the gzip copies of the small, clearly licensed datasets that the package ships
# (data/, see data/README.md) from a folder holding the original files (default ../shared/data).
# `gzip -n` leaves out names and times, so the output is the same on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${1:-../shared/data}"
FILES="adult/adult.data adult/adult.test adult/adult.names energy/energy_efficiency.csv
snips/intent_label.txt snips/slot_label.txt
snips/train/seq.in snips/train/seq.out snips/train/label
snips/dev/seq.in snips/dev/seq.out snips/dev/label
snips/test/seq.in snips/test/seq.out snips/test/label"
for f in $FILES; do
  mkdir -p "data/$(dirname "$f")"
  gzip -9 -n -c "$SRC/$f" > "data/$f.gz"
done
cp "$SRC/snips/LICENSE.sonos-nlu-benchmark-CC0-1.0" "$SRC/snips/LICENSE.JointBERT-Apache-2.0" data/snips/
du -sh data
