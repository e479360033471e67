#!/usr/bin/env bash
# keystone-local.sh — a real OpenStack Keystone (Debian 12 `python3-keystone`) on 127.0.0.1, for the
# benchmark harness, served as deployments serve it: uWSGI (Debian `uwsgi-core` + `uwsgi-plugin-python3`, the
# server Debian's own `keystone` package runs) with several worker processes behind uWSGI's HTTP router, HTTP/1.1
# keep-alive, listen backlog >= 128. All state lives in one private directory; nothing listens beyond 127.0.0.1
# (the workers sit behind a 0600 unix socket) and no system keystone service is ever started.
#
#   scripts/keystone-local.sh start [--fresh] [--hash-rounds N]
#                                               install if missing (root), set up, run, print OS_* exports
#   scripts/keystone-local.sh stop [--purge]    stop what this script started (master, workers, router by
#                                               PID) and remove what start wrote for clients (openrc…)
#   scripts/keystone-local.sh status            live probe; exit 0 if it answers, 3 if not
#
# Environment: KEYSTONE_LOCAL_DIR (default /tmp/keystone-local), KEYSTONE_LOCAL_PORT (default 5000),
#              KEYSTONE_LOCAL_START_TIMEOUT (seconds to wait for /v3, default 90),
#              KEYSTONE_LOCAL_PROCESSES (uWSGI workers, default 2 x cores as Debian's keystone-uwsgi.ini
#              advises), KEYSTONE_LOCAL_LISTEN (listen backlog, default 128, at least 128).
# `start` prints only `export …` lines on stdout (progress goes to stderr), so
#   eval "$(scripts/keystone-local.sh start)"   or   source "$KEYSTONE_LOCAL_DIR/openrc"
# both work.
set -euo pipefail
umask 077

