#include "error.h"

#include <QStringList>

namespace s3cache {

Error Error::withContext(const QString &context) const
{
    if (!isError() || context.isEmpty())
        return *this;
    Error copy = *this;
    copy.m_message = context + QStringLiteral(": ") + m_message;
    return copy;
}

Error Error::withMessage(const QString &message) const
{
    Error copy = *this;
    copy.m_message = message;
    return copy;
}

QString Error::toString() const
{
    if (!isError())
        return QString();
    const QString hint = m_hint.isEmpty() ? QString() : QStringLiteral("; ") + m_hint;
    QStringList details;
    if (!m_code.isEmpty())
        details << m_code;
    if (m_httpStatus > 0)
        details << QStringLiteral("HTTP %1").arg(m_httpStatus);
    if (!m_requestId.isEmpty())
        details << QStringLiteral("request id %1").arg(m_requestId);
    if (details.isEmpty())
        return m_message + hint;
    return QStringLiteral("%1 (%2)%3").arg(m_message, details.join(QStringLiteral(", ")), hint);
}

QString Error::kindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::None: return QStringLiteral("none");
    case ErrorKind::InvalidInput: return QStringLiteral("invalid input");
    case ErrorKind::Auth: return QStringLiteral("authentication");
    case ErrorKind::AccessDenied: return QStringLiteral("access denied");
    case ErrorKind::NotFound: return QStringLiteral("not found");
    case ErrorKind::Transient: return QStringLiteral("transient");
    case ErrorKind::Corrupt: return QStringLiteral("corrupt");
    case ErrorKind::Unsafe: return QStringLiteral("unsafe");
    case ErrorKind::Io: return QStringLiteral("i/o");
    case ErrorKind::Cancelled: return QStringLiteral("cancelled");
    case ErrorKind::Server: return QStringLiteral("server");
    case ErrorKind::Internal: return QStringLiteral("internal");
    }
    return QStringLiteral("unknown");
}

} // namespace s3cache
