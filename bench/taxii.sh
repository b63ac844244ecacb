#!/usr/bin/env bash
# TAXII 2.1 benchmark: Sakimori against medallion (its memory backend), with the
# same Python client (taxii2-client) in one run. See docs/BENCHMARKS.md.
#
#   bench/taxii.sh                      # 10,000 objects, batches of 500, pages of 1,000
#   bench/taxii.sh --objects 2000       # any option of bench/taxii.py
#   bench/taxii.sh --json               # the results as JSON
#
# It creates bench/.venv (medallion, taxii2-client: bench/requirements.txt),
# builds `sakimori` in release mode, starts both servers on free loopback ports
# with throw-away data, runs bench/taxii.py against them and stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt

cargo build --release --quiet -p sakimori
SAKIMORI=target/release/sakimori

work=$(mktemp -d "${TMPDIR:-/tmp}/sakimori-taxii-bench.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    bench/.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# medallion: one API root with one readable and writable collection, in memory.
# `max_page_size` is medallion's cap on `limit` (default 100): raised so that
# both servers answer pages of the same size. `session_timeout` is how long a
# `next` cursor lives (default 30 s, counted from the first page): raised so a
# slow walk through the collection is not cut short.
MPORT=$(free_port)
MCOLL=91a7b528-80eb-42ed-a74d-c6fbd5a26116
cat >"$work/medallion-data.json" <<EOF
{
  "/discovery": {
    "title": "medallion (benchmark)",
    "default": "http://127.0.0.1:$MPORT/bench/",
    "api_roots": ["http://127.0.0.1:$MPORT/bench/"]
  },
  "bench": {
    "information": {
      "title": "Benchmark API root",
      "versions": ["application/taxii+json;version=2.1"],
      "max_content_length": 104857600
    },
    "status": [],
    "collections": [
      {
        "id": "$MCOLL",
        "title": "Benchmark collection",
        "can_read": true,
        "can_write": true,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": [],
        "manifest": []
      }
    ]
  }
}
EOF
cat >"$work/medallion.json" <<EOF
{
  "backend": {
    "module": "medallion.backends.memory_backend",
    "module_class": "MemoryBackend",
    "filename": "$work/medallion-data.json",
    "session_timeout": 86400
  },
  "users": {"bench": "bench"},
  "taxii": {"max_page_size": 10000}
}
EOF
bench/.venv/bin/medallion --host 127.0.0.1 --port "$MPORT" --log-level ERROR "$work/medallion.json" \
    >"$work/medallion.log" 2>&1 &
pids+=($!)

# Sakimori: the demo installation on a fresh SQLite data directory; the demo
# analyst (JPCERT/CC) may write to the platform-wide collection.
SPORT=$(free_port)
"$SAKIMORI" --data-dir "$work/sakimori-data" --json serve --demo --listen "127.0.0.1:$SPORT" \
    >"$work/sakimori.json" 2>"$work/sakimori.log" &
pids+=($!)

for _ in $(seq 1 300); do
    if [ -s "$work/sakimori.json" ] && curl -fsS -o /dev/null "http://127.0.0.1:$MPORT/taxii2/" \
        -u bench:bench -H 'Accept: application/taxii+json;version=2.1' 2>/dev/null; then
        break
    fi
    sleep 0.2
done
[ -s "$work/sakimori.json" ] || { cat "$work/sakimori.log" >&2; echo "sakimori did not start" >&2; exit 1; }
TOKEN=$(bench/.venv/bin/python -c 'import json, sys; u = json.load(open(sys.argv[1]))["users"]; print(next(x["token"] for x in u if x["username"] == "demo-analyst"))' "$work/sakimori.json")

echo "sakimori $("$SAKIMORI" --version | awk '{print $2}') (release, SQLite) on :$SPORT;" \
    "medallion $(bench/.venv/bin/python -c 'import medallion; print(medallion.__version__)') (memory backend) on :$MPORT;" \
    "taxii2-client $(bench/.venv/bin/python -c 'import taxii2client; print(taxii2client.__version__)');" \
    "Python $(bench/.venv/bin/python -c 'import platform; print(platform.python_version())')" >&2

bench/.venv/bin/python bench/taxii.py \
    --sakimori "http://127.0.0.1:$SPORT/taxii2/api/collections/a9d2c1f0-5a4e-4c1b-9f3e-000000000002/" \
    --sakimori-user demo-analyst --sakimori-token "$TOKEN" \
    --medallion "http://127.0.0.1:$MPORT/bench/collections/$MCOLL/" \
    --medallion-user bench --medallion-password bench \
    "$@"
