#include "mysql/error_class.hpp"

namespace dcp::mysql {

DbErrorKind ClassifyError(int code, std::string_view sql_state) {
  switch (code) {
    // The data can never be written, however often it is tried. 1153 comes
    // with SQLSTATE 08S01 and a closed connection, so it is matched first.
    case 1048:  // column cannot be null
    case 1062:  // duplicate entry
    case 1118:  // row size too large
    case 1153:  // packet bigger than max_allowed_packet
    case 1264:  // out of range value
    case 1265:  // data truncated
    case 1292:  // incorrect datetime (or other) value
    case 1300:  // invalid character string
    case 1301:  // result larger than max_allowed_packet
    case 1364:  // field has no default value
    case 1366:  // incorrect string value (not valid for the column's character set)
    case 1406:  // data too long for column
    case 1451:  // foreign key: row is referenced
    case 1452:  // foreign key: no parent row
    case 3819:  // check constraint violated (MySQL)
    case 4025:  // check constraint failed (MariaDB)
      return DbErrorKind::kData;
    // The transaction lost a race: running it again succeeds. Galera reports
    // a certification failure as a deadlock.
    case 1205:  // lock wait timeout
    case 1213:  // deadlock
      return DbErrorKind::kConflict;
    // The server is not there, or cannot take writes for now.
    case 1040:  // too many connections
    case 1047:  // unknown command: a Galera node not ready (WSREP)
    case 1053:  // server shutdown in progress
    case 1158:  // network read error
    case 1159:  // network read timeout
    case 1160:  // network write error
    case 1161:  // network write timeout
    case 1203:  // max_user_connections
    case 1290:  // --read-only (a replica, or a primary being failed over)
    case 1792:  // read-only transaction
    case 1836:  // read-only mode
    case 1927:  // connection killed (MariaDB)
    case 2002:  // can't connect (socket)
    case 2003:  // can't connect (TCP)
    case 2005:  // unknown host
    case 2006:  // server has gone away
    case 2013:  // lost connection during query
    case 2014:  // commands out of sync: the connection is unusable
    case 2026:  // TLS error
    case 2055:  // lost connection at handshake / system error
    case 4031:  // disconnected for inactivity (MySQL 8)
      return DbErrorKind::kUnavailable;
    default:
      break;
  }
  // SQLSTATE classes: 08 connection exception, 22 data exception, 23
  // integrity constraint violation, 40 transaction rollback.
  if (sql_state.starts_with("08")) return DbErrorKind::kUnavailable;
  if (sql_state.starts_with("22") || sql_state.starts_with("23")) return DbErrorKind::kData;
  if (sql_state.starts_with("40")) return DbErrorKind::kConflict;
  return DbErrorKind::kOther;
}

}  // namespace dcp::mysql
