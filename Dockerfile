# dcp image: dcp-leader, dcp-worker, dcp-monitor and dcp in a small Debian runtime.
#   docker build -t dcp:local .          (podman build --network=host -t dcp:local .)
# Build stage: the toolchain and -dev packages (the same set as
# scripts/lib/deps.sh "build", minus the test-only ones).
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config libev-dev libmysqlcppconn-dev nlohmann-json3-dev \
      libhowardhinnant-date-dev libspdlog-dev libfmt-dev librabbitmq-dev uuid-dev libcli11-dev \
      libyaml-cpp-dev libssl-dev libcurl4-openssl-dev tzdata \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The release preset: optimised, no tests, no -Werror (an image build must
# not fail on a new compiler's warning).
RUN cmake --preset release \
 && cmake --build --preset release --target dcp-leader dcp-worker dcp-monitor dcp \
 && mkdir -p /out/bin \
 && for b in dcp-leader dcp-worker dcp-monitor dcp; do strip -o "/out/bin/$b" "out/release/bin/$b"; done

# Runtime stage: only the shared libraries the binaries link (checked below),
# tzdata for DCP_TZ, the system's CAs for an https:// webhook
# (ca-certificates; DCP_WEBHOOK_CA_FILE for a private CA), and a non-root
# user.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libev4 librabbitmq4 libmysqlcppconn7v5 libmariadb3 libfmt9 libdate-tz3 \
      libssl3 libyaml-cpp0.7 libcurl4 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --gid 0 --home-dir /nonexistent --shell /usr/sbin/nologin dcp
COPY --from=build /out/bin/ /usr/local/bin/
# The reference topology and job (also embedded in the binaries) and the
# migrations (also compiled in), for operators and for DCP_TOPOLOGY.
COPY data/grid/reference.json /usr/share/dcp/grid/reference.json
COPY jobs/ /usr/share/dcp/jobs/
COPY db/migrations/ /usr/share/dcp/migrations/
# dcp_task (persistent Python programs): found beside the binaries
# (/usr/local/bin/../share/dcp/python), on every program's PYTHONPATH.
COPY sdk/python/dcp_task.py /usr/local/share/dcp/python/dcp_task.py
RUN if ldd /usr/local/bin/* | grep 'not found'; then exit 1; fi \
 && dcp-leader --help >/dev/null && dcp-worker --help >/dev/null && dcp-monitor --help >/dev/null \
 && dcp --help >/dev/null
# Numeric user so that Kubernetes can verify runAsNonRoot; group 0 so that
# OpenShift's arbitrary UIDs (always in group 0) work the same.
USER 10001:0
ENV DCP_HTTP_PORT=8080
EXPOSE 8080
# Workers by default; compose and the manifests set the command per role.
CMD ["dcp-worker"]
