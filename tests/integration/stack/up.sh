#!/usr/bin/env bash
# Bring up a real Backend.AI stack (manager 23.9.10 + storage-proxy 23.9.10 with
# PostgreSQL, Redis and etcd) on 127.0.0.1 only, from nothing, idempotently.
#
#   tests/integration/stack/up.sh        # needs root (apt-get, runuser postgres)
#   tests/integration/stack/down.sh
#
# State lives in $STACK_DIR (default /var/tmp/bai-stack; must not be under /root,
# PostgreSQL runs as the `postgres` user). A second `up` after `down` keeps the
# data and only restarts the processes.
#
# Fixed loopback ports (the first seven can be changed with BAI_PG_PORT, BAI_REDIS_PORT,
# BAI_ETCD_PORT, BAI_ETCD_PEER_PORT, BAI_SP_CLIENT_PORT, BAI_SP_MANAGER_PORT, BAI_MANAGER_PORT):
#   PostgreSQL 15432, Redis 16379, etcd 12379 (peer 12380),
#   storage-proxy client API 16021, storage-proxy manager API 16022,
#   manager API 18081, aiomonitor: manager 18101/18102, storage-proxy 18301/18302.
#
# Env: STACK_DIR (state), BAI_STACK_VENV (venv, default tests/integration/stack/.venv).
#
# Writes tests/integration/stack/env.json (endpoint, keys, API version) for the
# integration suite. Secret keys are never printed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STACK_DIR="${STACK_DIR:-/var/tmp/bai-stack}"
PG_PORT="${BAI_PG_PORT:-15432}"
REDIS_PORT="${BAI_REDIS_PORT:-16379}"
ETCD_PORT="${BAI_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${BAI_ETCD_PEER_PORT:-12380}"
SP_CLIENT_PORT="${BAI_SP_CLIENT_PORT:-16021}"
SP_MANAGER_PORT="${BAI_SP_MANAGER_PORT:-16022}"
MANAGER_PORT="${BAI_MANAGER_PORT:-18081}"
HOST=127.0.0.1
DB_NAME=backend
DB_USER=postgres
ETCD_NS=local
VOLUME_NAME=volume1
PROXY_NAME=local
VENV="${BAI_STACK_VENV:-$HERE/.venv}"  # override to keep the venv outside the checkout
BAI="$VENV/bin/backend.ai"
MANAGER_VERSION=23.9.10

ETC="$STACK_DIR/etc"
RUN="$STACK_DIR/run"
LOGS="$STACK_DIR/logs"
PGDATA="$STACK_DIR/pgdata"
VFROOT="$STACK_DIR/vfroot/$PROXY_NAME"
T0=$(date +%s)

