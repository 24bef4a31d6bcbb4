#include "guitest.h"

#include "cache/rebuildjob.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QUrl>
#include <QWidget>

#include <unistd.h>

namespace s3cache::test {

void prepareGuiTestEnvironment()
{
    qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/s3cache-gui-test-bus");
}

TcpRelay::TcpRelay(const QString &target, QObject *parent) : QObject(parent)
{
    const QUrl url(target);
    m_host = url.host();
    m_port = quint16(url.port(80));
    m_server.listen(QHostAddress::LocalHost, 0);
    connect(&m_server, &QTcpServer::newConnection, this, &TcpRelay::onConnection);
}

TcpRelay::~TcpRelay()
{
    kill();
}

QString TcpRelay::endpoint() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
}

void TcpRelay::kill()
{
    m_server.close();
    for (const QPointer<QTcpSocket> &socket : std::as_const(m_sockets))
        if (socket)
            socket->abort();
    m_sockets.clear();
}

void TcpRelay::onConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        auto *upstream = new QTcpSocket(this);
        client->setParent(this);
        m_sockets << client << upstream;
        const auto pipe = [this](QTcpSocket *from, QTcpSocket *to) {
            connect(from, &QTcpSocket::readyRead, this, [this, from, to] {
                if (m_hung)
                    return;  // the bytes wait, unanswered
                if (to->state() == QAbstractSocket::ConnectedState)
                    to->write(from->readAll());
            });
            connect(from, &QTcpSocket::disconnected, this, [to] {
                if (to->state() != QAbstractSocket::UnconnectedState)
                    to->disconnectFromHost();
            });
        };
        pipe(client, upstream);
        pipe(upstream, client);
        connect(upstream, &QTcpSocket::connected, this, [this, client, upstream] {
            if (!m_hung && client->bytesAvailable() > 0)
                upstream->write(client->readAll());
        });
        upstream->connectToHost(m_host, m_port);
    }
}

bool saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = QStringLiteral(S3CACHE_SCREENSHOT_DIR);
    if (!QDir().mkpath(dir))
        return false;
    // Lay out what the last signals changed (a banner's new text), as the next paint would;
    // a layout pass can request another (a wrapped label gets taller), hence a few rounds.
    for (int round = 0; round < 3; ++round)
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    return widget->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

void makeWorkspace(const QString &workspace, int seed, int files)
{
    for (int i = 0; i < files; ++i) {
        const QString path = workspace + QStringLiteral("/node_modules/pkg%1/lib/index%2.js").arg(i % 7).arg(i);
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path);
        if (f.open(QIODevice::WriteOnly))
            f.write(QByteArray("module.exports = ") + QByteArray::number(seed * 1000 + i).repeated(50 + i * 13) + ";\n");
    }
    QDir().mkpath(workspace + QStringLiteral("/node_modules/.bin"));
    QFile::link(QStringLiteral("../pkg1/lib/index1.js"), workspace + QStringLiteral("/node_modules/.bin/tool"));
    QDir().mkpath(workspace + QStringLiteral("/node_modules/empty-dir"));
}

Error rebuildInto(ObjectStore &store, const QString &key, const QString &workspace)
{
    RebuildOptions options;
    options.key = key;
    options.workspace = workspace;
    options.mounts = {QStringLiteral("node_modules")};
    if (key.endsWith(QLatin1String(".tgz")))
        options.archive.format = ArchiveFormat::TarGzip;
    RebuildJob job(store, options);
    return job.exec();
}

Error rebuildDedupInto(ObjectStore &store, const QString &key, const QString &workspace, const QString &chunkArea)
{
    RebuildOptions options;
    options.key = key;
    options.workspace = workspace;
    options.mounts = {QStringLiteral("node_modules")};
    options.archive.format = ArchiveFormat::Dedup;
    options.chunkArea = chunkArea;
    RebuildJob job(store, options);
    return job.exec();
}

bool setLocalAge(const LocalStore &store, const QString &key, qint64 ageSeconds)
{
    QFile f(store.bucketPath() + QLatin1Char('/') + key);
    return f.open(QIODevice::ReadWrite)
           && f.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-ageSeconds), QFileDevice::FileModificationTime);
}

QMap<QString, QByteArray> treeContents(const QString &root)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QFileInfo fi(path);
        const QString rel = QDir(root).relativeFilePath(path);
        if (rel == QLatin1String(".s3cache-state"))
            continue;
        if (fi.isSymLink()) {
            char target[4096];
            const ssize_t n = ::readlink(QFile::encodeName(path).constData(), target, sizeof target);
            out.insert(rel, "-> " + QByteArray(target, n > 0 ? int(n) : 0));
        } else if (fi.isDir()) {
            out.insert(rel, "<dir>");
        } else {
            QFile f(path);
            out.insert(rel, f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>"));
        }
    }
    return out;
}

namespace {

// Passes `budget` bytes through, then holds the reader until the job is cancelled.
class HeldStream : public ObjectStream
{
public:
    HeldStream(std::unique_ptr<ObjectStream> inner, std::shared_ptr<Faults> faults, CancellationPtr cancellation)
        : m_inner(std::move(inner)), m_faults(std::move(faults)), m_cancellation(std::move(cancellation)),
          m_budget(m_faults->holdReadsAfter)
    {
        open(QIODevice::ReadOnly);
    }

    // Not at the end while holding: the reader must come back and wait.
    bool atEnd() const override { return m_budget > 0 && m_inner->atEnd(); }

protected:
    qint64 readData(char *data, qint64 maxlen) override
    {
        if (m_budget > 0) {
            const qint64 n = m_inner->read(data, std::min(maxlen, m_budget));
            if (n > 0) {
                m_budget -= n;
                m_transferred += n;
            }
            return n;
        }
        ++m_faults->holding;
        // The worker thread reading this stream blocks until the job is cancelled.
        if (m_cancellation)
            m_cancellation->wait();
        --m_faults->holding;
        setStreamError(Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("download cancelled")));
        return -1;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    std::unique_ptr<ObjectStream> m_inner;
    std::shared_ptr<Faults> m_faults;
    CancellationPtr m_cancellation;
    qint64 m_budget;
};

} // namespace

FaultyStore::FaultyStore(std::shared_ptr<ObjectStore> inner, std::shared_ptr<Faults> faults, CancellationPtr cancellation)
    : m_inner(std::move(inner)), m_faults(std::move(faults)), m_cancellation(std::move(cancellation))
{
}

std::unique_ptr<ObjectStore> FaultyStore::withContext(const CallContext &context) const
{
    return std::make_unique<FaultyStore>(m_inner->withContext(context), m_faults, context.cancellation);
}

Result<std::unique_ptr<ObjectStream>> FaultyStore::openRead(const ObjectInfo &info)
{
    Result<std::unique_ptr<ObjectStream>> stream = m_inner->openRead(info);
    if (!stream.ok() || m_faults->holdReadsAfter < 0)
        return stream;
    return std::unique_ptr<ObjectStream>(std::make_unique<HeldStream>(std::move(*stream), m_faults, m_cancellation));
}

Error FaultyStore::list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page)
{
    if (m_faults->listError)
        return m_faults->listError;
    return m_inner->list(prefix, page);
}

} // namespace s3cache::test
