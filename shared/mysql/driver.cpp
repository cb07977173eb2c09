#include "mysql/driver.hpp"

#include <mysql_driver.h>

namespace dcp::mysql {

void InitDriver() { sql::mysql::get_mysql_driver_instance(); }

DriverThread::DriverThread() { sql::mysql::get_mysql_driver_instance()->threadInit(); }

DriverThread::~DriverThread() { sql::mysql::get_mysql_driver_instance()->threadEnd(); }

}  // namespace dcp::mysql
