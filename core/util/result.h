#pragma once
// Result<T>: a value or an Error (C++20 has no std::expected).

#include "error.h"

#include <optional>
#include <utility>

namespace s3cache {

template<typename T>
class Result
{
public:
    Result(T value) : m_value(std::move(value)) {}            // NOLINT(google-explicit-constructor)
    Result(Error error) : m_error(std::move(error)) {}        // NOLINT(google-explicit-constructor)

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }

    const Error &error() const { return m_error; }
    T &value() { return *m_value; }
    const T &value() const { return *m_value; }
    T *operator->() { return &*m_value; }
    const T *operator->() const { return &*m_value; }
    T &operator*() { return *m_value; }
    const T &operator*() const { return *m_value; }

private:
    std::optional<T> m_value;
    Error m_error;
};

} // namespace s3cache
