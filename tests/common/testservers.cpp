#include "testservers.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStandardPaths>

namespace s3cache::test {

QList<TestServer> testServers(QString *error)
{
    const QString path = qEnvironmentVariable("S3CACHE_TEST_SERVERS");
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return QList<TestServer>();
    };
    if (path.isEmpty())
        return fail(QStringLiteral("S3CACHE_TEST_SERVERS is not set: run the tests through ctest, "
                                   "whose fixture servers.start starts the S3 servers"));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot read %1: %2 (did servers.start run?)").arg(path, file.errorString()));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (doc.isNull())
        return fail(QStringLiteral("%1: %2").arg(path, parseError.errorString()));
    QList<TestServer> servers;
    const QJsonObject all = doc.object().value(u"servers").toObject();
    for (auto it = all.begin(); it != all.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        servers.append({it.key(), o.value(u"endpoint").toString(), o.value(u"access_key").toString(),
                        o.value(u"secret_key").toString(), o.value(u"region").toString(),
                        o.value(u"ca_bundle").toString(), o.value(u"nolist_access_key").toString(),
                        o.value(u"nolist_secret_key").toString()});
    }
    if (servers.isEmpty())
        return fail(QStringLiteral("%1 lists no servers").arg(path));
    return servers;
}

TestServer testServer(const QString &name, QString *error)
{
    QString message;
    for (const TestServer &s : testServers(&message)) {
        if (s.name == name)
            return s;
    }
    if (error)
        *error = message.isEmpty() ? QStringLiteral("server %1 is not in the state file").arg(name) : message;
    return {};
}

QString testPython()
{
    const QString configured = qEnvironmentVariable("S3CACHE_TEST_PYTHON");
    return configured.isEmpty() ? QStandardPaths::findExecutable(QStringLiteral("python3")) : configured;
}

QString uniqueBucketName(const QString &tag)
{
    return QStringLiteral("s3c-%1-%2").arg(tag.toLower()).arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
}

} // namespace s3cache::test
