#!/usr/bin/env bash
# The embedded default, end to end, with real processes on 127.0.0.1 only:
# a sensor identity, a collector with SQLite, the bundled pcap replayed against
# the bundled rules into a spool, the forwarder draining the spool into the
# collector, and the alerts as the collector verified and stored them.
# Work files go to $PEHREDAR_DEMO_DIR (default: a new directory under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
pehredar=${PEHREDAR:-.venv/bin/pehredar}
work=${PEHREDAR_DEMO_DIR:-$(mktemp -d /tmp/pehredar-demo.XXXXXX)}
mkdir -p "$work"
sample_pcap=pehredar/samples/sample.pcap
sample_rules=pehredar/samples/sample.rules
sensor_id=demo-sensor-01

step() { printf '\n== %s\n' "$*"; }

step "1. sensor identity (Ed25519) in $work/keys"
$pehredar keys init --out "$work/keys"

step "2. collector on 127.0.0.1 (SQLite in $work/collector), log in $work/collector.log"
rm -f "$work/collector.port"
$pehredar collector run --listen 127.0.0.1:0 --data "$work/collector" --port-file "$work/collector.port" \
    --rules "$sample_rules" >"$work/collector.log" 2>&1 &
collector_pid=$!
trap 'kill "$collector_pid" 2>/dev/null || true; wait "$collector_pid" 2>/dev/null || true' EXIT
for _ in $(seq 300); do
    [ -s "$work/collector.port" ] && break
    kill -0 "$collector_pid" 2>/dev/null || { cat "$work/collector.log"; exit 1; }
    sleep 0.1
done
[ -s "$work/collector.port" ] || { echo "collector did not start within 30 s" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$work/collector.port")"
echo "collector listening on $url"

step "3. enroll the sensor's public key at the collector"
$pehredar collector enroll --data "$work/collector" --sensor-id "$sensor_id" --sector national \
    --public-key "$work/keys/public.key"

step "4. sensor: replay $sample_pcap against $sample_rules into the spool $work/spool"
$pehredar sensor replay "$sample_pcap" --rules "$sample_rules" --spool "$work/spool" --sensor-id "$sensor_id" \
    --stats-json "$work/replay-stats.json"
echo "alerts spooled: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['alerts'])" "$work/replay-stats.json")"

step "5. forwarder: sign batches and ship them until the spool is empty"
$pehredar forwarder drain --spool "$work/spool" --collector "$url" --key "$work/keys/private.key" \
    --log-level warning --max-wait 60

step "6. the alerts as the collector verified and stored them"
$pehredar collector alerts --data "$work/collector"
