#!/usr/bin/env bash
# The alert rules with promtool (Debian package prometheus): the plain file
# openshift/alerts/dcp-rules.yaml is valid, and its unit tests
# (dcp-rules.test.yaml: each alert fires on its series, not on healthy ones)
# pass. The template holds the same rules (manifests.test.js). Skipped
# (exit 77) without promtool.
set -euo pipefail
alerts=$(cd "$(dirname "$0")/../../openshift/alerts" && pwd)
if ! command -v promtool >/dev/null; then
  echo "rules_test: skipped, promtool is needed (apt-get install prometheus)" >&2
  exit 77
fi
promtool check rules "$alerts/dcp-rules.yaml"
promtool test rules "$alerts/dcp-rules.test.yaml"
