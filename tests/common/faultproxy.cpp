#include "faultproxy.h"

#include "testservers.h"

namespace s3cache::test {

bool FaultProxy::start(const QString &upstream, const QStringList &rules, QString *error)
{
    QStringList args{QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/fault/faultproxy.py"), QStringLiteral("--upstream"), upstream};
    for (const QString &rule : rules)
        args << QStringLiteral("--rule") << rule;
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(testPython(), args);
    const QByteArray line = readLine();
    if (!line.startsWith("PORT ")) {
        *error = QStringLiteral("faultproxy did not start: ") + QString::fromUtf8(line);
        return false;
    }
    m_port = line.mid(5).trimmed().toInt();
    return true;
}

FaultProxy::~FaultProxy()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.closeWriteChannel();  // the proxy stops when its stdin closes
        if (!m_process.waitForFinished(10000))
            m_process.kill();
    }
}

bool FaultProxy::waitInjected(const QString &kind, int count)
{
    const QByteArray wanted = QStringLiteral("INJECTED %1 %2").arg(kind).arg(count).toUtf8();
    for (;;) {
        const QByteArray line = readLine();
        if (line.isEmpty())
            return false;
        if (line == wanted)
            return true;
    }
}

QByteArray FaultProxy::readLine()
{
    while (!m_process.canReadLine()) {
        if (!m_process.waitForReadyRead(120000))
            return {};
    }
    return m_process.readLine().trimmed();
}

} // namespace s3cache::test