PROG=${0##*/}
DIR=${KEYSTONE_LOCAL_DIR:-/tmp/keystone-local}
PORT=${KEYSTONE_LOCAL_PORT:-5000}
START_TIMEOUT=${KEYSTONE_LOCAL_START_TIMEOUT:-90}
STOP_TIMEOUT=10
HOST=127.0.0.1
PY=/usr/bin/python3            # Debian's python (keystone's modules live there, not in pyenv & co.)
WSGI=/usr/bin/keystone-wsgi-public   # imported by uWSGI as --wsgi-file (Debian's keystone-uwsgi.ini does the same)
MANAGE=/usr/bin/keystone-manage
UWSGI=/usr/bin/uwsgi-core
UWSGI_PLUGIN_DIR=/usr/lib/uwsgi/plugins
# python3-keystone ships keystone-manage and keystone-wsgi-public (no service, no apache); uwsgi-core has the
# HTTP router plugin, uwsgi-plugin-python3 the python3 plugin.
APT_PACKAGES=(python3-keystone uwsgi-core uwsgi-plugin-python3)
NCPU=$(nproc 2>/dev/null || echo 2)
PROCESSES=${KEYSTONE_LOCAL_PROCESSES:-$((2 * NCPU))}
LISTEN=${KEYSTONE_LOCAL_LISTEN:-128}

CONF=$DIR/keystone.conf
DB=$DIR/keystone.db
PIDFILE=$DIR/keystone.pid      # the uWSGI master
CHILDREN=$DIR/keystone.children  # its workers and HTTP router, recorded at start (stop kills them by PID too)
SOCK=$DIR/uwsgi.sock            # router -> workers (mode 0600)
SERVER_JSON=$DIR/server.json    # how it is served, for the harness and `status`
LOG=$DIR/keystone.log
CREDS=$DIR/credentials
OPENRC=$DIR/openrc
ADMIN_OPENRC=$DIR/admin-openrc
ROUNDS_FILE=$DIR/.hash-rounds  # bcrypt cost of the harness users' stored hashes (written once checked)
MARKER=$DIR/.keystone-local     # marks a directory this script owns (guards --fresh's rm)
BOOTSTRAPPED=$DIR/.bootstrapped # db_sync + bootstrap done
BASE_URL=http://$HOST:$PORT
AUTH_URL=$BASE_URL/v3

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*" >&2; }

usage() {
  cat <<EOF
Usage: $PROG start [--fresh] [--hash-rounds N] | stop [--purge] | status | --help

A real OpenStack Keystone (Debian package python3-keystone) on $HOST:\$KEYSTONE_LOCAL_PORT, served by
uWSGI with $PROCESSES worker processes behind its HTTP router (HTTP/1.1 keep-alive, listen backlog $LISTEN).

  start [--fresh]  Install ${APT_PACKAGES[*]} if missing (needs root), create the state
                   directory (config, sqlite db in WAL mode, fernet + credential keys, log, pid files),
                   run uWSGI in the background (keystone-wsgi-public as its WSGI file), write
                   \$DIR/server.json (how it is served), create the bench catalog
                   (13 services x public/internal/admin), project "bench", users "bench-trustor"
                   (role member on bench) and "bench-trustee", one trust trustor->trustee, and
                   print the OS_* export lines (also written to \$DIR/openrc, mode 0600).
                   If already running with the same settings, only prints the export lines.
                   After 'stop', reuses the existing database; --fresh wipes the state directory
                   and starts over.
                   --hash-rounds N: bcrypt cost of password hashes, 4..31 (default $DEFAULT_HASH_ROUNDS,
                   short bench runs; Keystone's own default is 12, as deployments run it). A hash keeps
                   the cost it was written with, so a start whose N differs from the users' hashes
                   sets the trustor's and trustee's passwords again (same passwords, new hashes) and
                   checks the cost in the database; a running Keystone with other rounds is restarted.
  stop [--purge]   Stop the uWSGI master, workers and router started by this script (by PID; TERM, then
                   KILL) and remove openrc, admin-openrc, server.json, pid files and the socket.
                   The database, keys and credentials stay for the next start; --purge removes \$DIR.
  status           Live probe: GET /v3, keep-alive check, live workers; exit 0 if it answers, 3 if not.

Environment:
  KEYSTONE_LOCAL_DIR            state directory (default /tmp/keystone-local; now: $DIR)
  KEYSTONE_LOCAL_PORT           port on $HOST (default 5000; now: $PORT)
  KEYSTONE_LOCAL_START_TIMEOUT  seconds to wait for GET /v3 (default 90)
  KEYSTONE_LOCAL_PROCESSES      uWSGI worker processes (default 2 x cores; now: $PROCESSES)
  KEYSTONE_LOCAL_LISTEN         listen backlog, >= 128 (default 128; now: $LISTEN)
EOF
}

[[ $PORT =~ ^[0-9]+$ ]] && (( PORT > 0 && PORT < 65536 )) || die "KEYSTONE_LOCAL_PORT must be a port number, got '$PORT'"
[[ $PROCESSES =~ ^[0-9]+$ ]] && (( PROCESSES >= 1 && PROCESSES <= 64 )) || die "KEYSTONE_LOCAL_PROCESSES must be 1..64, got '$PROCESSES'"
[[ $LISTEN =~ ^[0-9]+$ ]] && (( LISTEN >= 128 && LISTEN <= 65535 )) || die "KEYSTONE_LOCAL_LISTEN must be 128..65535, got '$LISTEN'"
DEFAULT_HASH_ROUNDS=4
HASH_ROUNDS=$DEFAULT_HASH_ROUNDS
[[ $DIR == /* && $DIR != / ]] || die "KEYSTONE_LOCAL_DIR must be an absolute path other than /, got '$DIR'"
DIR=${DIR%/}

# --- helpers -----------------------------------------------------------------------------------------

# Holds a lock (sibling of $DIR, so --fresh can wipe $DIR) so concurrent start/stop calls serialise.
take_lock() {
  mkdir -p "$(dirname "$DIR")"
  exec 9>"$DIR.lock"
  flock -w 900 9 || die "could not lock $DIR.lock within 900 s (another $PROG start/stop is stuck?)"
}

# v3 answers with a version document (loopback only, never through a proxy).
v3_answers() {
  curl -fsS --noproxy '*' --max-time "${1:-2}" -o /dev/null "$AUTH_URL" 2>/dev/null
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

read_pid() {
  local pid=""
  [[ -f $PIDFILE ]] && pid=$(<"$PIDFILE") || true
  [[ $pid =~ ^[0-9]+$ ]] && echo "$pid" || true
}

# True if PID is alive (not a zombie) and is a uWSGI process (master, worker or router: workers and router are
# forks with the same command line) serving keystone with our config.
is_our_keystone() {
  local pid=$1 cmd state
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ -n $state && $state != Z ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  [[ $cmd == *uwsgi* && $cmd == *keystone-wsgi-public* && $cmd == *"OS_KEYSTONE_CONFIG_FILES=$CONF"* ]]
}

children_of() {  # direct children of PID (workers and the HTTP router of a uWSGI master)
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

recorded_child_alive() {  # a worker or router recorded at start is still ours (its master died)
  local p
  [[ -s $CHILDREN ]] || return 1
  while read -r p; do [[ $p =~ ^[0-9]+$ ]] && is_our_keystone "$p" && return 0; done <"$CHILDREN"
  return 1
}

# The bcrypt cost the harness users' hashes were checked to have (null until a start has checked them).
hash_rounds_applied() { local r=""; [[ -s $ROUNDS_FILE ]] && r=$(<"$ROUNDS_FILE"); [[ $r =~ ^[0-9]+$ ]] && echo "$r" || echo null; }

# The rounds the running server's config asks for (empty if none).
conf_rounds() { sed -n 's/^password_hash_rounds = \([0-9]*\)$/\1/p' "$CONF" 2>/dev/null || true; }

uwsgi_version() { "$UWSGI" --version 2>/dev/null | head -n 1; }

gone() {  # PID no longer exists (or is a zombie awaiting its reaper)
  local state
  [[ -e /proc/$1 ]] || return 0
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [[ -z $state || $state == Z ]]
}

log_tail() { [[ -f $LOG ]] && tail -n "${1:-25}" "$LOG" | sed 's/^/    | /' >&2 || true; }

# --- install -----------------------------------------------------------------------------------------

install_if_missing() {
  if [[ -x $MANAGE && -x $WSGI && -x $UWSGI && -f $UWSGI_PLUGIN_DIR/python3_plugin.so && -f $UWSGI_PLUGIN_DIR/http_plugin.so ]] \
     && "$PY" -c 'import keystone' 2>/dev/null; then
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "keystone is not installed; run '$PROG start' as root once to apt-get install ${APT_PACKAGES[*]}"
  say "installing ${APT_PACKAGES[*]} with apt-get (about a minute)…"
  local policy=/usr/sbin/policy-rc.d created_policy=0 apt_log
  apt_log=$(mktemp /tmp/keystone-local-apt.XXXXXX.log)
  # Forbid any service start-up during the install (no system keystone/apache/memcached may run).
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, written by %s\nexit 101\n' "$PROG" >"$policy"
    chmod 0755 "$policy"
    created_policy=1
  fi
  local rc=0
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${APT_PACKAGES[@]}" >>"$apt_log" 2>&1
  }
  if ! apt_install; then
    say "apt-get install failed; running apt-get update and retrying once"
    { apt-get update -o DPkg::Lock::Timeout=600 >>"$apt_log" 2>&1 && apt_install; } || rc=$?
  fi
  (( created_policy )) && rm -f "$policy"
  if (( rc != 0 )); then
    tail -n 15 "$apt_log" | sed 's/^/    | /' >&2
    die "apt-get install ${APT_PACKAGES[*]} failed (exit $rc); full log: $apt_log"
  fi
  rm -f "$apt_log"
  [[ -x $MANAGE && -x $WSGI && -x $UWSGI && -f $UWSGI_PLUGIN_DIR/python3_plugin.so ]] \
    || die "installed ${APT_PACKAGES[*]} but $MANAGE / $WSGI / $UWSGI / the python3 plugin are missing"
}

# --- state -------------------------------------------------------------------------------------------

write_conf() {
  cat >"$CONF" <<EOF
# Written by $PROG — private keystone for keystone-cache-bench. Regenerated on every start.
[DEFAULT]
debug = false

[database]
connection = sqlite:///$DB
sqlite_synchronous = false

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $DIR/fernet-keys

[fernet_receipts]
key_repository = $DIR/fernet-keys

[credential]
key_repository = $DIR/credential-keys

[identity]
# bcrypt cost 2^N (Keystone's default 12; this script's default 4: password auth in ms instead of ~0.2-0.5 s).
# Applies to passwords set afterwards: start sets the harness users' passwords again when N changes.
password_hash_rounds = $HASH_ROUNDS
# bcrypt uses at most 72 bytes anyway; with the 4096 default keystone logs a warning on every auth.
max_password_length = 72

[cache]
enabled = true
backend = dogpile.cache.memory
EOF
}

gen_password() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))'; }

ensure_credentials() {
  if [[ ! -s $CREDS ]]; then
    cat >"$CREDS" <<EOF
# Written once by $PROG. Secrets: keep mode 0600.
KEYSTONE_LOCAL_ADMIN_PASSWORD='$(gen_password)'
KEYSTONE_LOCAL_TRUSTOR_USERNAME='bench-trustor'
KEYSTONE_LOCAL_TRUSTOR_PASSWORD='$(gen_password)'
KEYSTONE_LOCAL_TRUSTEE_USERNAME='bench-trustee'
KEYSTONE_LOCAL_TRUSTEE_PASSWORD='$(gen_password)'
KEYSTONE_LOCAL_TRUST_ID=''
EOF
  fi
  chmod 0600 "$CREDS"
  # shellcheck disable=SC1090
  source "$CREDS"
}

set_trust_id() {
  local id=$1 tmp
  [[ $id =~ ^[0-9a-f]{32}$ ]] || die "provisioning returned a malformed trust id"
  tmp=$(mktemp "$DIR/.credentials.XXXXXX")
  grep -v '^KEYSTONE_LOCAL_TRUST_ID=' "$CREDS" >"$tmp" || true
  echo "KEYSTONE_LOCAL_TRUST_ID='$id'" >>"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$CREDS"
  KEYSTONE_LOCAL_TRUST_ID=$id
}

manage() {  # keystone-manage with our config; its output goes to the log
  "$MANAGE" --config-file "$CONF" "$@" >>"$LOG" 2>&1 || {
    log_tail 20
    die "keystone-manage $1 failed (log: $LOG)"
  }
}

prepare_state() {
  mkdir -p "$DIR"
  chmod 0700 "$DIR"
  touch "$MARKER"
  write_conf
  ensure_credentials
  local uid gid
  uid=$(id -u) gid=$(id -g)
  if [[ ! -s $DIR/fernet-keys/0 ]]; then
    manage fernet_setup --keystone-user "$uid" --keystone-group "$gid"
  fi
  if [[ ! -s $DIR/credential-keys/0 ]]; then
    manage credential_setup --keystone-user "$uid" --keystone-group "$gid"
  fi
  if [[ ! -f $BOOTSTRAPPED || ! -s $DB ]]; then
    say "creating the database (db_sync + bootstrap, ~10-20 s)…"
    manage db_sync
    # Concurrent requests + sqlite rollback journal => "database is locked" on writes.
    local mode
    mode=$("$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA journal_mode=WAL;").fetchone()[0]); c.close()' "$DB")
    [[ $mode == wal ]] || die "could not switch $DB to WAL journal mode (got '$mode')"
    OS_BOOTSTRAP_PASSWORD=$KEYSTONE_LOCAL_ADMIN_PASSWORD manage bootstrap \
      --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
      --bootstrap-admin-url "$AUTH_URL" --bootstrap-internal-url "$AUTH_URL" --bootstrap-public-url "$AUTH_URL"
    touch "$BOOTSTRAPPED"
  fi
}

# --- server ------------------------------------------------------------------------------------------

check_port_free() {
  if port_in_use; then
    die "port $PORT on $HOST is already in use by another process (set KEYSTONE_LOCAL_PORT)"
  fi
}

# uWSGI as Debian's keystone-uwsgi.ini runs it (master, lazy-apps, die-on-term, thunder-lock, 64 KiB buffer,
# --wsgi-file keystone-wsgi-public), with an HTTP router in front: `--http-socket` in uWSGI 2.0 closes the
# connection after every response (measured: curl cannot reuse it), and a worker that held a keep-alive
# connection would sit idle on it; the router keeps client connections alive (HTTP/1.1) without tying a worker to
# them, as haproxy or Apache do in front of keystone in deployments. One thread per worker: 2 cores, sqlite.
server_description() { echo "uwsgi $(uwsgi_version), $PROCESSES processes, HTTP/1.1 keep-alive"; }

start_server() {
  check_port_free
  rm -f "$PIDFILE" "$CHILDREN" "$SOCK"
  local log_start
  log_start=$(( $(wc -l <"$LOG" 2>/dev/null || echo 0) + 1 ))
  echo "=== $(date -Is) $PROG: starting $(server_description) on $BASE_URL" >>"$LOG"
  # New session (setsid) + nohup: survives the caller's shell/job; the inner shell writes its own pid
  # and then exec's uWSGI, so the pid file names the uWSGI master itself.
  setsid bash -c 'echo $$ >"$1"; shift; exec nohup "$@"' keystone-local-launch "$PIDFILE" \
    "$UWSGI" --plugin-dir "$UWSGI_PLUGIN_DIR" --plugins http,python3 \
    --master --processes "$PROCESSES" --threads 1 --enable-threads --thunder-lock --lazy-apps \
    --http "$HOST:$PORT" --http-keepalive --listen "$LISTEN" \
    --socket "$SOCK" --chmod-socket=600 \
    --wsgi-file "$WSGI" --env "OS_KEYSTONE_CONFIG_FILES=$CONF" --need-app \
    --buffer-size 65535 --die-on-term --no-orphans --worker-reload-mercy 5 --reload-mercy 5 --vacuum \
    >>"$LOG" 2>&1 </dev/null 9>&- &   # 9>&-: the daemon must not inherit (and hold) our flock
  local deadline=$((SECONDS + START_TIMEOUT)) pid="" ready=0
  while :; do
    [[ -z $pid ]] && pid=$(read_pid)
    if [[ -n $pid ]] && gone "$pid"; then
      log_tail 25
      rm -f "$PIDFILE"
      die "uWSGI (pid $pid) exited during start-up; log: $LOG"
    fi
    # lazy-apps: each worker loads keystone itself ("WSGI app 0 … ready" once per worker); wait for all of
    # them so the first sample does not pay for start-up.
    ready=$(tail -n "+$log_start" "$LOG" | grep -c "WSGI app 0 (mountpoint='') ready" || true)
    if [[ -n $pid ]] && (( ready >= PROCESSES )) && v3_answers 2; then
      break
    fi
    if (( SECONDS >= deadline )); then
      log_tail 25
      [[ -n $pid ]] && stop_pid "$pid"
      rm -f "$PIDFILE"
      die "uWSGI did not get $PROCESSES workers ready (got $ready) and GET $AUTH_URL answering within ${START_TIMEOUT} s; log: $LOG"
    fi
    sleep 0.2
  done
  is_our_keystone "$pid" || die "pid $pid answering on $AUTH_URL is not our uWSGI keystone"
  children_of "$pid" >"$CHILDREN"
  write_server_json "$pid"
  say "uWSGI running: master pid $pid, $(wc -l <"$CHILDREN") children (workers + HTTP router), $AUTH_URL"
}

write_server_json() {
  local tmp
  tmp=$(mktemp "$DIR/.server.json.XXXXXX")
  chmod 0644 "$tmp"
  cat >"$tmp" <<EOF
{
  "server": "$(server_description)",
  "software": "uwsgi",
  "version": "$(uwsgi_version)",
  "processes": $PROCESSES,
  "threadsPerProcess": 1,
  "front": "uWSGI HTTP router (--http --http-keepalive)",
  "http": "HTTP/1.1 keep-alive",
  "listenBacklog": $LISTEN,
  "url": "$AUTH_URL",
  "masterPid": $1,
  "passwordHashRounds": $(hash_rounds_applied),
  "tokenProvider": "fernet",
  "tokenExpirationS": 3600,
  "cache": "dogpile.cache.memory (in each worker process)",
  "database": "$DB",
  "startedAt": "$(date -Is)"
}
EOF
  mv -f "$tmp" "$SERVER_JSON"
}

# Idempotent catalog/users/trust setup over the REST API (Python stdlib urllib, loopback, no proxy).
# Prints the trust id on stdout. Secrets come in through the environment, never argv.
provision() {
  KS_URL=$AUTH_URL KS_PORT=$PORT \
  KS_ADMIN_PASSWORD=$KEYSTONE_LOCAL_ADMIN_PASSWORD \
  KS_TRUSTOR=$KEYSTONE_LOCAL_TRUSTOR_USERNAME KS_TRUSTOR_PASSWORD=$KEYSTONE_LOCAL_TRUSTOR_PASSWORD \
  KS_TRUSTEE=$KEYSTONE_LOCAL_TRUSTEE_USERNAME KS_TRUSTEE_PASSWORD=$KEYSTONE_LOCAL_TRUSTEE_PASSWORD \
  KS_TRUST_ID=${KEYSTONE_LOCAL_TRUST_ID:-} \
  KS_HASH_ROUNDS=$HASH_ROUNDS KS_DB=$DB KS_ROUNDS_FILE=$ROUNDS_FILE \
  "$PY" - <<'PYEOF'
import json, os, sqlite3, sys, time, urllib.error, urllib.request

URL = os.environ["KS_URL"]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
DOMAIN = {"name": "Default"}
REGION = "RegionOne"

def req(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    r = urllib.request.Request(URL + path, data=data, method=method)
    r.add_header("Accept", "application/json")
    if data is not None:
        r.add_header("Content-Type", "application/json")
    if token:
        r.add_header("X-Auth-Token", token)
    try:
        with OPENER.open(r, timeout=60) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, headers, raw = e.code, e.headers, e.read()
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    return status, headers, doc

def must(expected, method, path, body=None, token=None):
    status, headers, doc = req(method, path, body, token)
    if status not in expected:
        msg = (doc or {}).get("error", {}).get("message", "") if isinstance(doc, dict) else ""
        sys.exit(f"{method} {path.split('?')[0]} -> HTTP {status} {msg}".strip())
    return headers, doc

def token_for(user, password, scope):
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "domain": DOMAIN, "password": password}}}, "scope": scope}}
    status, headers, doc = req("POST", "/auth/tokens?nocatalog", body)
    return status, headers.get("X-Subject-Token"), doc

def project_scope(name):
    return {"project": {"name": name, "domain": DOMAIN}}

st, admin, _ = token_for("admin", os.environ["KS_ADMIN_PASSWORD"], project_scope("admin"))
if st != 201:
    sys.exit(f"admin authentication failed: HTTP {st}")

def find_or_create(collection, key, query, create_body):
    _, doc = must((200,), "GET", f"/{collection}?{query}", token=admin)
    if doc[collection]:
        return doc[collection][0]
    _, doc = must((201,), "POST", f"/{collection}", {key: create_body}, admin)
    return doc[key]

# --- catalog: identity comes from bootstrap; 12 more services x public/internal/admin -------------
SERVICES = [  # type, name, description, url (internal/admin same host: everything is on 127.0.0.1)
    ("compute", "nova", "OpenStack Compute Service", "http://127.0.0.1:8774/v2.1"),
    ("network", "neutron", "OpenStack Networking", "http://127.0.0.1:9696"),
    ("image", "glance", "OpenStack Image", "http://127.0.0.1:9292"),
    ("volumev3", "cinderv3", "OpenStack Block Storage", "http://127.0.0.1:8776/v3/%(project_id)s"),
    ("object-store", "swift", "OpenStack Object Storage", "http://127.0.0.1:8080/v1/AUTH_%(project_id)s"),
    ("orchestration", "heat", "OpenStack Orchestration", "http://127.0.0.1:8004/v1/%(project_id)s"),
    ("placement", "placement", "Placement API", "http://127.0.0.1:8778"),
    ("metric", "gnocchi", "OpenStack Metric Service", "http://127.0.0.1:8041"),
    ("alarming", "aodh", "OpenStack Alarming Service", "http://127.0.0.1:8042"),
    ("event", "panko", "OpenStack Event Service", "http://127.0.0.1:8977"),
    ("key-manager", "barbican", "Key Management Service", "http://127.0.0.1:9311"),
    ("dns", "designate", "DNS Service", "http://127.0.0.1:9001"),
]
for stype, name, desc, url in SERVICES:
    svc = find_or_create("services", "service", f"type={stype}",
                         {"type": stype, "name": name, "description": desc, "enabled": True})
    _, doc = must((200,), "GET", f"/endpoints?service_id={svc['id']}", token=admin)
    have = {e["interface"] for e in doc["endpoints"]}
    for iface in ("public", "internal", "admin"):
        if iface not in have:
            must((201,), "POST", "/endpoints", {"endpoint": {
                "service_id": svc["id"], "interface": iface, "region_id": REGION,
                "url": url, "enabled": True}}, admin)

_, doc = must((200,), "GET", "/services", token=admin)
n_services = len(doc["services"])
_, doc = must((200,), "GET", "/endpoints", token=admin)
n_endpoints = len(doc["endpoints"])

# --- project, role, users, assignments ----------------------------------------------------------------
project = find_or_create("projects", "project", "name=bench&domain_id=default",
                         {"name": "bench", "domain_id": "default", "enabled": True,
                          "description": "keystone-cache-bench"})
member = find_or_create("roles", "role", "name=member", {"name": "member"})

def ensure_user(name, password, description):
    user = find_or_create("users", "user", f"name={name}&domain_id=default",
                          {"name": name, "domain_id": "default", "password": password,
                           "enabled": True, "default_project_id": project["id"],
                           "description": description})
    must((204,), "PUT", f"/projects/{project['id']}/users/{user['id']}/roles/{member['id']}", token=admin)
    st, _, _ = token_for(name, password, project_scope("bench"))
    if st != 201:  # only if the stored password drifted: changing it revokes the user's tokens
        must((200,), "PATCH", f"/users/{user['id']}", {"user": {"password": password}}, admin)
        st, _, _ = token_for(name, password, project_scope("bench"))
        if st != 201:
            sys.exit(f"cannot authenticate as {name} after setting its password: HTTP {st}")
    return user

trustor = ensure_user(os.environ["KS_TRUSTOR"], os.environ["KS_TRUSTOR_PASSWORD"], "bench trustor (alarm owner)")
trustee = ensure_user(os.environ["KS_TRUSTEE"], os.environ["KS_TRUSTEE_PASSWORD"], "bench trustee (aodh service user)")

# --- bcrypt cost: a stored hash keeps the cost it was written with, so the config alone changes nothing for
# existing users. Read each user's current hash ("$2b$<cost>$...") and set the same password again when the
# cost differs; then check it. Setting a password revokes that user's earlier tokens (a revocation event).
ROUNDS = int(os.environ["KS_HASH_ROUNDS"])

def stored_cost(user_id):
    db = sqlite3.connect(f"file:{os.environ['KS_DB']}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT p.password_hash FROM password p JOIN local_user l ON p.local_user_id = l.id "
                         "WHERE l.user_id = ? ORDER BY p.created_at_int DESC, p.id DESC LIMIT 1", (user_id,)).fetchone()
    finally:
        db.close()
    parts = (row[0] if row and row[0] else "").split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None

for user, password in ((trustor, os.environ["KS_TRUSTOR_PASSWORD"]), (trustee, os.environ["KS_TRUSTEE_PASSWORD"])):
    if stored_cost(user["id"]) != ROUNDS:
        print(f"setting {user['name']}'s password again so its hash has cost {ROUNDS}", file=sys.stderr)
        must((200,), "PATCH", f"/users/{user['id']}", {"user": {"password": password}}, admin)
        got = stored_cost(user["id"])
        if got != ROUNDS:
            sys.exit(f"{user['name']}'s password hash has cost {got}, not {ROUNDS}")
        # the change revoked the user's tokens issued up to this second (Fernet issued_at has whole seconds):
        # a token taken in the same second would be refused
        time.sleep(1.1)
with open(os.environ["KS_ROUNDS_FILE"], "w") as f:
    f.write(f"{ROUNDS}\n")

# --- the script's own trust: trustor -> trustee, role member on bench, no impersonation --------------
st, trustor_token, _ = token_for(os.environ["KS_TRUSTOR"], os.environ["KS_TRUSTOR_PASSWORD"], project_scope("bench"))
if st != 201:
    sys.exit(f"trustor authentication failed: HTTP {st}")
trust_id = os.environ.get("KS_TRUST_ID", "")
if trust_id:
    st, _, doc = req("GET", f"/OS-TRUST/trusts/{trust_id}", token=trustor_token)
    ok = (st == 200 and doc["trust"]["trustee_user_id"] == trustee["id"]
          and doc["trust"]["project_id"] == project["id"])
    if not ok:
        trust_id = ""
if not trust_id:
    _, doc = must((201,), "POST", "/OS-TRUST/trusts", {"trust": {
        "trustor_user_id": trustor["id"], "trustee_user_id": trustee["id"],
        "project_id": project["id"], "impersonation": False,
        "roles": [{"name": "member"}]}}, trustor_token)
    trust_id = doc["trust"]["id"]

print(f"catalog: {n_services} services, {n_endpoints} endpoints; project bench, "
      f"users {os.environ['KS_TRUSTOR']} / {os.environ['KS_TRUSTEE']}, trust ready", file=sys.stderr)
print(trust_id)
PYEOF
}

write_openrc() {
  local tmp
  tmp=$(mktemp "$DIR/.openrc.XXXXXX")
  cat >"$tmp" <<EOF
# keystone-local ($AUTH_URL). keystoneauth / the openstack CLI refuse OS_PROJECT_NAME together with
# OS_TRUST_ID ("cannot be scoped to multiple targets"): unset one of them before using those tools.
export OS_AUTH_URL=$AUTH_URL
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=RegionOne
export OS_USERNAME=$KEYSTONE_LOCAL_TRUSTEE_USERNAME
export OS_PASSWORD=$KEYSTONE_LOCAL_TRUSTEE_PASSWORD
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_NAME=bench
export OS_PROJECT_DOMAIN_NAME=Default
export KEYSTONE_LOCAL_TRUSTOR_USERNAME=$KEYSTONE_LOCAL_TRUSTOR_USERNAME
export KEYSTONE_LOCAL_TRUSTOR_PASSWORD=$KEYSTONE_LOCAL_TRUSTOR_PASSWORD
export OS_TRUST_ID=$KEYSTONE_LOCAL_TRUST_ID
# How it is served (also in $SERVER_JSON); the harness records it in its results. Not a secret.
export KEYSTONE_LOCAL_SERVER="$(server_description)"
EOF
  chmod 0600 "$tmp"
  mv -f "$tmp" "$OPENRC"
  # Admin credentials for debugging; never printed.
  tmp=$(mktemp "$DIR/.admin-openrc.XXXXXX")
  cat >"$tmp" <<EOF
export OS_AUTH_URL=$AUTH_URL
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=RegionOne
export OS_USERNAME=admin
export OS_PASSWORD=$KEYSTONE_LOCAL_ADMIN_PASSWORD
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_NAME=admin
export OS_PROJECT_DOMAIN_NAME=Default
EOF
  chmod 0600 "$tmp"
  mv -f "$tmp" "$ADMIN_OPENRC"
}

# --- commands ----------------------------------------------------------------------------------------

cmd_start() {
  local fresh=0 want_rounds=0
  for a in "$@"; do
    case $a in
      --fresh) fresh=1 ;;
      --hash-rounds=*) HASH_ROUNDS=${a#*=} ;;
      --hash-rounds) want_rounds=1; continue ;;
      -h|--help) usage; exit 0 ;;
      *) (( want_rounds )) && HASH_ROUNDS=$a || die "unknown option for start: '$a' (see --help)" ;;
    esac
    want_rounds=0
  done
  (( ! want_rounds )) || die "--hash-rounds needs a number (4..31)"
  [[ $HASH_ROUNDS =~ ^[0-9]+$ ]] && (( HASH_ROUNDS >= 4 && HASH_ROUNDS <= 31 )) \
    || die "--hash-rounds must be a whole number from 4 to 31 (bcrypt's cost range), got '$HASH_ROUNDS'"
  take_lock
  local pid
  pid=$(read_pid)
  local same_rounds=0
  # (a server started before rounds were recorded ran with the config's rounds from its first user on)
  [[ $(conf_rounds) == "$HASH_ROUNDS" && $(hash_rounds_applied) =~ ^($HASH_ROUNDS|null)$ ]] && same_rounds=1
  if (( ! fresh && same_rounds )) && [[ -n $pid ]] && is_our_keystone "$pid" && [[ -s $OPENRC && -s $SERVER_JSON ]] && v3_answers 2; then
    say "already running, uWSGI master pid $pid, $AUTH_URL (variables from $OPENRC)"
    cat "$OPENRC"
    return 0
  fi
  if [[ -n $pid ]] && { is_our_keystone "$pid" || recorded_child_alive; }; then
    if (( fresh )); then say "--fresh: stopping uWSGI pid $pid first"
    elif (( ! same_rounds )); then say "restarting uWSGI pid $pid with password_hash_rounds = $HASH_ROUNDS"
    else say "uWSGI pid $pid is not answering on $AUTH_URL (or set-up was incomplete); restarting it"; fi
    stop_pid "$pid"
  fi
  remove_client_files
  if (( fresh )) && [[ -e $DIR ]]; then
    if [[ -f $MARKER ]] || [[ -z $(ls -A "$DIR" 2>/dev/null) ]]; then
      say "--fresh: removing $DIR"
      rm -rf "$DIR"
    else
      die "--fresh: $DIR exists but was not created by $PROG (no $MARKER); refusing to delete it"
    fi
  fi
  check_port_free
  install_if_missing
  prepare_state
  start_server
  local trust_id
  trust_id=$(provision) || { log_tail 15; stop_pid "$(read_pid)"; remove_client_files; die "provisioning over the REST API failed (log: $LOG)"; }
  set_trust_id "$trust_id"
  write_server_json "$(read_pid)"   # again: now with the password hash cost provisioning checked
  write_openrc
  say "ready: $AUTH_URL — variables also in $OPENRC (source it)"
  cat "$OPENRC"
}

# Stop the uWSGI master PID and every process it started (workers, HTTP router): the children recorded at start
# plus its live children (a respawned worker has a new PID). TERM the master (die-on-term: it stops its
# workers), bounded wait, then KILL whatever of ours is left, bounded wait. Only PIDs that are our uWSGI.
stop_pid() {
  local pid=$1 p
  local -a pids=()
  [[ -n $pid ]] && is_our_keystone "$pid" && pids+=("$pid") && mapfile -t -O "${#pids[@]}" pids < <(children_of "$pid")
  if [[ -s $CHILDREN ]]; then
    while read -r p; do [[ $p =~ ^[0-9]+$ ]] && pids+=("$p"); done <"$CHILDREN"
  fi
  local -a ours=()
  for p in "${pids[@]}"; do is_our_keystone "$p" && ours+=("$p"); done
  (( ${#ours[@]} )) || return 0
  if [[ -n $pid ]] && is_our_keystone "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
  else  # master gone: its orphans get TERM directly
    for p in "${ours[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  fi
  all_gone() { local q; for q in "${ours[@]}"; do gone "$q" || return 1; done; }
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while ! all_gone && (( SECONDS < deadline )); do sleep 0.1; done
  if ! all_gone; then
    for p in "${ours[@]}"; do
      if ! gone "$p" && is_our_keystone "$p"; then
        say "pid $p still alive after ${STOP_TIMEOUT} s; sending KILL"
        kill -KILL "$p" 2>/dev/null || true
      fi
    done
    deadline=$((SECONDS + 5))
    while ! all_gone && (( SECONDS < deadline )); do sleep 0.1; done
    all_gone || die "uWSGI process(es) ${ours[*]} survived SIGKILL"
  fi
}

# What start wrote for clients and for `status`: removed by stop so nothing left over can pass for a running
# Keystone. The database, keys and credentials stay (the next start reuses them) unless --purge.
remove_client_files() {
  rm -f "$OPENRC" "$ADMIN_OPENRC" "$SERVER_JSON" "$PIDFILE" "$CHILDREN" "$SOCK"
}

cmd_stop() {
  local purge=0
  for a in "$@"; do
    case $a in
      --purge) purge=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option for stop: '$a' (see --help)" ;;
    esac
  done
  take_lock
  local pid
  pid=$(read_pid)
  if [[ -n $pid ]] && { is_our_keystone "$pid" || recorded_child_alive; }; then
    stop_pid "$pid"
    echo "=== $(date -Is) $PROG: stopped uWSGI master pid $pid and its children" >>"$LOG"
    say "stopped (uWSGI master pid $pid and its workers and router)"
  elif [[ -n $pid ]]; then
    say "not running (stale pid file: pid $pid is not our uWSGI keystone; no worker left); removing leftover files"
  else
    say "not running (no pid file in $DIR)"
  fi
  remove_client_files
  if (( purge )) && [[ -d $DIR ]]; then
    if [[ -f $MARKER ]]; then
      rm -rf "$DIR"
      say "--purge: removed $DIR"
    else
      die "--purge: $DIR was not created by $PROG (no $MARKER); refusing to delete it"
    fi
  fi
}

# Live probe: our master alive, GET /v3 answers with a version document, and two requests share one
# connection (HTTP/1.1 keep-alive). Exit 0 if it answers, 3 if not.
cmd_status() {
  [[ $# -eq 0 ]] || { [[ $1 == -h || $1 == --help ]] && { usage; exit 0; }; die "status takes no arguments"; }
  local pid desc="" probe version workers
  pid=$(read_pid)
  [[ -s $SERVER_JSON ]] && desc=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["server"])' "$SERVER_JSON" 2>/dev/null || true)
  if [[ -z $pid ]] || ! is_our_keystone "$pid"; then
    echo "stopped ($AUTH_URL, dir $DIR)"
    exit 3
  fi
  # Two GETs in one curl: num_connects is 1 then 0 when the second reused the connection.
  probe=$(curl -sS --noproxy '*' --max-time 5 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects} %{http_version}\n' \
    "$AUTH_URL" "$AUTH_URL" 2>/dev/null || true)
  version=$(curl -fsS --noproxy '*' --max-time 5 "$AUTH_URL" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["version"]["id"])' 2>/dev/null || true)
  if [[ -z $version ]]; then
    echo "stopped: uWSGI master pid $pid is alive but $AUTH_URL does not answer (starting, or hung; log $LOG)"
    exit 3
  fi
  workers=0
  local p
  for p in $(children_of "$pid"); do is_our_keystone "$p" && workers=$((workers + 1)); done
  local ka="keep-alive NOT observed"
  [[ $(sed -n 2p <<<"$probe") == "200 0 1.1" ]] && ka="HTTP/1.1 keep-alive verified (2 requests, 1 connection)"
  echo "running: $AUTH_URL Keystone API $version; ${desc:-uwsgi}; master pid $pid with $workers live children (workers + HTTP router); $ka; dir $DIR"
  exit 0
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  -h|--help|help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "$PROG: error: unknown command '$1' (expected start, stop, status or --help)" >&2; exit 2 ;;
esac
