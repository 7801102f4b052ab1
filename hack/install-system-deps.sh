#!/usr/bin/env bash
# Install the database servers the tests and the sandbox start (PostgreSQL and
# MariaDB, from Debian's packages) when they are missing. Needs root, as apt does.
set -euo pipefail

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server mariadb-client)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "missing packages ${missing[*]}, and apt-get is not available: install them by hand" >&2
    exit 1
fi
echo "installing ${missing[*]} from Debian's packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
