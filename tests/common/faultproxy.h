#pragma once
// tests/fault/faultproxy.py as a child process, for C++ tests: an HTTP/1.1 proxy in front of a
// real S3 server on 127.0.0.1 that injects the faults its rules (JSON objects, see the script)
// describe. It stops when this object is destroyed.

#include <QProcess>
#include <QString>
#include <QStringList>

namespace s3cache::test {

class FaultProxy
{
public:
    FaultProxy() = default;
    ~FaultProxy();
    FaultProxy(const FaultProxy &) = delete;
    FaultProxy &operator=(const FaultProxy &) = delete;

    bool start(const QString &upstream, const QStringList &rules, QString *error);
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    // Blocks until the proxy announces the `count`-th fault of `kind` (false: it never did).
    bool waitInjected(const QString &kind, int count);

private:
    QByteArray readLine();

    QProcess m_process;
    int m_port = 0;
};

} // namespace s3cache::test
