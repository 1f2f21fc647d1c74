#!/bin/sh
# ensure-pango.sh PYTHON
# WeasyPrint (make pdf) loads the system's Pango when imported. Loads -> nothing; root on
# Debian/Ubuntu -> installs Pango with apt-get (as CI would); otherwise one line saying what
# to install, exit 2. Idempotent.
set -u
python=$1 packages="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
probe() { "$python" -c 'import weasyprint' >/dev/null 2>&1; }

probe && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "make pdf needs Pango: installing Debian packages $packages with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # the package list is meant to split
  if apt-get install -y -qq --no-install-recommends $packages >/dev/null 2>&1 ||
     { apt-get update -qq >/dev/null 2>&1 &&
       apt-get install -y -qq --no-install-recommends $packages >/dev/null 2>&1; }; then
    probe && exit 0
  fi
  echo "make pdf needs Pango: 'apt-get install $packages' failed; install them and retry" >&2
  exit 2
fi
echo "make pdf needs the Pango library, which WeasyPrint cannot load: install $packages" \
     "(Debian/Ubuntu: sudo apt-get install $packages) and retry" >&2
exit 2
