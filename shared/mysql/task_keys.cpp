#include "task_keys.hpp"

#include "domain/ids.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {

std::string KeyLiteral(std::string_view id) {
  if (!Uuid::Parse(id))
    throw DbError("mysql: task id '" + std::string(id) + "' is not a UUID", false);
  std::string literal = "X'";
  literal.reserve(35);
  for (const char c : id) {
    if (c != '-') literal.push_back(c);
  }
  literal.push_back('\'');
  return literal;
}

}  // namespace dcp::mysql
