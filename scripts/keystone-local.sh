#!/usr/bin/env bash
# keystone-local.sh — a real OpenStack Keystone (Debian 12 `python3-keystone`) on 127.0.0.1, for the
# benchmark harness. All state lives in one private directory; nothing listens beyond 127.0.0.1 and no
# system keystone service is ever started.
#
#   scripts/keystone-local.sh start [--fresh]   install if missing (root), set up, run, print OS_* exports
#   scripts/keystone-local.sh stop              stop the keystone this script started (pid file only)
#   scripts/keystone-local.sh status            running/stopped; exit 0 if running, 3 if not
#
# Environment: KEYSTONE_LOCAL_DIR (default /tmp/keystone-local), KEYSTONE_LOCAL_PORT (default 5000),
#              KEYSTONE_LOCAL_START_TIMEOUT (seconds to wait for /v3, default 90).
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
WSGI=/usr/bin/keystone-wsgi-public
MANAGE=/usr/bin/keystone-manage
APT_PACKAGES=(python3-keystone)  # ships keystone-manage and keystone-wsgi-public; no service, no apache

CONF=$DIR/keystone.conf
DB=$DIR/keystone.db
PIDFILE=$DIR/keystone.pid
LOG=$DIR/keystone.log
CREDS=$DIR/credentials
OPENRC=$DIR/openrc
ADMIN_OPENRC=$DIR/admin-openrc
MARKER=$DIR/.keystone-local     # marks a directory this script owns (guards --fresh's rm)
BOOTSTRAPPED=$DIR/.bootstrapped # db_sync + bootstrap done
BASE_URL=http://$HOST:$PORT
AUTH_URL=$BASE_URL/v3

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*" >&2; }

usage() {
  cat <<EOF
Usage: $PROG start [--fresh] | stop | status | --help

A real OpenStack Keystone (Debian package python3-keystone) on $HOST:\$KEYSTONE_LOCAL_PORT.

  start [--fresh]  Install python3-keystone if missing (needs root), create the state directory
                   (config, sqlite db in WAL mode, fernet + credential keys, log, pid file),
                   run keystone-wsgi-public in the background, create the bench catalog
                   (13 services x public/internal/admin), project "bench", users "bench-trustor"
                   (role member on bench) and "bench-trustee", one trust trustor->trustee, and
                   print the OS_* export lines (also written to \$DIR/openrc, mode 0600).
                   If already running, only prints the export lines. After 'stop', reuses the
                   existing database; --fresh wipes the state directory and starts over.
  stop             Stop the keystone started by this script (pid file; TERM, then KILL).
  status           Print running/stopped with pid and URL; exit 0 if running, 3 if not.

Environment:
  KEYSTONE_LOCAL_DIR            state directory (default /tmp/keystone-local; now: $DIR)
  KEYSTONE_LOCAL_PORT           port on $HOST (default 5000; now: $PORT)
  KEYSTONE_LOCAL_START_TIMEOUT  seconds to wait for GET /v3 (default 90)
EOF
}

[[ $PORT =~ ^[0-9]+$ ]] && (( PORT > 0 && PORT < 65536 )) || die "KEYSTONE_LOCAL_PORT must be a port number, got '$PORT'"
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

# True if PID is alive (not a zombie) and is the keystone-wsgi-public started with our config.
is_our_keystone() {
  local pid=$1 cmd state
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ -n $state && $state != Z ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  [[ $cmd == *keystone-wsgi-public* && $cmd == *"$CONF"* ]]
}

gone() {  # PID no longer exists (or is a zombie awaiting its reaper)
  local state
  [[ -e /proc/$1 ]] || return 0
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [[ -z $state || $state == Z ]]
}

log_tail() { [[ -f $LOG ]] && tail -n "${1:-25}" "$LOG" | sed 's/^/    | /' >&2 || true; }

# --- install -----------------------------------------------------------------------------------------