log() { printf '[stack up %3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { echo "[stack up] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, runuser postgres)"
case "$STACK_DIR" in /root|/root/*) die "STACK_DIR must not be under /root (PostgreSQL runs as postgres)";; esac

# alive PIDFILE -> 0 if the PID in the file is a running process
# (and, when PATTERN is given, its command line contains it: guards against PID reuse)
alive() {
  [ -s "$1" ] || return 1
  local pid; pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null || return 1
  [ -z "${2:-}" ] || tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# wait_until SECONDS DESCRIPTION PIDFILE-or-'' CMD... (bounded; fails if the process dies)
wait_until() {
  local secs="$1" what="$2" pidf="$3"; shift 3
  local deadline=$(( $(date +%s) + secs ))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "$pidf" ] && ! alive "$pidf"; then
      echo "[stack up] $what: process exited; last log lines:" >&2
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { echo "[stack up] $what: not ready after ${secs}s" >&2; return 1; }
    sleep 0.3
  done
}

show_log() { echo "----- $1 (tail) -----" >&2; tail -n 40 "$1" >&2 || true; }

# ---------------------------------------------------------------- packages
need_pkgs=()
for p in postgresql redis-server etcd-server etcd-client; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$PGBIN/initdb" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
command -v redis-server >/dev/null || die "redis-server missing"
command -v etcd >/dev/null || die "etcd missing"

mkdir -p "$LOGS"
cd "$STACK_DIR"  # every path below is absolute; the postgres user must be able to stat the cwd

# ---------------------------------------------------------------- venv
stamp="$(sha256sum "$HERE/constraints.txt" | cut -c1-16)"
if [ ! -x "$BAI" ] || [ "$(cat "$VENV/.stack-stamp" 2>/dev/null)" != "$stamp" ]; then
  log "creating venv $VENV (backend.ai-manager==$MANAGER_VERSION, storage-proxy==$MANAGER_VERSION)"
  [ -d "$VENV" ] || python3 -m venv "$VENV"
  PIP_CONSTRAINT="$HERE/constraints.txt" timeout 900 "$VENV/bin/pip" install -q --disable-pip-version-check \
    -c "$HERE/constraints.txt" \
    "backend.ai-manager==$MANAGER_VERSION" "backend.ai-storage-proxy==$MANAGER_VERSION" \
    > "$LOGS/pip.log" 2>&1 || { tail -n 30 "$LOGS/pip.log" >&2; die "pip install failed"; }
  echo "$stamp" > "$VENV/.stack-stamp"
fi
PY="$VENV/bin/python"

# ---------------------------------------------------------------- folders, secrets
mkdir -p "$ETC" "$RUN" "$LOGS" "$VFROOT" "$STACK_DIR/redis" "$STACK_DIR/etcd" "$RUN/ipc"
chmod 755 "$STACK_DIR"
chmod 700 "$ETC"
if [ ! -s "$ETC/secrets.env" ]; then
  umask 077
  {
    echo "PG_PASSWORD=$("$PY" -c 'import secrets;print(secrets.token_hex(16))')"
    echo "SP_JWT_SECRET=$("$PY" -c 'import secrets;print(secrets.token_hex(24))')"
    echo "SP_MANAGER_SECRET=$("$PY" -c 'import secrets;print(secrets.token_hex(24))')"
  } > "$ETC/secrets.env"
  umask 022
fi
# shellcheck disable=SC1091
. "$ETC/secrets.env"
[ -s "$VFROOT/version.txt" ] || echo 3 > "$VFROOT/version.txt"

# ---------------------------------------------------------------- configuration (ours)
umask 077
cat > "$ETC/manager.toml" <<EOF
# Backend.AI manager 23.9.10 local config for the integration stack (generated by up.sh).
[etcd]
namespace = "$ETCD_NS"
addr = { host = "$HOST", port = $ETCD_PORT }
user = ""
password = ""

[db]
type = "postgresql"
addr = { host = "$HOST", port = $PG_PORT }
name = "$DB_NAME"
user = "$DB_USER"
password = "$PG_PASSWORD"
pool-size = 8
max-overflow = 16

[manager]
num-proc = 1
service-addr = { host = "$HOST", port = $MANAGER_PORT }
ipc-base-path = "$RUN/ipc"
rpc-auth-manager-keypair = "$ETC/rpc-keys/manager.key_secret"
heartbeat-timeout = 40.0
ssl-enabled = false
event-loop = "asyncio"
distributed-lock = "pg_advisory"
pid-file = "$RUN/manager.pidfile"
hide-agents = false
aiomonitor-termui-port = 18101
aiomonitor-webui-port = 18102

[docker-registry]
ssl-verify = false

[logging]
level = "INFO"
drivers = ["console"]

[logging.console]
colored = false
format = "verbose"

[logging.pkg-ns]
"" = "WARNING"
"aiotools" = "INFO"
"aiohttp" = "INFO"
"ai.backend" = "INFO"
"alembic" = "INFO"
"sqlalchemy" = "WARNING"

[debug]
enabled = false
EOF

cat > "$ETC/storage-proxy.toml" <<EOF
# Backend.AI storage-proxy 23.9.10 local config for the integration stack (generated by up.sh).
[etcd]
namespace = "$ETCD_NS"
addr = { host = "$HOST", port = $ETCD_PORT }
user = ""
password = ""

[storage-proxy]
node-id = "i-bai-stack-storage"
num-proc = 1
pid-file = "$RUN/storage-proxy.pidfile"
ipc-base-path = "$RUN/ipc"
event-loop = "asyncio"
scandir-limit = 1000
max-upload-size = "100g"
secret = "$SP_JWT_SECRET"
session-expire = "1d"
aiomonitor-termui-port = 18301
aiomonitor-webui-port = 18302

[api.client]
service-addr = { host = "$HOST", port = $SP_CLIENT_PORT }
ssl-enabled = false

[api.manager]
service-addr = { host = "$HOST", port = $SP_MANAGER_PORT }
ssl-enabled = false
secret = "$SP_MANAGER_SECRET"

[volume.$VOLUME_NAME]
backend = "vfs"
path = "$VFROOT"

[logging]
level = "INFO"
drivers = ["console"]

[logging.console]
colored = false
format = "verbose"

[logging.pkg-ns]
"" = "WARNING"
"aiotools" = "INFO"
"aiohttp" = "INFO"
"ai.backend" = "INFO"

[debug]
enabled = false
EOF

cat > "$ETC/alembic.ini" <<EOF
[alembic]
script_location = ai.backend.manager.models:alembic
sqlalchemy.url = postgresql://$DB_USER:$PG_PASSWORD@$HOST:$PG_PORT/$DB_NAME

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
EOF

# Shared configuration stored in etcd (global scope).
cat > "$ETC/etcd-config.json" <<EOF
{
  "system": {"timezone": "UTC"},
  "api": {"allow-origins": "*", "allow-graphql-schema-introspection": "yes"},
  "redis": {
    "addr": "$HOST:$REDIS_PORT",
    "redis_helper_config": {
      "socket_timeout": "5.0",
      "socket_connect_timeout": "2.0",
      "reconnect_poll_timeout": "0.3"
    }
  },
  "docker": {
    "image": {"auto_pull": "tag"},
    "registry": {
      "cr.backend.ai": {"": "https://cr.backend.ai", "type": "harbor2", "project": "stable"}
    }
  }
}
EOF
cat > "$ETC/etcd-volumes.json" <<EOF
{
  "_types": {"user": "", "group": ""},
  "default_host": "$PROXY_NAME:$VOLUME_NAME",
  "exposed_volume_info": "percentage",
  "proxies": {
    "$PROXY_NAME": {
      "client_api": "http://$HOST:$SP_CLIENT_PORT",
      "manager_api": "http://$HOST:$SP_MANAGER_PORT",
      "secret": "$SP_MANAGER_SECRET",
      "ssl_verify": "false"
    }
  }
}
EOF
umask 022

# Manager RPC keypair (ZeroMQ CURVE), made once.
if [ ! -s "$ETC/rpc-keys/manager.key_secret" ]; then
  mkdir -p "$ETC/rpc-keys"
  "$PY" -c 'import sys, zmq.auth; zmq.auth.create_certificates(sys.argv[1], "manager")' "$ETC/rpc-keys"
  chmod 600 "$ETC/rpc-keys/manager.key_secret"
fi

# ---------------------------------------------------------------- PostgreSQL
export PGPASSWORD="$PG_PASSWORD"
PSQL=(psql -h "$HOST" -p "$PG_PORT" -U "$DB_USER" -v ON_ERROR_STOP=1 -qtA)
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log "initdb $PGDATA"
  rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"; chmod 700 "$PGDATA"
  pwfile="$(mktemp -p "$STACK_DIR" .pw.XXXXXX)"; printf '%s\n' "$PG_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"; chmod 600 "$pwfile"
  timeout 120 runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U "$DB_USER" --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 > "$LOGS/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; show_log "$LOGS/initdb.log"; die "initdb failed"; }
  rm -f "$pwfile"
fi
mkdir -p "$RUN/pgsock"; chown postgres:postgres "$RUN/pgsock"
touch "$LOGS/postgres.log"; chown postgres "$LOGS/postgres.log"
if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  log "starting PostgreSQL on $HOST:$PG_PORT"
  timeout 60 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 45 \
    -o "-c listen_addresses=$HOST -p $PG_PORT -k $RUN/pgsock" start >/dev/null \
    || { show_log "$LOGS/postgres.log"; die "PostgreSQL did not start"; }
fi
head -n 1 "$PGDATA/postmaster.pid" > "$RUN/postgres.pid"
wait_until 30 "PostgreSQL" "$RUN/postgres.pid" "${PSQL[@]}" -d postgres -c 'SELECT 1' \
  || { show_log "$LOGS/postgres.log"; die "PostgreSQL not answering"; }
if [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" != 1 ]; then
  log "creating database $DB_NAME"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB_NAME ENCODING 'UTF8'"
fi

# ---------------------------------------------------------------- Redis
if ! alive "$RUN/redis.pid" redis-server; then
  log "starting Redis on $HOST:$REDIS_PORT"
  rm -f "$RUN/redis.pid"
  timeout 20 redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
    --daemonize yes --pidfile "$RUN/redis.pid" --dir "$STACK_DIR/redis" \
    --logfile "$LOGS/redis.log" --save "" --appendonly no
  wait_until 10 "Redis pidfile" "" test -s "$RUN/redis.pid" || die "Redis did not write its pidfile"
fi
wait_until 20 "Redis" "$RUN/redis.pid" redis-cli -h "$HOST" -p "$REDIS_PORT" ping \
  || { show_log "$LOGS/redis.log"; die "Redis not answering"; }

# ---------------------------------------------------------------- etcd
if ! alive "$RUN/etcd.pid" etcd; then
  log "starting etcd on $HOST:$ETCD_PORT"
  setsid etcd --name bai-stack --data-dir "$STACK_DIR/etcd" \
    --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "bai-stack=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state new \
    >> "$LOGS/etcd.log" 2>&1 < /dev/null &
  echo $! > "$RUN/etcd.pid"
fi
wait_until 30 "etcd" "$RUN/etcd.pid" env ETCDCTL_API=3 timeout 5 etcdctl --endpoints "http://$HOST:$ETCD_PORT" endpoint health \
  || { show_log "$LOGS/etcd.log"; die "etcd not answering"; }

# ---------------------------------------------------------------- bootstrap (once)
MGR=(timeout 120 "$BAI" mgr -f "$ETC/manager.toml")
if [ ! -e "$STACK_DIR/.etcd-done" ]; then
  log "putting shared config into etcd"
  "${MGR[@]}" etcd put-json config "$ETC/etcd-config.json" > "$LOGS/bootstrap.log" 2>&1
  "${MGR[@]}" etcd put-json volumes "$ETC/etcd-volumes.json" >> "$LOGS/bootstrap.log" 2>&1
  got="$(ETCDCTL_API=3 timeout 5 etcdctl --endpoints "http://$HOST:$ETCD_PORT" get --print-value-only \
          "/sorna/$ETCD_NS/config/redis/addr" 2>>"$LOGS/bootstrap.log" | head -n 1)"
  [ "$got" = "$HOST:$REDIS_PORT" ] || { show_log "$LOGS/bootstrap.log"; die "etcd config not stored (got '$got')"; }
  touch "$STACK_DIR/.etcd-done"
fi
if [ ! -e "$STACK_DIR/.db-done" ]; then
  if [ "$("${PSQL[@]}" -d "$DB_NAME" -c "SELECT to_regclass('public.alembic_version') IS NOT NULL")" != t ]; then
    log "creating the schema (mgr schema oneshot)"
    (cd "$ETC" && "${MGR[@]}" schema oneshot -f "$ETC/alembic.ini") >> "$LOGS/bootstrap.log" 2>&1 \
      || { show_log "$LOGS/bootstrap.log"; die "schema oneshot failed"; }
  fi
  log "populating fixtures"
  "${MGR[@]}" fixture populate "$HERE/fixtures.json" >> "$LOGS/bootstrap.log" 2>&1 \
    || { show_log "$LOGS/bootstrap.log"; die "fixture populate failed"; }
  # populate logs (not raises) errors: check the rows are there.
  n="$("${PSQL[@]}" -d "$DB_NAME" -c "SELECT count(*) FROM keypairs WHERE access_key IN ('AKIAINTEGADMIN000001','AKIAINTEGUSER0000002')")"
  [ "$n" = 2 ] || { show_log "$LOGS/bootstrap.log"; die "fixtures not populated (keypairs=$n)"; }
  # users.main_access_key and keypairs.user reference each other: link them after both exist.
  "${PSQL[@]}" -d "$DB_NAME" -c "UPDATE users u SET main_access_key = k.access_key FROM keypairs k
    WHERE k.\"user\" = u.uuid AND u.main_access_key IS NULL
      AND k.access_key IN ('AKIAINTEGADMIN000001','AKIAINTEGUSER0000002')" > /dev/null
  log "seeding one image row"
  "${PSQL[@]}" -d "$DB_NAME" > /dev/null <<'EOF'
INSERT INTO images (id, name, image, tag, registry, architecture, config_digest, size_bytes,
                    is_local, type, accelerators, labels, resources)
VALUES ('5c1f0a1e-0000-4000-8000-0000000000b1',
        'cr.backend.ai/stable/python:3.9-ubuntu20.04', 'stable/python', '3.9-ubuntu20.04',
        'cr.backend.ai', 'x86_64',
        'sha256:0000000000000000000000000000000000000000000000000000000000000001',
        1073741824, false, 'COMPUTE', NULL,
        '{"ai.backend.kernelspec": "1", "ai.backend.base-distro": "ubuntu20.04",
          "ai.backend.features": "batch query uid-match user-input",
          "ai.backend.runtime-type": "python", "ai.backend.runtime-path": "/usr/bin/python3",
          "ai.backend.resource.min.cpu": "1", "ai.backend.resource.min.mem": "256m",
          "ai.backend.service-ports": "ipython:pty:3000,jupyter:http:8081"}',
        '{"cpu": {"min": "1", "max": null}, "mem": {"min": "268435456", "max": null}}')
ON CONFLICT DO NOTHING;
EOF
  touch "$STACK_DIR/.db-done"
fi

# ---------------------------------------------------------------- storage-proxy
if ! alive "$RUN/storage-proxy.pid" backend.ai; then
  log "starting storage-proxy on $HOST:$SP_CLIENT_PORT (manager API $SP_MANAGER_PORT)"
  (cd "$ETC" && exec setsid "$BAI" storage start-server -f "$ETC/storage-proxy.toml" \
     >> "$LOGS/storage-proxy.log" 2>&1 < /dev/null) &
  echo $! > "$RUN/storage-proxy.pid"
fi
wait_until 60 "storage-proxy" "$RUN/storage-proxy.pid" curl -fsS -m 2 "http://$HOST:$SP_CLIENT_PORT/" \
  || { show_log "$LOGS/storage-proxy.log"; die "storage-proxy not answering"; }

# ---------------------------------------------------------------- manager
if ! alive "$RUN/manager.pid" backend.ai; then
  log "starting manager on $HOST:$MANAGER_PORT"
  (cd "$ETC" && DOCKER_HOST="unix://$RUN/no-docker.sock" exec setsid "$BAI" mgr -f "$ETC/manager.toml" start-server \
     >> "$LOGS/manager.log" 2>&1 < /dev/null) &
  echo $! > "$RUN/manager.pid"
fi
wait_until 90 "manager" "$RUN/manager.pid" curl -fsS -m 2 "http://$HOST:$MANAGER_PORT/" \
  || { show_log "$LOGS/manager.log"; die "manager not answering"; }

version_json="$(curl -fsS -m 5 "http://$HOST:$MANAGER_PORT/")"

# ---------------------------------------------------------------- env.json
"$PY" - "$HERE/fixtures.json" "$HERE/env.json" "http://$HOST:$MANAGER_PORT" "$version_json" <<'EOF'
import json, os, sys
fixtures, out, endpoint, version = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
fx = json.load(open(fixtures))
users = {u["email"]: u for u in fx["users"]}
def kp(role):
    for k in fx["keypairs"]:
        if users[k["user_id"]]["role"] == role:
            return {"access_key": k["access_key"], "secret_key": k["secret_key"],
                    "email": k["user_id"], "password": users[k["user_id"]]["password"]}
env = {
    "endpoint": endpoint,
    "api_version": version.get("version"),
    "manager_version": version.get("manager"),
    "admin": kp("superadmin"),
    "user": kp("user"),
    "domain": fx["domains"][0]["name"],
    "group": fx["groups"][0]["name"],
    "group_id": fx["groups"][0]["id"],
    "scaling_group": fx["scaling_groups"][0]["name"],
    "vfolder_host": "local:volume1",
    "image": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
}
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(env, f, indent=2)
    f.write("\n")
print(f"  admin access key: {env['admin']['access_key']}")
print(f"  user access key:  {env['user']['access_key']}")
print(f"  api version:      {env['api_version']} (manager {env['manager_version']})")
EOF

log "stack is up"
cat <<EOF
  endpoint:         http://$HOST:$MANAGER_PORT
  storage-proxy:    http://$HOST:$SP_CLIENT_PORT (manager API :$SP_MANAGER_PORT), volume $PROXY_NAME:$VOLUME_NAME -> $VFROOT
  postgres:         $HOST:$PG_PORT db=$DB_NAME   redis: $HOST:$REDIS_PORT   etcd: $HOST:$ETCD_PORT (ns $ETCD_NS)
  state:            $STACK_DIR (logs in $LOGS, pids in $RUN)
  env for tests:    $HERE/env.json (contains secret keys; not printed)
EOF
