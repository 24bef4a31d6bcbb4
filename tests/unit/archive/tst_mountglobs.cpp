// scanMounts() with globs and '!' excludes on a generated monorepo: the snapshot holds exactly
// what the patterns select (excludes reaching into included folders, later patterns winning), a
// glob never goes through or into a symbolic link, a glob that matches nothing is reported like a
// missing mount (an exclude that matches nothing is not), a change in an excluded folder leaves
// the fingerprint as it was, and the walk reads only below a glob's literal folder.
#include "archive/treesnapshot.h"

#include "archivetestutil.h"

#include <QSet>
#include <QTemporaryDir>

#include <sys/stat.h>
#include <unistd.h>

using namespace s3cache;
using namespace archivetest;

namespace {

QStringList paths(const TreeSnapshot &snapshot)
{
    QStringList out;
    for (qsizetype i = 0; i < snapshot.size(); ++i)
        out << snapshot.at(i).pathString();
    std::sort(out.begin(), out.end());
    return out;
}

QStringList l(std::initializer_list<const char *> items)
{
    QStringList out;
    for (const char *i : items)
        out << QString::fromUtf8(i);
    return out;
}

QStringList sorted(QStringList list)
{
    std::sort(list.begin(), list.end());
    return list;
}

} // namespace

class TestMountGlobs : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString ws() const { return m_dir.path(); }
    void write(const QString &rel, const QByteArray &data = "x") { QVERIFY(writeFile(ws() + u'/' + rel, data)); }

    const QStringList monorepo{QStringLiteral("**/node_modules"), QStringLiteral("!**/node_modules/.cache"),
                               QStringLiteral("packages/*/dist"), QStringLiteral("!**/*.map")};

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(chmod(fs(ws()).constData(), 0755) == 0);  // readable by the unprivileged user below
        write(QStringLiteral("package.json"), "{}");
        write(QStringLiteral("node_modules/a/index.js"));
        write(QStringLiteral("node_modules/.cache/babel/x.json"));
        QVERIFY(QDir().mkpath(ws() + QStringLiteral("/node_modules/.bin")));
        QVERIFY(QFile::link(QStringLiteral("../a/index.js"), ws() + QStringLiteral("/node_modules/.bin/a")));
        for (const char *p : {"web", "api", "docs"}) {
            const QString pkg = QStringLiteral("packages/") + QLatin1String(p);
            write(pkg + QStringLiteral("/package.json"), "{}");
            write(pkg + QStringLiteral("/src/index.ts"));
            write(pkg + QStringLiteral("/node_modules/dep/index.js"));
            write(pkg + QStringLiteral("/node_modules/dep/node_modules/inner/index.js"));  // nested: archived once
            write(pkg + QStringLiteral("/node_modules/.cache/big.bin"), QByteArray(4096, 'c'));
        }
        write(QStringLiteral("packages/web/dist/app.js"));
        write(QStringLiteral("packages/web/dist/app.js.map"));
        write(QStringLiteral("packages/api/dist/server.js"));
        // A glob matches a symbolic link as a link, and never walks through one.
        QVERIFY(QFile::link(QStringLiteral("../web/dist"), ws() + QStringLiteral("/packages/docs/dist")));
        write(QStringLiteral("elsewhere/node_modules/x.js"));
        QVERIFY(QFile::link(QStringLiteral("../elsewhere"), ws() + QStringLiteral("/packages/linked")));
        write(QStringLiteral("src/main.c"));
        QVERIFY(QDir().mkpath(ws() + QStringLiteral("/src/locked/node_modules")));
        QVERIFY(chmod(fs(ws() + QStringLiteral("/src/locked")).constData(), 0700) == 0);
    }

    void selectsExactlyWhatThePatternsSay()
    {
        const Result<TreeSnapshot> s = scanMounts(ws(), monorepo, false);
        QVERIFY2(s.ok(), qPrintable(s.error().message()));
        QStringList expected = l({
            "elsewhere/node_modules", "elsewhere/node_modules/x.js",
            "node_modules", "node_modules/.bin", "node_modules/.bin/a", "node_modules/a", "node_modules/a/index.js",
            "packages/api/dist", "packages/api/dist/server.js",
            "packages/docs/dist",  // the link itself
            "packages/web/dist", "packages/web/dist/app.js"});
        for (const char *p : {"web", "api", "docs"}) {
            const QString nm = QStringLiteral("packages/%1/node_modules").arg(QLatin1String(p));
            expected << nm << nm + QStringLiteral("/dep") << nm + QStringLiteral("/dep/index.js")
                     << nm + QStringLiteral("/dep/node_modules") << nm + QStringLiteral("/dep/node_modules/inner")
                     << nm + QStringLiteral("/dep/node_modules/inner/index.js");
        }
        if (geteuid() == 0)  // only root reads it; for anyone else it is left out as unreadable
            expected << QStringLiteral("src/locked/node_modules");
        QCOMPARE(paths(*s), sorted(expected));
        QVERIFY(s->missingMounts.isEmpty());
        for (qsizetype i = 0; i < s->size(); ++i) {
            const TreeEntry e = s->at(i);
            if (e.pathString() == u"packages/docs/dist") {
                QCOMPARE(e.type, TreeEntry::Symlink);
                QCOMPARE(e.linkTarget.toByteArray(), QByteArray("../web/dist"));
            }
        }
        // Stored workspace-relative: a glob's file is never stored by its base name.
        const Result<TreeSnapshot> files = scanMounts(ws(), {QStringLiteral("packages/*/package.json")}, false);
        QVERIFY(files.ok());
        QCOMPARE(paths(*files), l({"packages/api/package.json", "packages/docs/package.json",
                                             "packages/web/package.json"}));
    }

    void laterPatternsWinInTheScan()
    {
        const Result<TreeSnapshot> s = scanMounts(ws(), {QStringLiteral("node_modules"), QStringLiteral("!node_modules/.cache"),
                                                         QStringLiteral("node_modules/.cache/babel/x.json")}, false);
        QVERIFY(s.ok());
        QVERIFY(paths(*s).contains(QStringLiteral("node_modules/.cache/babel/x.json")));
        QVERIFY(!paths(*s).contains(QStringLiteral("node_modules/.cache")));  // excluded: only what was put back
        const Result<TreeSnapshot> r = scanMounts(ws(), {QStringLiteral("!node_modules/.cache"), QStringLiteral("node_modules")}, false);
        QVERIFY(r.ok());
        QVERIFY(paths(*r).contains(QStringLiteral("node_modules/.cache/babel/x.json")));
    }

    void nothingMatchedIsReported()
    {
        const Result<TreeSnapshot> s = scanMounts(ws(), {QStringLiteral("node_modules"), QStringLiteral("**/bower_components"),
                                                         QStringLiteral("vendor/*/lib"), QStringLiteral("!**/nothing-here"),
                                                         QStringLiteral("missing-literal")}, false);
        QVERIFY(s.ok());
        QCOMPARE(s->missingMounts, l({"**/bower_components", "vendor/*/lib", "missing-literal"}));
        // A glob whose matches all lie inside a later mount's folder still counts as matching.
        const Result<TreeSnapshot> inner = scanMounts(ws(), {QStringLiteral("node_modules/*"), QStringLiteral("node_modules")}, false);
        QVERIFY(inner.ok());
        QVERIFY(inner->missingMounts.isEmpty());
    }

    void symbolicLinksAreNotWalkedThrough()
    {
        for (const char *mount : {"packages/linked/node_modules", "packages/linked/*", "packages/linked/**/x.js"}) {
            const Result<TreeSnapshot> s = scanMounts(ws(), {QString::fromUtf8(mount)}, false);
            QVERIFY2(!s.ok(), mount);
            QCOMPARE(s.error().code(), QStringLiteral("InvalidMount"));
            QCOMPARE(s.error().message(), QStringLiteral("mount %1 passes through the symbolic link packages/linked").arg(QString::fromUtf8(mount)));
        }
        const Result<TreeSnapshot> s = scanMounts(ws(), {QStringLiteral("packages/**/x.js")}, false);
        QVERIFY(s.ok());
        QVERIFY(s->isEmpty());  // x.js is only reachable through packages/linked
        QCOMPARE(s->missingMounts, l({"packages/**/x.js"}));
        for (const char *bad : {"../*", "**/../x", "/abs/*"}) {
            const Result<TreeSnapshot> refused = scanMounts(ws(), {QString::fromUtf8(bad)}, false);
            QVERIFY2(!refused.ok(), bad);
            QCOMPARE(refused.error().kind(), ErrorKind::InvalidInput);
        }
    }

    void excludedChangesKeepTheFingerprint()
    {
        const QByteArray before = scanMounts(ws(), monorepo, false)->fingerprint();
        write(QStringLiteral("packages/web/node_modules/.cache/big.bin"), QByteArray(4096, 'd'));
        write(QStringLiteral("packages/api/node_modules/.cache/new.bin"));
        write(QStringLiteral("packages/web/dist/app.js.map"), "changed map");
        write(QStringLiteral("src/main.c"), "changed source");
        QCOMPARE(scanMounts(ws(), monorepo, false)->fingerprint(), before);
        write(QStringLiteral("packages/api/node_modules/dep/index.js"), "y");
        QVERIFY(scanMounts(ws(), monorepo, false)->fingerprint() != before);
    }

    // What is not below a glob's literal folder, or where nothing can be selected, is not read:
    // an unreadable folder there goes unnoticed, while "**/node_modules" has to look into it.
    void readsOnlyWhereSomethingMayBeSelected()
    {
        const bool root = geteuid() == 0;
        if (root)
            QVERIFY(seteuid(65534) == 0);  // then src/locked (0700, root's) cannot be read
        const Result<TreeSnapshot> dist = scanMounts(ws(), {QStringLiteral("packages/*/dist")}, false);
        const Result<TreeSnapshot> excluded = scanMounts(ws(), {QStringLiteral("**/node_modules"), QStringLiteral("!src")}, false);
        const Result<TreeSnapshot> everywhere = scanMounts(ws(), {QStringLiteral("**/node_modules")}, false);
        if (root)
            QVERIFY(seteuid(0) == 0);
        QVERIFY(dist.ok() && excluded.ok() && everywhere.ok());
        QVERIFY(dist->unreadable.isEmpty());
        QVERIFY(excluded->unreadable.isEmpty());  // nothing below src can be selected: not entered
        QCOMPARE(everywhere->unreadable, l({"src/locked"}));
    }

    void plainMountsAsBefore()
    {
        // A file mount is still stored by its base name, a folder by its path; nested mounts once.
        const Result<TreeSnapshot> s = scanMounts(ws(), {QStringLiteral("packages/web/package.json"), QStringLiteral("node_modules"),
                                                         QStringLiteral("node_modules/a")}, false);
        QVERIFY(s.ok());
        QCOMPARE(paths(*s), l({"node_modules", "node_modules/.bin", "node_modules/.bin/a", "node_modules/.cache",
                                         "node_modules/.cache/babel", "node_modules/.cache/babel/x.json", "node_modules/a",
                                         "node_modules/a/index.js", "package.json"}));
        // An exclude of the file mount leaves nothing of it (and no stray source for the next entry).
        const Result<TreeSnapshot> e = scanMounts(ws(), {QStringLiteral("packages/web/package.json"), QStringLiteral("!**/*.json"),
                                                         QStringLiteral("packages/web/src")}, false);
        QVERIFY(e.ok());
        QCOMPARE(paths(*e), l({"packages/web/src", "packages/web/src/index.ts"}));
        QCOMPARE(e->at(0).source.toByteArray(), QByteArray("packages/web/src"));
    }
};

QTEST_GUILESS_MAIN(TestMountGlobs)
#include "tst_mountglobs.moc"
