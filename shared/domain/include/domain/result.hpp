#pragma once
// Expected outcomes as values: a Result holds either a T or an Error with a
// human-readable reason. Infrastructure failures throw instead (see
// infra/errors.hpp); parsing and validation return a Result.
#include <string>
#include <utility>
#include <variant>

namespace dcp {

struct Error {
  std::string reason;
  // Retrying cannot help (the input itself is wrong): the caller should not
  // spend more attempts on it.
  bool permanent = false;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // Precondition: !ok().
  const std::string& reason() const { return std::get<Error>(v_).reason; }
  bool permanent() const { return std::get<Error>(v_).permanent; }

 private:
  std::variant<T, Error> v_;
};

}  // namespace dcp
