#!/usr/bin/env bash
# Lay out a copy of Sigstore's root-signing TUF repository (as kept in git:
# metadata/, metadata/root_history/, targets/) the way it is published, with
# consistent-snapshot names, so any static HTTP server can serve it:
#
#   OUT/metadata/N.root.json         every root in root_history
#   OUT/metadata/timestamp.json      the only metadata file under its plain name
#   OUT/metadata/V.snapshot.json     V = snapshot's own signed.version
#   OUT/metadata/V.targets.json      V = targets' own signed.version
#   OUT/metadata/V.ROLE.json         every other *.json in metadata/ (delegated targets roles)
#   OUT/targets/DIR/HASH.BASENAME    for every target in targets.json and each delegated role,
#                                    once for each of its hashes (sha256, sha512, ...)
#
# Usage: lay-out-sigstore.sh FIXTURE_DIR OUT_DIR
# FIXTURE_DIR is only read. Needs python3.
# Then e.g.: (cd OUT_DIR && python3 -m http.server --bind 127.0.0.1 PORT)
#   metadata URL http://127.0.0.1:PORT/metadata/, target URL http://127.0.0.1:PORT/targets/
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 FIXTURE_DIR OUT_DIR" >&2
  exit 2
fi
fixture=$1
out=$2
[ -d "$fixture/metadata/root_history" ] || { echo "not a root-signing fixture: $fixture" >&2; exit 2; }
mkdir -p "$out/metadata" "$out/targets"

python3 - "$fixture" "$out" <<'PY'
import hashlib, json, os, shutil, sys

fixture, out = sys.argv[1], sys.argv[2]
meta_in = os.path.join(fixture, "metadata")
meta_out = os.path.join(out, "metadata")
targets_in = os.path.join(fixture, "targets")
targets_out = os.path.join(out, "targets")

def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)  # the fixture may be read-only; keep the copy writable

def version(path):
    with open(path, "rb") as f:
        return json.load(f)["signed"]["version"]

# Every root version, by the version inside the file.
hist = os.path.join(meta_in, "root_history")
for name in sorted(os.listdir(hist)):
    if name.endswith(".root.json"):
        src = os.path.join(hist, name)
        copy(src, os.path.join(meta_out, f"{version(src)}.root.json"))
copy(os.path.join(meta_in, "timestamp.json"), os.path.join(meta_out, "timestamp.json"))

# Snapshot, top-level targets and delegated roles: only V.ROLE.json, as published, so a
# client that ignores consistent_snapshot fails here instead of passing by accident.
roles = []
for name in sorted(os.listdir(meta_in)):
    path = os.path.join(meta_in, name)
    if not name.endswith(".json") or not os.path.isfile(path) or name in ("root.json", "timestamp.json"):
        continue
    copy(path, os.path.join(meta_out, f"{version(path)}.{name}"))
    if name != "snapshot.json":
        roles.append(path)

# Targets: HASH.basename in the target's directory, for each hash listed.
count = 0
for role in roles:
    with open(role, "rb") as f:
        targets = json.load(f)["signed"].get("targets", {})
    for tpath, info in targets.items():
        src = os.path.join(targets_in, *tpath.split("/"))
        with open(src, "rb") as f:
            data = f.read()
        if len(data) != info["length"]:
            sys.exit(f"{tpath}: length {len(data)} != {info['length']}")
        d, base = os.path.split(tpath)
        for alg, want in info["hashes"].items():
            got = hashlib.new(alg, data).hexdigest()
            if got != want:
                sys.exit(f"{tpath}: {alg} {got} != {want}")
            copy(src, os.path.join(targets_out, d, f"{want}.{base}"))
            count += 1
print(f"laid out {out}: {len(os.listdir(meta_out))} metadata files, {count} hash-prefixed target files", file=sys.stderr)
PY
