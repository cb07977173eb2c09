# Finds MySQL Connector/C++ 1.1 (JDBC API; Debian's libmysqlcppconn-dev ships
# no CMake config). Defines MysqlConnectorCpp::mysqlcppconn.
find_path(MYSQLCPPCONN_INCLUDE_DIR mysql_driver.h)
find_library(MYSQLCPPCONN_LIBRARY NAMES mysqlcppconn)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MysqlConnectorCpp
  REQUIRED_VARS MYSQLCPPCONN_LIBRARY MYSQLCPPCONN_INCLUDE_DIR)
if(MysqlConnectorCpp_FOUND AND NOT TARGET MysqlConnectorCpp::mysqlcppconn)
  add_library(MysqlConnectorCpp::mysqlcppconn UNKNOWN IMPORTED)
  set_target_properties(MysqlConnectorCpp::mysqlcppconn PROPERTIES
    IMPORTED_LOCATION "${MYSQLCPPCONN_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${MYSQLCPPCONN_INCLUDE_DIR}")
endif()
mark_as_advanced(MYSQLCPPCONN_INCLUDE_DIR MYSQLCPPCONN_LIBRARY)
