#!/bin/sh
# ensure-tool.sh COMMAND PACKAGE PURPOSE
# Makes COMMAND available: already on PATH -> nothing; root on Debian/Ubuntu -> installs the
# Debian PACKAGE quietly with apt-get (as CI would); otherwise one line saying what to install,
# exit 2. Idempotent: a second run finds the command and does nothing.
set -u
command_name=$1 package=$2 purpose=$3

command -v "$command_name" >/dev/null 2>&1 && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "$purpose needs '$command_name': installing Debian package $package with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>&1 ||
     { apt-get update -qq >/dev/null 2>&1 &&
       apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>&1; }; then
    command -v "$command_name" >/dev/null 2>&1 && exit 0
  fi
  echo "$purpose needs '$command_name': 'apt-get install $package' failed; install it and retry" >&2
  exit 2
fi

echo "$purpose needs '$command_name', which is not installed: install $package" \
     "(Debian/Ubuntu: sudo apt-get install $package) and retry" >&2
exit 2
