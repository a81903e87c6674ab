#!/usr/bin/env bash
# Installs every build, test and run dependency of RecWorkbench from Debian 12 packages.
# Idempotent: packages already present are skipped by apt. Run as root (or through sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev libqt6sql6-sqlite libqt6svg6 qt6-qpa-plugins libqcustomplot-dev
  libgl-dev libglx-dev
  libeigen3-dev libsqlite3-dev sqlite3
  libopenblas-dev liblapacke-dev
  catch2
  libxgboost-dev xgboost
  libfast-float-dev nlohmann-json3-dev libcli11-dev libtbb-dev libboost-math-dev libxxhash-dev
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  libhnswlib-dev
  libpq-dev unixodbc-dev odbc-postgresql postgresql-15
  xvfb xauth
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
