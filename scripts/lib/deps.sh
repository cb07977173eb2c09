# shellcheck shell=bash
# Sourced by the scripts: installs Debian packages that are missing.
#   dcp_install build|servers|cluster|all|test   the project's package sets
#   dcp_install_tools PKG...                     any packages

dcp_packages_build=(cmake ninja-build g++ clang pkg-config libev-dev libmysqlcppconn-dev
  nlohmann-json3-dev libhowardhinnant-date-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  librabbitmq-dev uuid-dev libcli11-dev libyaml-cpp-dev libssl-dev libcurl4-openssl-dev tzdata)
dcp_packages_servers=(rabbitmq-server mariadb-server mariadb-client)
# scripts/cluster's Galera: the provider, rsync for its state transfers, and
# ss (iproute2) that its transfer script and scripts/cluster look at ports with.
dcp_packages_cluster=(galera-4 rsync iproute2)
# What the test suite needs beyond those: sanitizer/fuzzer runtimes (and the
# tsan preset's clang 16 with its own: docs/design.md says why), HTTP probes,
# the manifest validation (node), the format check, the browser test
# (chromium, driven by playwright-core from tests/browser), the lint of the
# C++ (clang-tidy, with run-clang-tidy) and of the shell scripts (shellcheck),
# the webhook's https tests (openssl makes their CA; python3 serves), the
# alert rules' check (promtool, from prometheus).
dcp_packages_test=(libclang-rt-14-dev clang-16 libclang-rt-16-dev curl clang-format clang-tidy shellcheck python3 chromium openssl prometheus)

dcp_install_tools() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  # The packages' own service start is refused here (no init); scripts/stack runs private servers.
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

dcp_install() {
  case "$1" in
    build) dcp_install_tools "${dcp_packages_build[@]}" ;;
    servers) dcp_install_tools "${dcp_packages_servers[@]}" ;;
    cluster) dcp_install_tools "${dcp_packages_servers[@]}" "${dcp_packages_cluster[@]}" ;;
    all) dcp_install_tools "${dcp_packages_build[@]}" "${dcp_packages_servers[@]}" ;;
    test)
      dcp_install_tools "${dcp_packages_build[@]}" "${dcp_packages_servers[@]}" "${dcp_packages_test[@]}"
      # Node may come from elsewhere (nodesource's nodejs ships its own npm,
      # which Debian's npm package conflicts with): install only if missing.
      command -v npm >/dev/null || dcp_install_tools nodejs npm
      ;;
  esac
}
