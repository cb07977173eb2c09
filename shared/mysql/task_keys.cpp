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

std::string KeyText(std::string_view key) {
  const auto uuid = Uuid::FromBytes(key);
  if (!uuid) {
    throw DbError("mysql: a key of " + std::to_string(key.size()) + " bytes, not 16", false);
  }
  return uuid->ToString();
}

}  // namespace dcp::mysql
