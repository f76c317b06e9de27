#!/usr/bin/env bash
# Stop the integration stack started by up.sh, by PID, with bounded waits.
# Idempotent: stopping a stack that is not running is fine. Data in $STACK_DIR is kept
# (remove $STACK_DIR to start from nothing).
set -uo pipefail

STACK_DIR="${STACK_DIR:-/var/tmp/bai-stack}"
RUN="$STACK_DIR/run"
PGDATA="$STACK_DIR/pgdata"
T0=$(date +%s)
log() { printf '[stack down %3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

# stop NAME PIDFILE TIMEOUT PATTERN: SIGTERM the process (and the process group it leads,
# since up.sh starts it with setsid), wait up to TIMEOUT seconds, then SIGKILL.
stop() {
  local name="$1" pidf="$2" secs="$3" pat="${4:-}" pid
  [ -s "$pidf" ] || { log "$name: no pid file"; return 0; }
  pid="$(cat "$pidf")"
  if ! kill -0 "$pid" 2>/dev/null; then
    log "$name: not running"; rm -f "$pidf"; return 0
  fi
  if [ -n "$pat" ] && ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pat"; then
    log "$name: pid $pid is not $pat any more (stale pid file)"; rm -f "$pidf"; return 0
  fi
  log "$name: stopping pid $pid"
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  local deadline=$(( $(date +%s) + secs ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name: still running after ${secs}s, sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$pidf"
}

# The manager first (it uses everything else), then the rest in parallel.
stop manager "$RUN/manager.pid" 20 backend.ai
stop storage-proxy "$RUN/storage-proxy.pid" 15 backend.ai &
stop etcd "$RUN/etcd.pid" 10 etcd &
stop redis "$RUN/redis.pid" 10 redis-server &

PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -s "$PGDATA/postmaster.pid" ] && [ -x "$PGBIN/pg_ctl" ]; then
  log "postgres: pg_ctl stop"
  timeout 40 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || { log "postgres: pg_ctl stop failed; falling back to its PID"; stop postgres "$RUN/postgres.pid" 10 postgres; }
else
  log "postgres: not running"
fi
rm -f "$RUN/postgres.pid"
wait
log "stack is down"
