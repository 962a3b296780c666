#!/bin/bash
# Re-captures the kubectl protobuf bodies in this directory.
#   capture.sh OUTDIR     (then compare OUTDIR with this directory)
# Runs capture_server.py on 127.0.0.1 only, runs each command of cases.txt with the real kubectl
# against it, keeps the first POST body (request.pb) and its request line (command.txt), and runs
# the same command with --dry-run=client -o json for expected.json. secret-tls uses a fresh
# throwaway self-signed EC key, so its bytes differ from run to run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
port=${PORT:-18081}
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout tls.key -out tls.crt \
    -days 36500 -subj "/CN=strata-test.invalid" 2>/dev/null
printf '\xff\xfe\x00binary' > bin.dat
printf 'hello\n' > text.txt
python3 -c "import json; print(json.dumps(json.load(open('$here/deployment/expected.json'))))" > web.json
python3 "$here/capture_server.py" "$port" "$work/log" \
    "/apis/apps/v1/namespaces/default/deployments/web,web.json,application/json" &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
sleep 1
k() { kubectl --server="http://127.0.0.1:$port" --cache-dir="$work/cache" "$@"; }
while IFS='|' read -r name cmd; do
    [ -z "$name" ] && continue
    rm -rf "$work/log" "$work/cache"
    # Arguments after " -- " go to the container, so kubectl's own flags go before them.
    pre="${cmd%% -- *}"
    post=()
    if [ "$pre" != "$cmd" ]; then read -r -a post <<< "-- ${cmd#* -- }"; fi
    # shellcheck disable=SC2086
    k $pre "${post[@]}" > /dev/null
    body=$(ls "$work"/log/*-POST.bin | head -1)
    mkdir -p "$out/$name"
    cp "$body" "$out/$name/request.pb"
    { echo "kubectl $cmd"; head -1 "${body%.bin}.txt"; grep -i '^content-type' "${body%.bin}.txt"; } > "$out/$name/command.txt"
    # shellcheck disable=SC2086
    k $pre --dry-run=client -o json "${post[@]}" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin), indent=4))" > "$out/$name/expected.json"
done < "$here/cases.txt"
