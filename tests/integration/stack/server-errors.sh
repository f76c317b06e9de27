#!/usr/bin/env bash
# Show what the manager and the storage-proxy logged as errors during one test run, so a
# failing CI run says why the server answered 500 (its own logs stay on the CI machine).
#   server-errors.sh mark   remember where the logs end now
#   server-errors.sh show   print the ERROR entries (with their tracebacks) written since the mark
set -uo pipefail

STACK_DIR="${STACK_DIR:-/var/tmp/bai-stack}"
LOGS="$STACK_DIR/logs"
MARKS="$STACK_DIR/run/log-marks"
MAX_LINES="${MAX_LINES:-400}"

case "${1:-}" in
  mark)
    mkdir -p "$(dirname "$MARKS")"
    : > "$MARKS"
    for name in manager storage-proxy; do
      lines=0
      [ -f "$LOGS/$name.log" ] && lines=$(wc -l < "$LOGS/$name.log")
      echo "$name $lines" >> "$MARKS"
    done
    ;;
  show)
    for name in manager storage-proxy; do
      file="$LOGS/$name.log"
      [ -f "$file" ] || continue
      since=$(awk -v n="$name" '$1 == n { print $2 }' "$MARKS" 2>/dev/null)
      # an entry starts with a timestamp; keep ERROR entries and the lines that continue them
      tail -n +"$(( ${since:-0} + 1 ))" "$file" | awk '
        /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9:.]+ / { keep = ($3 == "ERROR" || $3 == "CRITICAL") }
        keep { print }' > "$STACK_DIR/run/$name.errors"
      count=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ (ERROR|CRITICAL) ' "$STACK_DIR/run/$name.errors")
      echo "----- $name: $count error entries during the run (last $MAX_LINES lines shown) -----"
      tail -n "$MAX_LINES" "$STACK_DIR/run/$name.errors"
    done
    ;;
  *)
    echo "usage: $0 mark|show" >&2; exit 2;;
esac
