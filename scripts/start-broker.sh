#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs the broker in the foreground
# with the default config: plain MQTT on port 1883 and MQTT over TLS on port 8883. The broker
# is attestmq-enclave, the engine compiled to Wasm, over the sim TEE (SIMULATED); --native
# runs the native `attestmq broker` instead. Other arguments go to the broker.
#   bash scripts/start-broker.sh            (README's first command)
#   bash scripts/start-broker.sh -v         (log every packet)
#   bash scripts/start-broker.sh --native   (the native broker, one reactor per core)
#
# TLS needs a certificate: on first run this makes a private CA and a server certificate
# for localhost/127.0.0.1/::1 and this host's name in build/tls/ (git-ignored, like all of
# build/). Clients trust the broker with --cafile build/tls/ca.crt. A server certificate
# about to expire is renewed by the same CA; delete build/tls/ to start over.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
config=config/attestmq.conf
ports=(1883 8883)  # the listeners in $config
tls_dir=build/tls   # $config's cafile/certfile/keyfile point here

make_ca() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=AttestMQ development/CN=AttestMQ development CA ($(hostname))" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" 2>/dev/null
}

make_server_certificate() {
  local names="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:$(hostname)"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/O=AttestMQ development/CN=localhost" \
    -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null
  openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" \
    -CAcreateserial -days 365 -out "$tls_dir/server.crt" -extfile <(printf '%s\n' \
      "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=$names") 2>/dev/null
  rm -f "$tls_dir/server.csr"
}

native=0
arguments=()
for argument in "$@"; do
  if [[ $argument == --native ]]; then native=1; else arguments+=("$argument"); fi
done

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release --target attestmq attestmq-enclave -j 2

mkdir -p "$tls_dir"
chmod 700 "$tls_dir"
if [[ ! -s $tls_dir/ca.crt || ! -s $tls_dir/ca.key ]]; then
  make_ca
  rm -f "$tls_dir/server.crt"
fi
# -checkend: renew a server certificate that expires within a week.
if [[ ! -s $tls_dir/server.crt ]] || ! openssl x509 -in "$tls_dir/server.crt" -noout -checkend 604800 >/dev/null; then
  make_server_certificate
  echo "start-broker: made a TLS server certificate in $tls_dir/"
fi

# Say why, rather than leave the broker to fail on bind(), when something already listens.
for port in "${ports[@]}"; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    echo "start-broker: port $port is already in use:" >&2
    ss -Hltnp "sport = :$port" >&2 || true
    echo "start-broker: stop that program first (Debian's mosquitto: systemctl stop mosquitto)" >&2
    exit 1
  fi
done

ca=$(realpath "$tls_dir/ca.crt")
if ((native)); then
  broker=(build/release/apps/attestmq/attestmq broker)
  echo "start-broker: the native broker."
else
  broker=(build/release/src/wasm/runner/enclave/attestmq-enclave)
  echo "start-broker: the enclave broker: attestmq-engine.wasm (SHA-256" \
       "$("${broker[0]}" --print-measurement)) in attestmq-enclave."
fi
echo "start-broker: plain MQTT on port 1883, MQTT over TLS on port 8883 ($config)."
echo "start-broker: the TLS listener offers attested sessions with the sim TEE (SIMULATED)."
echo "start-broker: the TLS certificate's CA is $ca, e.g."
echo "  mosquitto_sub -h localhost -p 8883 --cafile $ca -t 'test/#' -v"
echo "  mosquitto_pub -h localhost -p 8883 --cafile $ca -t test/hello -m hi"
echo "  build/release/apps/attestmq/attestmq attest localhost:8883 --cafile $ca --allow-simulated"
exec "${broker[@]}" -c "$config" --tee sim "${arguments[@]}"
