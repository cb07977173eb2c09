#include "mysql/driver.hpp"

#include <mysql_driver.h>
#include <openssl/ssl.h>

namespace dcp::mysql {

void InitDriver() {
  // Loading the driver initialises the MariaDB client library, which
  // initialises OpenSSL in full: the config file, every error string and the
  // by-name tables of every cipher and digest, ~1.5 MB of resident memory
  // in each process. dcp needs none of them: its TLS connections (amqps://,
  // MySQL TLS, https webhooks) set their own minimum version (1.2) and
  // verification instead of reading openssl.cnf, OpenSSL 3 fetches the
  // algorithms a handshake uses from its providers (not the by-name
  // tables), and the reasons dcp reports for a refused certificate come from
  // X509_verify_cert_error_string, which has its own texts (the TLS tests
  // check them). So OpenSSL is initialised here first without those steps;
  // it then ignores the library's later request for them
  // (OPENSSL_init_crypto(3): a NO_ option, once given, wins).
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
                       OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                       OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                   nullptr);
  sql::mysql::get_mysql_driver_instance();
}

DriverThread::DriverThread() { sql::mysql::get_mysql_driver_instance()->threadInit(); }

DriverThread::~DriverThread() { sql::mysql::get_mysql_driver_instance()->threadEnd(); }

}  // namespace dcp::mysql
