#!/usr/bin/env bash
# Installs the Debian packages ecogrid needs, only those missing: PostgreSQL with a matching
# PostGIS, Node.js/npm (map assets) and, with --test, Chromium and its driver for browser tests
# and GDAL's command-line tools for the OGC API and export tests.
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

have postgresql || missing+=(postgresql)
major=$(pg_major || true)
if [ -n "$major" ]; then
  have "postgresql-$major-postgis-3" || missing+=("postgresql-$major-postgis-3")
fi
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "$want_test" = 1 ]; then
  have chromium || missing+=(chromium)
  have chromium-driver || missing+=(chromium-driver)
  # Chinese glyphs, so screenshots taken by the browser tests show the labels instead of empty boxes.
  have fonts-wqy-microhei || missing+=(fonts-wqy-microhei)
  # ogrinfo/ogr2ogr: the tests read the OGC API and the GeoPackage exports as QGIS would, through GDAL.
  have gdal-bin || missing+=(gdal-bin)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PostgreSQL may only just have arrived: PostGIS must match its major version.
major=$(pg_major)
if ! have "postgresql-$major-postgis-3"; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "postgresql-$major-postgis-3"
fi
# Debian's package starts a system cluster we do not use; ecogrid runs its own.
exit 0
