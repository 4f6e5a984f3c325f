#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The test suite on a big-endian host: `make check-be` (mk/cross.mk) builds
# the library, the tool and every test program for s390x and runs them all
# under qemu-user. Table entries are little-endian whatever the host, and
# this is the run where a host-order access shows up.
#
# Installs (as root, or with sudo) what is missing: gcc-s390x-linux-gnu,
# libc6-dev-s390x-cross, qemu-user (or, failing that, qemu-user-static). When
# they truly cannot be installed (no apt-get, no root or sudo, apt fails) it
# says why and exits 0: the target stays for a machine where they install.
# Anything else that fails (the cross build, qemu, a test) fails the step.
# About 2 to 3 minutes on 2 cores; IOPT_TEST_OPS overrides CROSS_TEST_OPS.
set -euo pipefail
cd "$(dirname "$0")/../.."

triple=s390x-linux-gnu
qemu="qemu-s390x"
pkgs="gcc-$triple libc6-dev-s390x-cross"
jobs=$(nproc 2>/dev/null || echo 2)
start=$SECONDS

have() { command -v "$1" >/dev/null 2>&1; }

skip() {
	echo "== bigendian: SKIPPED, packages cannot be installed: $*"
	echo "== bigendian: the big-endian run did not happen (make check-be needs $pkgs qemu-user)"
	exit 0
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	else
		sudo -n "$@"
	fi
}

# apt_install PKG...: 0 when installed; apt's last lines kept in $apt_log.
apt_log=$(mktemp)
trap 'rm -f "$apt_log"' EXIT
apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends -o DPkg::Lock::Timeout=300 "$@" \
		>"$apt_log" 2>&1
}

toolchain_ok() {
	have "$triple-gcc" && [ -e "/usr/$triple/include/stdio.h" ]
}

need=""
toolchain_ok || need="$pkgs"
have "$qemu" || have "$qemu-static" || need="$need qemu-user"
if [ -n "$need" ]; then
	need=${need# }
	echo "== bigendian: installing $need"
	have apt-get || skip "no apt-get on this machine"
	[ "$(id -u)" = 0 ] || { have sudo && sudo -n true 2>/dev/null; } ||
		skip "not root and no password-less sudo"
	# shellcheck disable=SC2086 # word splitting of the package list is meant
	if ! apt_install $need; then
		# Stale or missing package lists are the usual cause: refresh once.
		as_root apt-get update -qq >"$apt_log" 2>&1 ||
			skip "apt-get update failed: $(tail -n 3 "$apt_log" | tr '\n' ' ')"
		# shellcheck disable=SC2086
		if ! apt_install $need; then
			# qemu-user may be absent where qemu-user-static exists.
			case " $need " in
			*" qemu-user "*)
				need=${need/qemu-user/qemu-user-static}
				# shellcheck disable=SC2086
				apt_install $need ||
					skip "apt-get install $need failed: $(tail -n 3 "$apt_log" | tr '\n' ' ')" ;;
			*)
				skip "apt-get install $need failed: $(tail -n 3 "$apt_log" | tr '\n' ' ')" ;;
			esac
		fi
	fi
fi
toolchain_ok || skip "$pkgs installed, but $triple-gcc or /usr/$triple/include is missing"
have "$qemu" || qemu=$qemu-static
have "$qemu" || skip "qemu-user installed, but neither qemu-s390x nor qemu-s390x-static is on PATH"

echo "== bigendian: make check-be ($triple, $qemu)"
make -j"$jobs" O=build CROSS_TRIPLE="$triple" CROSS_QEMU="$qemu" check-be

echo "== bigendian done in $((SECONDS - start)) s"
