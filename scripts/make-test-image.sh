#!/usr/bin/env bash
# Makes berth-test/busybox:latest, the image the Docker-engine tests and bench/docker use, without
# pulling anything: `docker import` of a root filesystem holding Debian's static busybox, one link per
# applet, /etc/passwd and /etc/group (root, nobody) and /tmp, with `CMD ["sh"]`.
# Idempotent: an existing image is kept unless --force is given.
set -euo pipefail

image=berth-test/busybox:latest
busybox=/bin/busybox # from Debian's busybox-static
force=false
case "${1:-}" in
  '') ;;
  --force) force=true ;;
  *)
    echo "usage: $0 [--force]" >&2
    exit 2
    ;;
esac

old_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
if [[ -n "$old_id" && "$force" == false ]]; then
  echo "make-test-image: $image is there already (${old_id:7:12}); --force makes it again"
  exit 0
fi

# The image has no libc: a dynamically linked busybox would not run in it.
# (ldd succeeds only on a dynamically linked program.)
if [[ ! -x "$busybox" ]] || ldd "$busybox" >/dev/null 2>&1; then
  echo "make-test-image: $busybox is missing or not statically linked; apt-get install busybox-static" >&2
  exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/berth-test-image.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
applets=0
for applet in $("$busybox" --list); do
  [[ "$applet" == busybox ]] && continue
  ln -s busybox "$root/bin/$applet"
  applets=$((applets + 1))
done
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF

new_id=$(tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
  docker import -c 'CMD ["sh"]' -m 'berth test image: busybox-static' - "$image")
# `docker import` moves the tag; the image it replaced would stay behind untagged.
if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
  docker image rm "$old_id" >/dev/null 2>&1 || echo "make-test-image: the previous image ${old_id:7:12} is still in use; kept it"
fi
echo "make-test-image: built $image (${new_id:7:12}) from $busybox with $applets applet links"
