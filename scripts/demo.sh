#!/usr/bin/env bash
# Installs what teardown needs, builds the optimised binary, and runs
# `teardown demo` on its bundled default. Arguments go to `teardown demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target teardown >/dev/null
exec build/release/src/teardown demo "$@"
