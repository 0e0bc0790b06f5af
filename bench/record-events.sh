#!/bin/sh
# Records real /events lines (raw wire, API 1.41) from a throw-away private
# dockerd, so the replay daemon's synthetic events copy their shapes:
# compose-style labels, health checks, execs, volumes, exit codes.
# One-off; the output is committed as bench/fixtures/recorded-events.ndjson.
#
#   sh bench/record-events.sh [out.ndjson]
set -eu
OUT=${1:-$(dirname "$0")/fixtures/recorded-events.ndjson}
DIR=$(mktemp -d /tmp/dsb-rec-XXXXXX)
TAG=$(basename "$DIR")
SOCK=$DIR/docker.sock
D="docker -H unix://$SOCK"
cleanup() {
  $D ps -aq 2>/dev/null | xargs -r $D rm -f >/dev/null 2>&1 || true
  if [ -f "$DIR/docker.pid" ]; then kill "$(cat "$DIR/docker.pid")" 2>/dev/null || true; fi
  for _ in $(seq 1 100); do [ -f "$DIR/docker.pid" ] || break; sleep 0.1; done
  grep " $DIR" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
echo '{}' > "$DIR/daemon.json"
dockerd -H "unix://$SOCK" --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/docker.pid" \
  --config-file "$DIR/daemon.json" --containerd-namespace "$TAG" --containerd-plugins-namespace "$TAG-plugins" \
  --bridge=none --iptables=false --ip-masq=false --ip6tables=false > "$DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 300); do curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1 && break; sleep 0.1; done
START=$(date +%s)

mkdir -p "$DIR/rootfs/bin" "$DIR/rootfs/tmp"
cp /bin/busybox "$DIR/rootfs/bin/busybox"
for a in sh sleep true false echo; do ln -s busybox "$DIR/rootfs/bin/$a"; done
tar -C "$DIR/rootfs" --numeric-owner -cf "$DIR/busybox.tar" .
$D import --change 'CMD ["sh"]' "$DIR/busybox.tar" registry.example.com/shop/api:1.42.7 >/dev/null
$D tag registry.example.com/shop/api:1.42.7 registry.example.com/shop/worker:1.42.7
$D volume create shop_data >/dev/null

HASH=9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6
compose() { # service number
  echo "--label com.docker.compose.project=shop --label com.docker.compose.service=$1 \
--label com.docker.compose.container-number=$2 --label com.docker.compose.oneoff=False \
--label com.docker.compose.config-hash=$HASH --label com.docker.compose.depends_on=db:service_healthy:false \
--label com.docker.compose.image=sha256:4b1f0e2c9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c \
--label com.docker.compose.project.config_files=/srv/shop/docker-compose.yml \
--label com.docker.compose.project.working_dir=/srv/shop --label com.docker.compose.version=2.27.0 \
--label org.opencontainers.image.source=https://git.example.com/shop/api --label org.opencontainers.image.version=1.42.7"
}
# shellcheck disable=SC2046
$D run -d --network none --name shop-api-1 $(compose api 1) -v shop_data:/data \
  --health-cmd true --health-interval 1s --health-start-period 0s \
  registry.example.com/shop/api:1.42.7 sleep 30 >/dev/null
# shellcheck disable=SC2046
$D run -d --network none --name shop-worker-1 $(compose worker 1) registry.example.com/shop/worker:1.42.7 sh -c 'sleep 1; exit 3' >/dev/null
sleep 2.5
$D exec shop-api-1 sh -c 'echo migrate --steps 3' >/dev/null
$D stop -t 1 shop-api-1 >/dev/null
$D rm shop-api-1 shop-worker-1 >/dev/null
$D volume rm shop_data >/dev/null
$D rmi registry.example.com/shop/worker:1.42.7 >/dev/null
sleep 0.2
curl -s --unix-socket "$SOCK" "http://localhost/v1.41/events?since=$START&until=$(date +%s.%N)" > "$OUT"
wc -l "$OUT"