install_if_missing() {
  if [[ -x $MANAGE && -x $WSGI ]] && "$PY" -c 'import keystone' 2>/dev/null; then
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
  [[ -x $MANAGE && -x $WSGI ]] || die "installed ${APT_PACKAGES[*]} but $MANAGE / $WSGI are missing"
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
# bcrypt cost 2^4 (default 12): password auth in ms instead of ~0.5 s. Must be set before users exist.
password_hash_rounds = 4
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
    # The single-threaded wsgiref server + sqlite rollback journal => "database is locked" on writes.
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

start_server() {
  check_port_free
  rm -f "$PIDFILE"
  echo "=== $(date -Is) $PROG: starting keystone-wsgi-public on $BASE_URL" >>"$LOG"
  # New session (setsid) + nohup: survives the caller's shell/job; the inner shell writes its own pid
  # and then exec's keystone, so the pid file names the keystone process itself.
  setsid bash -c 'echo $$ >"$1"; shift; exec nohup "$@"' keystone-local-launch "$PIDFILE" \
    "$PY" "$WSGI" --host "$HOST" --port "$PORT" -- --config-file "$CONF" \
    >>"$LOG" 2>&1 </dev/null 9>&- &   # 9>&-: the daemon must not inherit (and hold) our flock
  local deadline=$((SECONDS + START_TIMEOUT)) pid=""
  while :; do
    [[ -z $pid ]] && pid=$(read_pid)
    if [[ -n $pid ]] && gone "$pid"; then
      log_tail 25
      rm -f "$PIDFILE"
      die "keystone-wsgi-public (pid $pid) exited during start-up; log: $LOG"
    fi
    if [[ -n $pid ]] && v3_answers 2; then
      break
    fi
    if (( SECONDS >= deadline )); then
      log_tail 25
      [[ -n $pid ]] && stop_pid "$pid"
      rm -f "$PIDFILE"
      die "GET $AUTH_URL did not answer within ${START_TIMEOUT} s; log: $LOG"
    fi
    sleep 0.2
  done
  is_our_keystone "$pid" || die "pid $pid answering on $AUTH_URL is not our keystone-wsgi-public"
  say "keystone-wsgi-public running, pid $pid, $AUTH_URL"
}

# Idempotent catalog/users/trust setup over the REST API (Python stdlib urllib, loopback, no proxy).
# Prints the trust id on stdout. Secrets come in through the environment, never argv.
provision() {
  KS_URL=$AUTH_URL KS_PORT=$PORT \
  KS_ADMIN_PASSWORD=$KEYSTONE_LOCAL_ADMIN_PASSWORD \
  KS_TRUSTOR=$KEYSTONE_LOCAL_TRUSTOR_USERNAME KS_TRUSTOR_PASSWORD=$KEYSTONE_LOCAL_TRUSTOR_PASSWORD \
  KS_TRUSTEE=$KEYSTONE_LOCAL_TRUSTEE_USERNAME KS_TRUSTEE_PASSWORD=$KEYSTONE_LOCAL_TRUSTEE_PASSWORD \
  KS_TRUST_ID=${KEYSTONE_LOCAL_TRUST_ID:-} \
  "$PY" - <<'PYEOF'
import json, os, sys, urllib.error, urllib.request

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
  local fresh=0
  for a in "$@"; do
    case $a in
      --fresh) fresh=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option for start: '$a' (see --help)" ;;
    esac
  done
  take_lock
  local pid
  pid=$(read_pid)
  if (( ! fresh )) && [[ -n $pid ]] && is_our_keystone "$pid" && [[ -s $OPENRC ]] && v3_answers 2; then
    say "already running, pid $pid, $AUTH_URL (variables from $OPENRC)"
    cat "$OPENRC"
    return 0
  fi
  if [[ -n $pid ]] && is_our_keystone "$pid"; then
    (( fresh )) && say "--fresh: stopping pid $pid first" || say "pid $pid is not answering on $AUTH_URL; restarting it"
    stop_pid "$pid"
  fi
  rm -f "$PIDFILE"
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
  trust_id=$(provision) || { log_tail 15; stop_pid "$(read_pid)"; die "provisioning over the REST API failed (log: $LOG)"; }
  set_trust_id "$trust_id"
  write_openrc
  say "ready: $AUTH_URL — variables also in $OPENRC (source it)"
  cat "$OPENRC"
}

stop_pid() {  # TERM, bounded wait, KILL, bounded wait — only if PID is our keystone
  local pid=$1
  [[ -n $pid ]] || return 0
  is_our_keystone "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while ! gone "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
  if ! gone "$pid"; then
    say "pid $pid still alive after ${STOP_TIMEOUT} s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while ! gone "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
    gone "$pid" || die "pid $pid survived SIGKILL"
  fi
}

cmd_stop() {
  [[ $# -eq 0 ]] || { [[ $1 == -h || $1 == --help ]] && { usage; exit 0; }; die "stop takes no arguments"; }
  take_lock
  local pid
  pid=$(read_pid)
  if [[ -z $pid ]]; then
    say "not running (no pid file in $DIR)"
    return 0
  fi
  if ! is_our_keystone "$pid"; then
    say "not running (stale pid file: pid $pid is not our keystone-wsgi-public); removing it"
    rm -f "$PIDFILE"
    return 0
  fi
  stop_pid "$pid"
  rm -f "$PIDFILE"
  echo "=== $(date -Is) $PROG: stopped pid $pid" >>"$LOG"
  say "stopped (pid $pid)"
}

cmd_status() {
  [[ $# -eq 0 ]] || { [[ $1 == -h || $1 == --help ]] && { usage; exit 0; }; die "status takes no arguments"; }
  local pid
  pid=$(read_pid)
  if [[ -n $pid ]] && is_our_keystone "$pid"; then
    if v3_answers 2; then
      echo "running pid $pid $AUTH_URL (dir $DIR)"
      exit 0
    fi
    echo "stopped: pid $pid is alive but $AUTH_URL does not answer (starting, or hung; log $LOG)"
    exit 3
  fi
  echo "stopped ($AUTH_URL, dir $DIR)"
  exit 3
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  -h|--help|help) usage ;;
  "") usage >&2; exit 2 ;;
  *) echo "$PROG: error: unknown command '$1' (expected start, stop, status or --help)" >&2; exit 2 ;;
esac
