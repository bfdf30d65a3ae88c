#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs the broker in the foreground
# with the default config (plain MQTT on port 1883). Extra arguments go to `attestmq broker`.
#   bash scripts/start-broker.sh            (README's first command)
#   bash scripts/start-broker.sh -v         (log every packet)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
config=config/attestmq.conf
port=1883  # the listener in $config

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release --target attestmq -j 2

# Say why, rather than leave the broker to fail on bind(), when something already listens.
if ss -Hltn "sport = :$port" | grep -q .; then
  echo "start-broker: port $port is already in use:" >&2
  ss -Hltnp "sport = :$port" >&2 || true
  echo "start-broker: stop that program first (Debian's mosquitto: systemctl stop mosquitto)" >&2
  exit 1
fi

echo "start-broker: plain MQTT on port $port ($config); TLS on 8883 and the simulated TEE" \
     "come with later issues"
exec build/release/apps/attestmq/attestmq broker -c "$config" "$@"
