#!/usr/bin/env bash
# Build the images' base from Debian's own packages and import it into podman, for networks
# that reach a Debian mirror and PyPI but no container registry (commission networks are
# closed). The result holds Python 3.11 with venv and CA certificates, nothing else.
#
#   deploy/images/debian-base.sh [--tag localhost/wenze-base:bookworm] [--mirror URL] [--ca FILE]...
#
# --ca adds a certificate authority the builder must trust (a TLS-inspecting proxy's, say);
# it ends up in the base and so in every image built on it: use it for local builds only.
set -euo pipefail

tag=localhost/wenze-base:bookworm
mirror=http://deb.debian.org/debian
suite=bookworm
cas=()
while (($#)); do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --ca) cas+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (Debian packages debootstrap and podman)" >&2; exit 1; }
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase "$suite" "$root" "$mirror"
# Installed by apt in the new root rather than by debootstrap's --include, which does not
# configure python3.11-venv's dependencies in the right order.
chroot "$root" apt-get install -y --no-install-recommends python3.11 python3.11-venv ca-certificates
for ca in "${cas[@]}"; do
  cp "$ca" "$root/usr/local/share/ca-certificates/$(basename "${ca%.*}").crt"
done
if ((${#cas[@]})); then
  chroot "$root" update-ca-certificates
fi
# Only what a running service needs: no package lists, documentation or locales.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
ln -sf python3.11 "$root/usr/bin/python"
tar -C "$root" -c . | podman import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  - "$tag"
echo "imported $tag"
