// gui_seed_demo_store DIR: fills the local store DIR/ci-cache with a few organisations'
// caches of various sizes and ages, written by the real rebuild, for the documentation
// screenshot (see README, "GUI"). Not a test.
#include "guitest.h"

#include "cache/lastused.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>

#include <cstdio>

using namespace s3cache;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const QString root = QDir(QString::fromLocal8Bit(argv[1])).absolutePath();
    LocalStore store(root, QStringLiteral("ci-cache"));
    struct Cache
    {
        const char *key;
        int files;
        int kib;      // incompressible bytes per file
        double days;  // age
        double usedDays = -1;  // when a restore last used it (days ago); -1: never
    };
    const Cache caches[] = {
        {"vela/acme/webapp/archive.tar.zst", 60, 90, 0.1, 0.02},
        {"vela/acme/webapp/archive.tgz", 40, 70, 45},
        {"vela/acme/api/archive.tar.zst", 30, 40, 1.5, 0.3},
        {"vela/acme/mobile/archive.tar.zst", 45, 80, 9, 0.5},
        {"vela/platform/auth-service/archive.tar.zst", 20, 30, 3, 2},
        {"vela/platform/gateway/archive.tar.zst", 25, 60, 0.5},
        {"vela/platform/gateway/archive.tgz", 25, 40, 120},
        {"vela/data/etl/archive.tar.zst", 35, 50, 16, 1},
        {"vela/data/ml-models/archive.tar.zst", 12, 400, 35},
        {"vela/data/notebooks/archive.tar.zst", 15, 20, 70},
    };
    QRandomGenerator random(2024);
    for (const Cache &c : caches) {
        const QString workspace = root + QStringLiteral("/.workspace");
        QDir(workspace).removeRecursively();
        test::makeWorkspace(workspace, int(random.bounded(1000)), c.files);
        for (int i = 0; i < c.files; ++i) {
            QFile blob(workspace + QStringLiteral("/node_modules/pkg%1/dist/blob%2.bin").arg(i % 9).arg(i));
            QDir().mkpath(QFileInfo(blob).path());
            QByteArray data(c.kib * 1024, Qt::Uninitialized);
            random.fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
            if (!blob.open(QIODevice::WriteOnly) || blob.write(data) != data.size())
                return 1;
        }
        const QString key = QString::fromLatin1(c.key);
        if (const Error e = test::rebuildInto(store, key, workspace)) {
            std::fprintf(stderr, "%s: %s\n", c.key, qPrintable(e.toString()));
            return 1;
        }
        if (!test::setLocalAge(store, key, qint64(c.days * 86400)))
            return 1;
        if (c.usedDays >= 0
            && (recordUse(store, key) || !test::setLocalAge(store, LastUsed::markerKey(key), qint64(c.usedDays * 86400))))
            return 1;
        QDir(workspace).removeRecursively();
    }
    std::printf("seeded %s\n", qPrintable(store.describe()));
    return 0;
}
