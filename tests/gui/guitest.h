#pragma once
// Shared by the GUI tests: a main() without a keychain service, screenshots into the build
// tree, seeding stores with real cache archives, and a store wrapper that injects faults or
// holds a download until it is cancelled (to test Cancel without racing a fast machine).

#include "cache/localstore.h"
#include "translations.h"

#include <QApplication>
#include <QMap>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <atomic>
#include <memory>

namespace s3cache::test {

// Points D-Bus at nowhere, so QtKeychain finds no keychain service, as on a headless machine:
// tests never touch the developer's real keychain and always take the in-memory path.
void prepareGuiTestEnvironment();

// Saves `widget`'s image as <build>/tests/gui/screenshots/<name>.png.
bool saveScreenshot(QWidget *widget, const QString &name);

// Creates a node_modules tree under `workspace` (files, nested folders, a relative symlink).
void makeWorkspace(const QString &workspace, int seed, int files);
// Archives `workspace`'s node_modules into `key` (tar.zst, or tar.gz for a .tgz key).
Error rebuildInto(ObjectStore &store, const QString &key, const QString &workspace);
// The same as a dedup cache (a .dedup key) whose chunks go to `chunkArea` ("PREFIX/.chunks/").
Error rebuildDedupInto(ObjectStore &store, const QString &key, const QString &workspace, const QString &chunkArea);
// Backdates a local store object (its LastModified is the file's modification time).
bool setLocalAge(const LocalStore &store, const QString &key, qint64 ageSeconds);
// Relative path -> content (or "-> target" as stored in a link, "<dir>") of everything under `root`,
// but for the workspace's content state (.s3cache-state: local to each workspace, never cached).
QMap<QString, QByteArray> treeContents(const QString &root);

// What a FaultyStore does; shared by all its views, so the test can watch.
struct Faults
{
    Error listError;            // list() fails with this (after no page)
    qint64 holdReadsAfter = -1; // >= 0: reads stop after this many bytes until cancelled
    std::atomic<int> holding{0};  // readers currently held
};

class FaultyStore : public ObjectStore
{
public:
    FaultyStore(std::shared_ptr<ObjectStore> inner, std::shared_ptr<Faults> faults,
                CancellationPtr cancellation = nullptr);

    QString describe() const override { return m_inner->describe(); }
    QString uri(const QString &key) const override { return m_inner->uri(key); }
    std::unique_ptr<ObjectStore> withContext(const CallContext &context) const override;
    Result<ObjectInfo> head(const QString &key) override { return m_inner->head(key); }
    Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) override;
    Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                    qint64 sizeHint) override
    {
        return m_inner->openWrite(key, metadata, sizeHint);
    }
    Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) override;
    RemoveResult remove(const QStringList &keys) override { return m_inner->remove(keys); }

private:
    std::shared_ptr<ObjectStore> m_inner;
    std::shared_ptr<Faults> m_faults;
    CancellationPtr m_cancellation;
};

// A TCP relay in front of a real S3 server (moto), to take the server away under a live
// session: kill() closes the port and every connection (the server is gone: connection
// refused); hang() keeps the connections open but passes nothing on (a stopped server, like
// SIGSTOP, without stopping the shared moto). Runs on the thread that created it.
class TcpRelay : public QObject
{
public:
    // `target`: "http://127.0.0.1:PORT".
    explicit TcpRelay(const QString &target, QObject *parent = nullptr);
    ~TcpRelay() override;
    QString endpoint() const;  // "http://127.0.0.1:RELAYPORT"
    void kill();
    void hang() { m_hung = true; }

private:
    void onConnection();

    QString m_host;
    quint16 m_port = 0;
    QTcpServer m_server;
    bool m_hung = false;
    QList<QPointer<QTcpSocket>> m_sockets;
};

} // namespace s3cache::test

#define S3CACHE_GUI_TEST_MAIN(TestClass)                \
    int main(int argc, char *argv[])                    \
    {                                                   \
        s3cache::test::prepareGuiTestEnvironment();     \
        QApplication app(argc, argv);                   \
        s3cache::installTranslations(&app);             \
        TestClass tc;                                   \
        QTEST_SET_MAIN_SOURCE_PATH                      \
        return QTest::qExec(&tc, argc, argv);           \
    }
