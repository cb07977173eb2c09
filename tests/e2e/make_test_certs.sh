#!/usr/bin/env bash
# make_test_certs.sh DIR: a throw-away CA of the test's own and a receiver
# certificate it signs, for 127.0.0.1 and ::1 only (no name: a client that
# asks for "localhost" must refuse it), plus a second, unrelated CA.
#   DIR/ca.pem  DIR/server.pem DIR/server.key  DIR/other-ca.pem
# P-256 keys, valid one day; nothing outside DIR is read or written.
set -euo pipefail
dir=$1
cd "$dir"
ca() { # ca NAME: a self-signed CA certificate NAME.pem and its key NAME.key
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=dcp test $1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
ca ca
ca other-ca
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=dcp test receiver" -keyout server.key -out server.csr 2>/dev/null
printf '%s\n' 'subjectAltName = IP:127.0.0.1, IP:::1' 'basicConstraints = CA:FALSE' \
  'keyUsage = digitalSignature' 'extendedKeyUsage = serverAuth' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
  -extfile server.ext -out server.pem 2>/dev/null
