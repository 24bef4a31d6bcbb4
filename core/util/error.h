#pragma once
// One error type for the whole core: a kind (what the caller should do about it), a short
// machine code (the S3 error code such as "NoSuchBucket", or our own such as "UnsafeEntry"),
// a human message with context, for S3 failures the HTTP status and request id, and for
// well-known failures a plain-language hint at the likely cause ("wrong secret key?").
// Errors are carried up to the edge (the CLI prints them, the GUI shows them); never swallowed.

#include <QString>

namespace s3cache {

enum class ErrorKind {
    None = 0,
    InvalidInput,  // bad parameter or usage (CLI exit 2); never heals by itself
    Auth,          // wrong credentials, signature mismatch, expired token
    AccessDenied,  // credentials fine but not allowed
    NotFound,      // missing object or bucket (callers decide whether this is a miss)
    Transient,     // network errors, timeouts, 5xx, throttling: retried, then reported
    Corrupt,       // archive damaged or truncated, checksum mismatch
    Unsafe,        // archive entry that would escape the workspace, or a bomb
    Io,            // local filesystem failure
    Cancelled,     // cancelled by the user or a signal
    Server,        // any other error answered by the server (4xx not covered above)
    Internal,      // a bug: a state that should not be reachable
};

class Error
{
public:
    Error() = default;
    Error(ErrorKind kind, QString code, QString message)
        : m_kind(kind), m_code(std::move(code)), m_message(std::move(message)) {}

    static Error none() { return {}; }

    bool isError() const { return m_kind != ErrorKind::None; }
    explicit operator bool() const { return isError(); }

    ErrorKind kind() const { return m_kind; }
    const QString &code() const { return m_code; }
    const QString &message() const { return m_message; }
    int httpStatus() const { return m_httpStatus; }
    const QString &requestId() const { return m_requestId; }
    const QString &hint() const { return m_hint; }

    Error &setHttpStatus(int status) { m_httpStatus = status; return *this; }
    Error &setRequestId(const QString &id) { m_requestId = id; return *this; }
    Error &setHint(const QString &hint) { m_hint = hint; return *this; }

    // Prepends context: Error(...).withContext("restore s3://b/k") -> "restore s3://b/k: <message>"
    Error withContext(const QString &context) const;
    // The same error (kind, code, status, request id, hint) with another message.
    Error withMessage(const QString &message) const;

    // "<message> (<code>, HTTP <status>, request id <id>); <hint>" with the parts that are known.
    QString toString() const;

    static QString kindName(ErrorKind kind);

private:
    ErrorKind m_kind = ErrorKind::None;
    QString m_code;
    QString m_message;
    int m_httpStatus = 0;
    QString m_requestId;
    QString m_hint;
};

} // namespace s3cache
