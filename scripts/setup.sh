#!/usr/bin/env bash
# Idempotent set-up, run by npm's prebench/pretest hooks and by .ci/run. Fast (< 1 s) when everything is there.
# - node_modules missing or older than package-lock.json → npm ci
# - redis-server (needed), memcached (memcached-handle design; never started as a system service here),
#   python3-keystoneclient (python reference design), chromium + fonts (report test):
#   installed with apt-get when missing and we are root; otherwise the exact command is printed and, for the
#   required redis-server, we exit 2.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
fi

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
/usr/bin/python3 -c 'import keystoneclient' >/dev/null 2>&1 || missing+=(python3-keystoneclient)
/usr/bin/python3 -c 'import keystoneauth1' >/dev/null 2>&1 || missing+=(python3-keystoneauth1)
# python designs: Aodh 15 (aodh-trusted-client, aodh-session, the real notifier baseline), pymemcache + memcached
# (python-auth-state)
/usr/bin/python3 -c 'import aodh.keystone_client, aodh.notifier.trust' >/dev/null 2>&1 || missing+=(python3-aodh)
/usr/bin/python3 -c 'import pymemcache' >/dev/null 2>&1 || missing+=(python3-pymemcache)
# keystonemiddleware: the memcached design's ENCRYPT protection is checked against its own _memcache_crypt
/usr/bin/python3 -c 'import keystonemiddleware.auth_token' >/dev/null 2>&1 || missing+=(python3-keystonemiddleware)
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)

if (( ${#missing[@]} )); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} (apt-get)…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    # memcached's package would start a system memcached on 127.0.0.1:11211: forbid service start-up meanwhile
    policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
      printf '#!/bin/sh\n# temporary, written by keystone-cache-bench setup.sh\nexit 101\n' >"$policy"
      chmod 0755 "$policy"
      created_policy=1
      trap '[[ $created_policy -eq 1 ]] && rm -f "$policy"' EXIT
    fi
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
    if (( created_policy )); then rm -f "$policy"; created_policy=0; fi
  elif ! command -v redis-server >/dev/null 2>&1; then
    echo "error: redis-server is missing; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  else
    echo "setup: optional packages missing (python designs / report browser test): sudo apt-get install -y ${missing[*]}" >&2
  fi
fi
