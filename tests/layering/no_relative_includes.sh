#!/bin/sh
# Fails, listing them, if a C++ source of the repository at $1 includes a
# path that climbs out of its folder (#include "../x" or <../x>). Reads the
# files git tracks, or, outside a git checkout, every source but those in
# out/, build/ and node_modules/.
set -eu
repo=${1:?usage: no_relative_includes.sh <source dir>}
cd "$repo"
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]\.\./'
sources() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z '*.cpp' '*.hpp' '*.h' '*.cc' '*.in'
  else
    find . \( -path ./out -o -path ./build -o -name node_modules -o -name .git \) -prune -o \
      -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' -o -name '*.in' \) \
      -print0
  fi
}
# grep exits 1 when nothing matches: that is the good case.
found=$(sources | xargs -0 grep -nE "$pattern" /dev/null || true)
if [ -n "$found" ]; then
  echo "relative includes (include <library>/header.hpp from the library's include/ instead):" >&2
  echo "$found" >&2
  exit 1
fi
echo "no relative includes in $(sources | tr -cd '\0' | wc -c) files"
