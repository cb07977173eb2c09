#include "mysql/driver.hpp"

#include <mysql_driver.h>
#include <openssl/ssl.h>

namespace dcp::mysql {

void InitDriver() {
  // Loading the driver initialises the MariaDB client library, which
  // initialises OpenSSL in full: the config file, every error string and the
  // by-name tables of every cipher and digest, ~1.5 MB of resident memory
  // in each process. dcp makes no TLS connection (amqps:// and https:// are
  // refused, sessions ask for no TLS): the client library uses OpenSSL only
  // to hash passwords, through direct EVP calls. So OpenSSL is initialised
  // here first without those steps; OpenSSL then ignores the library's later
  // request for them (OPENSSL_init_crypto(3): a NO_ option, once given,
  // wins). If dcp ever makes TLS connections, remove this.
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
                       OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                       OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                   nullptr);
  sql::mysql::get_mysql_driver_instance();
}

DriverThread::DriverThread() { sql::mysql::get_mysql_driver_instance()->threadInit(); }

DriverThread::~DriverThread() { sql::mysql::get_mysql_driver_instance()->threadEnd(); }

}  // namespace dcp::mysql
