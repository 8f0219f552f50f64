#!/bin/sh
# Disk usage report: logs each mount, reports progress, flags mounts above a
# threshold and writes the result as CSV.
#   jobdeck run resources/examples/disk-report.sh --param threshold=80
threshold="${JOBDECK_PARAM_THRESHOLD:-${1:-90}}"
out="${JOBDECK_OUTPUT_DIR:-.}/disk-usage.csv"

echo "Checking disk usage (alert threshold ${threshold}%)"
mounts=$(df -P | awk 'NR > 1 { print $6 }')
total=$(printf '%s\n' "$mounts" | wc -l)
i=0
echo "mount,size_kb,used_kb,use_percent,alert" > "$out"
for m in $mounts; do
  i=$((i + 1))
  line=$(df -P "$m" | awk 'NR == 2 { gsub("%", "", $5); print $2 "," $3 "," $5 }')
  pct=${line##*,}
  alert=no
  if [ "$pct" -ge "$threshold" ] 2>/dev/null; then alert=yes; echo "ALERT: $m is ${pct}% full" >&2; fi
  echo "$m,$line,$alert" >> "$out"
  echo "$m: ${pct}% used"
  echo "::progress $((i * 100 / total)) checked $m"
done
echo "::result disk-usage.csv"
echo "Done: $total mounts checked"
