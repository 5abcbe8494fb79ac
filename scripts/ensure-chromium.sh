#!/usr/bin/env bash
# Installs the Debian `chromium` package when no Chromium is present, for the browser test of
# the approval page (tests/e2e/approval-page.test.ts drives it with playwright-core; it looks
# in the same places: AGENTGATE_CHROMIUM, then chromium and chromium-browser on PATH).
# Non-interactive; a no-op when a browser is already there.
set -euo pipefail

have_browser() {
  if [[ -n "${AGENTGATE_CHROMIUM:-}" ]]; then
    [[ -x "$AGENTGATE_CHROMIUM" ]]
    return
  fi
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

if have_browser; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no Chromium and no apt-get; install Chromium or set AGENTGATE_CHROMIUM" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "ensure-chromium: installing chromium needs root (or sudo)" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing the Debian chromium package" >&2
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium

if ! have_browser; then
  echo "ensure-chromium: chromium installed but still not found on PATH" >&2
  exit 1
fi
