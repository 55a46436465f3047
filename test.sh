#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing (Debian packages:
# PostgreSQL server binaries, Chromium and its driver for the browser tests, Dovecot for the IMAP
# tests), then runs `dotnet test` over the solution and ends with one plain line:
# "N passed, N failed, N skipped". Extra arguments go to `dotnet test` (e.g. a test project).
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
if [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ ! -x /usr/bin/chromedriver ]; then need_apt+=(chromium-driver); fi
if [ ! -x /usr/sbin/dovecot ]; then need_apt+=(dovecot-imapd); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} (Debian packages the tests need)"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "test.sh: not root and no sudo: install ${need_apt[*]} with apt-get, then run ./test.sh again" >&2
      exit 2
    fi
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line over every test assembly.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
