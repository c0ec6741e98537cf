#!/usr/bin/env bash
# The archive a release attaches for one target, as `cargo binstall cargo-allocbench` expects it
# (`[package.metadata.binstall]` in cargo-allocbench/Cargo.toml): `cargo-allocbench-TARGET.tar.gz`
# holding `cargo-allocbench-TARGET/cargo-allocbench` and the README.
#
#   scripts/release/archive.sh TARGET BINARY OUT_DIR
#
# .github/workflows/release.yml runs it on each runner's release build; .ci/run runs it on the
# tests' build and checks the archive's layout, so that the release's path is tried before a tag.
set -euo pipefail
target="$1"
binary="$2"
out="$3"
folder="cargo-allocbench-$target"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/$folder"
cp "$binary" "$work/$folder/cargo-allocbench"
cp "$(dirname "$0")/../../README.md" "$work/$folder/"
mkdir -p "$out"
tar -czf "$out/$folder.tar.gz" -C "$work" "$folder"
echo "$out/$folder.tar.gz"
