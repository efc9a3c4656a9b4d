#!/usr/bin/env bash
# Checks deploy/ with the linters this machine has (not part of CI's default run):
#   - the systemd units with `systemd-analyze verify` (binaries stubbed, run as root);
#   - every YAML file parses, and the Kubernetes objects have apiVersion, kind and a name;
#   - the compose file with `docker compose config` when the compose plugin is installed;
#   - the shell scripts with shellcheck when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ok() { printf '  ok  %s\n' "$*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in deploy/systemd/*.service; do
  sed 's#^ExecStart=/usr/local/bin/yilian-.*#ExecStart=/bin/true#; s#^User=.*#User=root#; s#^Group=.*#Group=root#' \
    "$unit" >"$tmp/$(basename "$unit")"
done
out=$(SYSTEMD_LOG_LEVEL=err systemd-analyze verify "$tmp"/*.service 2>&1 || true)
[ -z "$out" ] || { echo "$out"; exit 1; }
ok "systemd units (systemd-analyze verify)"

python3 - <<'PY'
import glob, sys, yaml
for path in glob.glob("deploy/**/*.yaml", recursive=True):
    docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    if path.startswith("deploy/k8s/"):
        for d in docs:
            for key in ("apiVersion", "kind"):
                if key not in d: sys.exit(f"{path}: an object without {key}")
            if "name" not in d.get("metadata", {}): sys.exit(f"{path}: a {d['kind']} without a name")
    print(f"  ok  {path} ({len(docs)} document(s))")
PY

if docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose/compose.yaml config -q && ok "compose file (docker compose config)"
else
  echo "  --  compose file: docker compose plugin not installed, parsed as YAML only"
fi
if command -v shellcheck >/dev/null; then
  shellcheck deploy/kafka/*.sh deploy/compose/*.sh scripts/*.sh && ok "shell scripts (shellcheck)"
fi
