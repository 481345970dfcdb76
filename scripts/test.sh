#!/usr/bin/env bash
# Install everything the tests need, then run them: `bash scripts/test.sh [pytest args …]`.
#
# The README's second command and what .ci/run runs. Idempotent: system packages are installed
# only when one is missing, pip only adds what is not there yet. A failed apt-get or pip step
# fails the run; the exit status is pytest's.
#
# pytest runs on every core (pytest-xdist, -n auto), one test file per worker at a time
# (--dist loadfile: a module's fixtures and cached results stay in one process); pass -n 0
# to run in one process, -m "not slow" (or "not tshark", "not live") to leave groups out.
#
# BPDIAG_FUZZ=deep gives the Hypothesis tests whose example counts tests/helpers.py's
# examples() sets their deep counts (the 2-3 times larger counts they had before they were
# cut to where more examples reached nothing more of bpdiag): `BPDIAG_FUZZ=deep bash
# scripts/test.sh` after changing one of the readers or decoders they fuzz.

set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tshark bluez bluez-hcidump dbus libdbus-1-dev libglib2.0-dev pkg-config build-essential
  chromium fonts-liberation)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
fi

if ((${#missing[@]})); then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
      sudo=(sudo -n)
    fi
    echo "test.sh: installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >/dev/null
    # tshark asks whether non-root users may capture; noninteractive takes the default (no)
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: no apt-get here; install these yourself: ${missing[*]}" >&2
    echo "test.sh: (tests that need them are skipped with the reason)" >&2
  fi
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
python3 -m pip install -q -e '.[test]'

exec python3 -m pytest -q -n auto --dist loadfile "$@"
