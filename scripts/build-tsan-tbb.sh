#!/usr/bin/env bash
# Builds oneTBB with ThreadSanitizer instrumentation from Debian's own source package (the same
# version as the installed libtbb-dev), for scripts/test-tsan.sh. With it, TSan sees TBB's task
# hand-offs and the project's TBB-parallel code (the runner's parallel runs, the models' loops)
# is race-checked with several worker threads; without it TSan builds must run TBB on one thread
# (cmake/tsan_one_tbb_thread.cpp).
#
# Usage: scripts/build-tsan-tbb.sh PREFIX
# Installs into PREFIX (lib/cmake/TBB for CMake) and prints nothing else on success. The source
# comes from the Debian archive through apt with a private source list and state directory: the
# system's apt configuration is not changed. Idempotent: an existing PREFIX of the same version
# is kept. Needs clang-14 and network access to the Debian archive (source packages).
set -euo pipefail
prefix=${1:?usage: build-tsan-tbb.sh PREFIX}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
source_pkg=$(dpkg-query -W -f='${source:Package}' libtbb-dev)
if [ -f "$prefix/.version" ] && [ "$(cat "$prefix/.version")" = "$version" ] &&
   [ -d "$prefix/install/lib/cmake/TBB" ]; then
  exit 0
fi

work="$prefix/work"
rm -rf "$work" "$prefix/install"
mkdir -p "$work/lists/partial"
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
cat > "$work/sources.list" <<EOF
deb-src http://deb.debian.org/debian $codename main
deb-src http://deb.debian.org/debian $codename-updates main
deb-src http://deb.debian.org/debian-security $codename-security main
EOF
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
echo "build-tsan-tbb: fetching Debian's $source_pkg $version source" >&2
apt-get "${apt_opts[@]}" update -qq >&2
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq "$source_pkg=$version" >&2)
# dpkg-source applies Debian's patches, so this is the library the package ships, instrumented.
(cd "$work" && dpkg-source --no-check -x ./*.dsc src >&2)

echo "build-tsan-tbb: building $source_pkg with -fsanitize=thread into $prefix/install" >&2
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
CC=clang-14 CXX=clang++-14 cmake -S "$work/src" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF \
  -DTBBMALLOC_BUILD=OFF -DTBB_STRICT=OFF -DCMAKE_INSTALL_PREFIX="$prefix/install" \
  "${launcher[@]}" >&2
cmake --build "$work/build" -j "${RWB_TSAN_JOBS:-$(nproc)}" >&2
cmake --install "$work/build" >&2
echo "$version" > "$prefix/.version"
rm -rf "$work"
