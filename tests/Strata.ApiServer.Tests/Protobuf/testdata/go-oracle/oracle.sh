#!/bin/bash
# Lets Go decode our encodings: for each case, serves request.pb (KubeProtobuf.Encode of input.json)
# as the protobuf reply to the POST that the kubectl command in command.txt makes, and stores what
# kubectl v1.32 prints for the decoded object (-o json) as expected.json.
#   oracle.sh            (rewrites expected.json in place; review with git diff)
# Runs ../kubectl/capture_server.py on 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
port=${PORT:-18082}
pb=application/vnd.kubernetes.protobuf
stores=("/apis/apps/v1/namespaces/default/deployments/web,$here/../kubectl/deployment/expected.json,application/json")
for dir in "$here"/*/; do
    path=$(cut -d'|' -f2 "$dir/command.txt")
    stores+=("$path,$dir/request.pb,$pb")
done
python3 "$here/../kubectl/capture_server.py" "$port" "$work/log" "${stores[@]}" &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
sleep 1
for dir in "$here"/*/; do
    cmd=$(cut -d'|' -f1 "$dir/command.txt")
    # shellcheck disable=SC2086
    kubectl --server="http://127.0.0.1:$port" --cache-dir="$work/cache" $cmd \
        | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin), indent=4))" > "$dir/expected.json"
done
