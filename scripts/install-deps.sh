#!/bin/sh
# install-deps.sh: install what dsnidx needs to build and test.
#
# Build: a C17 compiler, make, pkg-config, and the development files of
# libarchive, libzstd, sqlite3 and libpcre2-8. Tests: cmocka.
# Uses apt (Debian/Ubuntu), dnf (Fedora/RHEL) or brew (macOS); elsewhere it
# prints the command to run and exits 1. Runs the package manager through
# sudo when not root. Idempotent: installing what is present is a no-op.
set -eu

APT_PKGS="build-essential pkg-config libarchive-dev libzstd-dev libsqlite3-dev libpcre2-dev libcmocka-dev"
DNF_PKGS="gcc make pkgconf-pkg-config libarchive-devel libzstd-devel sqlite-devel pcre2-devel libcmocka-devel"
BREW_PKGS="pkg-config libarchive zstd sqlite pcre2 cmocka"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "install-deps: need root to run: $*" >&2
		exit 1
	fi
}

# With arguments, only those packages (their Debian names; e.g. clang for
# `make fuzz`).
if [ $# -gt 0 ]; then
	if command -v apt-get >/dev/null 2>&1; then
		echo "install-deps: apt-get install $*" >&2
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
		exit 0
	fi
	echo "install-deps: please install: $*" >&2
	exit 1
fi

if command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: apt-get install $APT_PKGS" >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PKGS
elif command -v dnf >/dev/null 2>&1; then
	echo "install-deps: dnf install $DNF_PKGS" >&2
	as_root dnf install -y $DNF_PKGS
elif command -v brew >/dev/null 2>&1; then
	echo "install-deps: brew install $BREW_PKGS" >&2
	brew install $BREW_PKGS
	echo "install-deps: on macOS, libarchive is keg-only; build with" >&2
	echo "  PKG_CONFIG_PATH=\"$(brew --prefix libarchive)/lib/pkgconfig\" make" >&2
else
	echo "install-deps: no supported package manager found. Install these, then rerun make:" >&2
	echo "  Debian/Ubuntu: apt-get install $APT_PKGS" >&2
	echo "  Fedora/RHEL:   dnf install $DNF_PKGS" >&2
	echo "  macOS:         brew install $BREW_PKGS" >&2
	exit 1
fi
