#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# chromium (the console's tests drive it with chromedp), fonts-noto-cjk
# (so Chinese renders in screenshots instead of boxes) and python3-openpyxl
# (the exports' second reader in xlsx/; the tests try the python3 on PATH,
# then Debian's /usr/bin/python3, which a pyenv python3 does not share
# packages with) and dovecot-imapd (a real IMAP server on loopback for the
# mailbox tests). `make test` runs it;
# it needs root (CI and the dev machines run as root) and Debian's mirror.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then need+=(fonts-noto-cjk); fi
if ! python3 -c 'import openpyxl' >/dev/null 2>&1 && ! /usr/bin/python3 -c 'import openpyxl' >/dev/null 2>&1; then
  need+=(python3-openpyxl)
fi
[ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
[ ${#need[@]} -eq 0 ] && exit 0

echo "make test: installing ${need[*]} (apt-get)…" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "make test: ${need[*]} missing and not root: run 'sudo apt-get install -y ${need[*]}'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
echo "make test: installed ${need[*]}" >&2
