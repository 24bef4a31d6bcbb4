// The JSON documents of `--output json` (cache/jsonreport.h): the schema's rules (snake_case
// names, integer sizes, ISO-8601 times beside epoch seconds, null for what is absent), the
// outcome each job result maps to, what flush says it deleted, and masking: a registered secret
// never reaches the document, and config's JSON shows exactly the values its text shows.
// End to end (every command against moto and file://): tests/e2e/test_json_output.py.
#include "cache/jsonreport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

namespace {

// Every member name in `value`, at any depth, but below "metadata" and "parameters" (names
// that are data: x-amz-meta-* names and the parameter table's, snake_case already).
void collectNames(const QJsonValue &value, QStringList *names)
{
    if (value.isArray()) {
        for (const QJsonValue &item : value.toArray())
            collectNames(item, names);
    } else if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            *names << it.key();
            if (it.key() != u"metadata" && it.key() != u"parameters")
                collectNames(it.value(), names);
        }
    }
}

void verifySnakeCase(const QJsonObject &document)
{
    QStringList names;
    collectNames(document, &names);
    const QRegularExpression snake(QStringLiteral("^[a-z][a-z0-9]*(_[a-z0-9]+)*$"));
    for (const QString &name : std::as_const(names))
        QVERIFY2(snake.match(name).hasMatch(), qPrintable(name));
}

ObjectInfo object(const QString &key, qint64 size, qint64 epoch)
{
    ObjectInfo o;
    o.key = key;
    o.size = size;
    o.lastModified = QDateTime::fromSecsSinceEpoch(epoch, Qt::UTC);
    o.etag = "abc";
    return o;
}

QJsonObject parse(const QByteArray &line)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("%s: %s", qPrintable(error.errorString()), line.constData());
    return doc.object();
}

} // namespace

class TestJsonReport : public QObject
{
    Q_OBJECT

private slots:
    void documentCarriesSchemaExitCodeAndError();
    void everyErrorKindHasAName();
    void objectsHaveBytesAndBothTimes();
    void restoreOutcomes();
    void rebuildOutcomes();
    void flushSaysWhatItDeleted();
    void listAndInspect();
    void oneMaskedLine();
    void configJsonShowsWhatTheTextShows();
};

void TestJsonReport::documentCarriesSchemaExitCodeAndError()
{
    const QJsonObject ok = JsonReport::document(QStringLiteral("list"), 0);
    QCOMPARE(ok.value(u"schema").toString(), QStringLiteral("s3cache/list/1"));
    QCOMPARE(ok.value(u"command").toString(), QStringLiteral("list"));
    QCOMPARE(ok.value(u"exit_code").toInt(-1), 0);
    QVERIFY(ok.value(u"error").isNull());

    Error e(ErrorKind::NotFound, QStringLiteral("NoSuchBucket"), QStringLiteral("the bucket does not exist"));
    e.setHttpStatus(404).setRequestId(QStringLiteral("R1")).setHint(QStringLiteral("check root"));
    const QJsonObject failed = JsonReport::document(QStringLiteral("restore"), 1, &e, QStringLiteral("restore of s3://b/k"));
    QCOMPARE(failed.value(u"exit_code").toInt(), 1);
    const QJsonObject error = failed.value(u"error").toObject();
    QCOMPARE(error.value(u"kind").toString(), QStringLiteral("not_found"));
    QCOMPARE(error.value(u"code").toString(), QStringLiteral("NoSuchBucket"));
    QCOMPARE(error.value(u"message").toString(), QStringLiteral("the bucket does not exist"));
    QCOMPARE(error.value(u"hint").toString(), QStringLiteral("check root"));
    QCOMPARE(error.value(u"http_status").toInt(), 404);
    QCOMPARE(error.value(u"request_id").toString(), QStringLiteral("R1"));
    QCOMPARE(error.value(u"context").toString(), QStringLiteral("restore of s3://b/k"));

    // Parts an error does not have are null, not "" or 0.
    const QJsonObject bare = JsonReport::errorJson(Error(ErrorKind::Io, {}, QStringLiteral("disk full")));
    for (const char *name : {"code", "hint", "http_status", "request_id", "context"})
        QVERIFY2(bare.value(QLatin1String(name)).isNull(), name);
    // An error that is none is no error object.
    const Error none;
    QVERIFY(JsonReport::document(QStringLiteral("list"), 0, &none).value(u"error").isNull());
}

void TestJsonReport::everyErrorKindHasAName()
{
    QSet<QString> names;
    for (int k = int(ErrorKind::None); k <= int(ErrorKind::Internal); ++k) {
        const QString name = JsonReport::errorKindId(ErrorKind(k));
        QVERIFY2(QRegularExpression(QStringLiteral("^[a-z_]+$")).match(name).hasMatch(), qPrintable(name));
        names.insert(name);
    }
    QCOMPARE(names.size(), int(ErrorKind::Internal) + 1);
    QCOMPARE(JsonReport::errorKindId(ErrorKind::AccessDenied), QStringLiteral("access_denied"));
    QCOMPARE(JsonReport::errorKindId(ErrorKind::InvalidInput), QStringLiteral("invalid_input"));
}

void TestJsonReport::objectsHaveBytesAndBothTimes()
{
    const QJsonObject o = JsonReport::objectJson(object(QStringLiteral("acme/webapp/archive.tar.zst"), 5'000'000'000, 1'764'600'000));
    QCOMPARE(o.value(u"key").toString(), QStringLiteral("acme/webapp/archive.tar.zst"));
    QVERIFY(o.value(u"size").isDouble());
    QCOMPARE(o.value(u"size").toInteger(), 5'000'000'000);  // beyond 32 bits, exact
    QCOMPARE(o.value(u"last_modified").toString(), QStringLiteral("2025-12-01T14:40:00Z"));
    QCOMPARE(o.value(u"last_modified_epoch").toInteger(), 1'764'600'000);
    QCOMPARE(o.value(u"etag").toString(), QStringLiteral("abc"));

    ObjectInfo unknown;
    unknown.key = QStringLiteral("k");
    const QJsonObject u = JsonReport::objectJson(unknown);
    QVERIFY(u.value(u"size").isNull());
    QVERIFY(u.value(u"last_modified").isNull());
    QVERIFY(u.value(u"last_modified_epoch").isNull());
    QVERIFY(u.value(u"etag").isNull());
}

void TestJsonReport::restoreOutcomes()
{
    RestoreResult miss;
    const QJsonObject m = JsonReport::restoreJson(miss, {.key = QStringLiteral("k"), .elapsedMs = 1500});
    QCOMPARE(m.value(u"outcome").toString(), QStringLiteral("miss"));
    QVERIFY(!m.value(u"hit").toBool(true));
    QVERIFY(!m.value(u"exact").toBool(true));
    QVERIFY(m.value(u"matched_key").isNull());
    QVERIFY(m.value(u"object").isNull());
    QCOMPARE(m.value(u"seconds").toDouble(), 1.5);

    RestoreResult exact;
    exact.hit = exact.exact = true;
    exact.matchedKey = QStringLiteral("k");
    exact.object = object(QStringLiteral("k"), 100, 1'000'000'000);
    exact.stats.bytesOut = 300;  // the extractor's count; what came from the store is bytesDownloaded
    exact.bytesDownloaded = 100;
    exact.stats.bytesIn = 400;
    exact.stats.files = 3;
    exact.stats.entries = 5;
    exact.stats.format = QStringLiteral("tar.zst");
    const QJsonObject e = JsonReport::restoreJson(exact, {.key = QStringLiteral("k")});
    QCOMPARE(e.value(u"outcome").toString(), QStringLiteral("restored"));
    QVERIFY(e.value(u"hit").toBool() && e.value(u"exact").toBool());
    QCOMPARE(e.value(u"matched_key").toString(), QStringLiteral("k"));
    QVERIFY(e.value(u"matched_by").isNull());
    QCOMPARE(e.value(u"archive_size").toInteger(), 100);
    QCOMPARE(e.value(u"bytes_transferred").toInteger(), 100);
    QCOMPARE(e.value(u"bytes_restored").toInteger(), 400);
    QCOMPARE(e.value(u"files").toInteger(), 3);
    QCOMPARE(e.value(u"format").toString(), QStringLiteral("tar.zst"));
    verifySnakeCase(e);

    RestoreResult near = exact;
    near.exact = false;
    near.matchedKey = QStringLiteral("npm-main-1");
    near.matchedBy = {.key = QStringLiteral("npm-"), .prefix = true, .origin = QStringLiteral("restore key")};
    const QJsonObject n = JsonReport::restoreJson(near, {.key = QStringLiteral("npm-x"), .lookupOnly = true});
    QCOMPARE(n.value(u"outcome").toString(), QStringLiteral("found"));
    QVERIFY(n.value(u"hit").toBool());
    QVERIFY(!n.value(u"exact").toBool(true));
    QCOMPARE(n.value(u"key").toString(), QStringLiteral("npm-x"));
    QCOMPARE(n.value(u"matched_by").toObject().value(u"key").toString(), QStringLiteral("npm-"));
    QVERIFY(n.value(u"matched_by").toObject().value(u"prefix").toBool());
    QCOMPARE(n.value(u"bytes_restored").toInteger(-1), 0);  // lookup only: nothing restored
    QCOMPARE(n.value(u"files").toInteger(-1), 0);

    const QJsonObject f = JsonReport::restoreJson(exact, {.key = QStringLiteral("k"), .ok = false});
    QCOMPARE(f.value(u"outcome").toString(), QStringLiteral("failed"));
    QVERIFY(!f.value(u"hit").toBool(true));
}

void TestJsonReport::rebuildOutcomes()
{
    RebuildResult r;
    r.outcome = RebuildResult::Outcome::Uploaded;
    r.fileCount = 7;
    r.totalFileBytes = 7000;
    r.objectSize = 1200;
    r.bytesUploaded = 1200;
    r.fingerprint = QStringLiteral("f00d");
    r.missingMounts = QStringList{QStringLiteral("gone")};
    const JsonReport::RebuildSummary summary{.key = QStringLiteral("k"), .format = QStringLiteral("tar.zst")};
    QJsonObject j = JsonReport::rebuildJson(r, summary);
    QCOMPARE(j.value(u"outcome").toString(), QStringLiteral("uploaded"));
    QCOMPARE(j.value(u"files").toInteger(), 7);
    QCOMPARE(j.value(u"content_bytes").toInteger(), 7000);
    QCOMPARE(j.value(u"archive_size").toInteger(), 1200);
    QCOMPARE(j.value(u"bytes_transferred").toInteger(), 1200);
    QCOMPARE(j.value(u"missing_mounts").toArray(), QJsonArray{QStringLiteral("gone")});
    QVERIFY(j.value(u"dedup").isNull());
    verifySnakeCase(j);

    // A dedup rebuild: the object is the manifest; what went up is the new packs, index and manifest.
    RebuildResult d = r;
    d.objectSize = 300;
    d.bytesUploaded = 5000;
    d.dedup = DedupStats{.chunks = 10, .newChunks = 2, .newRawBytes = 9000, .packsUploaded = 1, .bytesUploaded = 4500,
                         .packsReused = 3};
    const QJsonObject dj = JsonReport::rebuildJson(d, {.key = QStringLiteral("k"), .format = QStringLiteral("dedup")});
    QCOMPARE(dj.value(u"archive_size").toInteger(), 300);
    QCOMPARE(dj.value(u"bytes_transferred").toInteger(), 5000);
    QCOMPARE(dj.value(u"dedup").toObject().value(u"new_chunks").toInteger(), 2);
    QCOMPARE(dj.value(u"dedup").toObject().value(u"packs_reused").toInteger(), 3);
    verifySnakeCase(dj);

    r.outcome = RebuildResult::Outcome::Unchanged;
    j = JsonReport::rebuildJson(r, summary);
    QCOMPARE(j.value(u"outcome").toString(), QStringLiteral("unchanged"));
    QVERIFY(j.value(u"archive_size").isNull());
    QCOMPARE(j.value(u"bytes_transferred").toInteger(-1), 0);
    r.outcome = RebuildResult::Outcome::DryRun;
    QCOMPARE(JsonReport::rebuildJson(r, summary).value(u"outcome").toString(), QStringLiteral("dry_run"));
    r.outcome = RebuildResult::Outcome::NothingToCache;
    QCOMPARE(JsonReport::rebuildJson(r, summary).value(u"outcome").toString(), QStringLiteral("nothing_to_cache"));
    JsonReport::RebuildSummary failed = summary;
    failed.ok = false;
    QCOMPARE(JsonReport::rebuildJson(r, failed).value(u"outcome").toString(), QStringLiteral("failed"));
}

void TestJsonReport::flushSaysWhatItDeleted()
{
    FlushResult r;
    r.scanned = 4;
    r.policy = {.maxAgeSeconds = 86400, .ageFrom = AgeFrom::Used, .maxBytes = 100,
                .now = QDateTime::fromSecsSinceEpoch(1000 * 86400, Qt::UTC)};
    r.plan.decisions = {{object(QStringLiteral("p/kept"), 5, 999 * 86400), FlushDecision::Reason::Kept},
                        {object(QStringLiteral("p/a"), 10, 100), FlushDecision::Reason::Old},
                        {object(QStringLiteral("p/b"), 20, 200), FlushDecision::Reason::OverBudget}};
    r.plan.decisions[0].cache.lastUsed = QDateTime::fromSecsSinceEpoch(999 * 86400 + 60, Qt::UTC);
    r.plan.deletedBytes = 30;
    r.plan.keptBytes = 5;
    r.deleted = 2;
    r.bytesFreed = 30;
    MultipartUploadInfo upload;
    upload.key = QStringLiteral("p/c");
    upload.uploadId = QStringLiteral("U1");
    upload.initiated = QDateTime::fromSecsSinceEpoch(50, Qt::UTC);
    r.staleUploads = {upload};
    r.abortedUploads = 1;

    const auto deletedFlags = [](const QJsonObject &j) {
        QList<QJsonValue> out;
        for (const QJsonValue &o : j.value(u"objects").toArray())
            out << o.toObject().value(u"deleted");
        return out;
    };
    const QJsonObject done = JsonReport::flushJson(r, {.prefix = QStringLiteral("p/")});
    QCOMPARE(done.value(u"scanned").toInt(), 4);
    QCOMPARE(done.value(u"expired").toInt(), 2);
    QCOMPARE(done.value(u"expired_bytes").toInteger(), 30);
    QCOMPARE(done.value(u"kept_bytes").toInteger(), 5);
    QCOMPARE(done.value(u"deleted").toInt(), 2);
    QCOMPARE(done.value(u"bytes_freed").toInteger(), 30);
    QCOMPARE(done.value(u"age_seconds").toInteger(), 86400);
    QCOMPARE(done.value(u"age_from").toString(), QStringLiteral("used"));
    QCOMPARE(done.value(u"max_bytes").toInteger(), 100);
    QCOMPARE(deletedFlags(done), (QList<QJsonValue>{false, true, true}));
    const QJsonArray rows = done.value(u"objects").toArray();
    QCOMPARE(rows.at(2).toObject().value(u"key").toString(), QStringLiteral("p/b"));
    QCOMPARE(rows.at(0).toObject().value(u"decision").toString(), QStringLiteral("keep"));
    QCOMPARE(rows.at(0).toObject().value(u"last_used_epoch").toInteger(), 999 * 86400 + 60);
    QVERIFY(rows.at(1).toObject().value(u"last_used").isNull());
    QCOMPARE(rows.at(1).toObject().value(u"reason").toString(), QStringLiteral("old"));
    QCOMPARE(rows.at(1).toObject().value(u"reason_text").toString(), QStringLiteral("not used for 24h00m"));
    QCOMPARE(rows.at(2).toObject().value(u"reason").toString(), QStringLiteral("over_budget"));
    const QJsonObject uploads = done.value(u"uploads").toObject();
    QCOMPARE(uploads.value(u"aborted").toInt(), 1);
    QVERIFY(uploads.value(u"error").isNull());
    const QJsonObject stale = uploads.value(u"stale").toArray().at(0).toObject();
    QCOMPARE(stale.value(u"upload_id").toString(), QStringLiteral("U1"));
    QCOMPARE(stale.value(u"initiated_epoch").toInteger(), 50);
    QVERIFY(stale.value(u"aborted").toBool());
    verifySnakeCase(done);

    FlushResult dry = r;
    dry.deleted = 0;
    dry.bytesFreed = 0;
    dry.abortedUploads = 0;
    const QJsonObject d = JsonReport::flushJson(dry, {.prefix = QStringLiteral("p/"), .dryRun = true});
    QVERIFY(d.value(u"dry_run").toBool());
    QCOMPARE(deletedFlags(d), (QList<QJsonValue>{false, false, false}));
    QCOMPARE(d.value(u"expired_bytes").toInteger(), 30);
    QVERIFY(!d.value(u"uploads").toObject().value(u"stale").toArray().at(0).toObject().value(u"aborted").toBool(true));

    // Failed half-way: what the server confirmed is deleted, the rest is not known.
    FlushResult half = r;
    half.deleted = 1;
    half.deletedKeys = {QStringLiteral("p/a")};
    half.abortedUploads = 0;
    const QJsonObject h = JsonReport::flushJson(half, {.prefix = QStringLiteral("p/"), .ok = false});
    QCOMPARE(deletedFlags(h), (QList<QJsonValue>{false, true, QJsonValue::Null}));
    QCOMPARE(h.value(u"deleted").toInt(), 1);
    QVERIFY(h.value(u"uploads").toObject().value(u"stale").toArray().at(0).toObject().value(u"aborted").isNull());
}

void TestJsonReport::listAndInspect()
{
    const QJsonObject list = JsonReport::listJson(QStringLiteral("acme/"), {object(QStringLiteral("acme/a"), 10, 1), object(QStringLiteral("acme/b"), 32, 2)});
    QCOMPARE(list.value(u"prefix").toString(), QStringLiteral("acme/"));
    QCOMPARE(list.value(u"count").toInt(), 2);
    QCOMPARE(list.value(u"total_bytes").toInteger(), 42);
    QCOMPARE(list.value(u"objects").toArray().at(1).toObject(), JsonReport::objectJson(object(QStringLiteral("acme/b"), 32, 2)));

    InspectResult r;
    r.object = object(QStringLiteral("k"), 99, 3);
    r.object.metadata.insert(QStringLiteral("s3cache-files"), QStringLiteral("2"));
    r.stats.format = QStringLiteral("tar.gz");
    ArchiveEntryInfo file;
    file.path = QStringLiteral("node_modules/a.js");
    file.size = 12;
    file.mtime = 1'000'000'000;
    file.mode = 0100644;
    ArchiveEntryInfo link;
    link.path = QStringLiteral("node_modules/.bin/tsc");
    link.type = TreeEntry::Symlink;
    link.linkTarget = QStringLiteral("../t");
    link.mode = 0777;
    r.entries = {file, link};
    const QJsonObject j = JsonReport::inspectJson(r);
    QCOMPARE(j.value(u"format").toString(), QStringLiteral("tar.gz"));
    QCOMPARE(j.value(u"entry_count").toInt(), 2);
    QVERIFY(!j.value(u"truncated").toBool(true));
    QCOMPARE(j.value(u"object").toObject().value(u"metadata").toObject().value(u"s3cache-files").toString(), QStringLiteral("2"));
    const QJsonObject e0 = j.value(u"entries").toArray().at(0).toObject();
    QCOMPARE(e0.value(u"type").toString(), QStringLiteral("file"));
    QCOMPARE(e0.value(u"mode").toInt(), 0644);
    QCOMPARE(e0.value(u"size").toInt(), 12);
    QCOMPARE(e0.value(u"mtime").toString(), QStringLiteral("2001-09-09T01:46:40Z"));
    QCOMPARE(e0.value(u"mtime_epoch").toInteger(), 1'000'000'000);
    QVERIFY(e0.value(u"link_target").isNull());
    const QJsonObject e1 = j.value(u"entries").toArray().at(1).toObject();
    QCOMPARE(e1.value(u"type").toString(), QStringLiteral("symlink"));
    QCOMPARE(e1.value(u"link_target").toString(), QStringLiteral("../t"));
    verifySnakeCase(j);
}

void TestJsonReport::oneMaskedLine()
{
    const QString secret = QStringLiteral("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzSECRET");
    Log::registerSecret(secret);
    QJsonObject document = JsonReport::document(QStringLiteral("list"), 0);
    document.insert(QStringLiteral("objects"),
                    QJsonArray{JsonReport::objectJson(object(QStringLiteral("leak/") + secret + QStringLiteral("\n\x1b[31m"), 1, 1))});
    Error e(ErrorKind::Auth, QStringLiteral("SignatureDoesNotMatch"), QStringLiteral("echo ") + secret);
    document.insert(QStringLiteral("error"), JsonReport::errorJson(e));
    const QByteArray line = JsonReport::toJsonLine(document);
    QVERIFY(line.endsWith('\n'));
    QCOMPARE(line.count('\n'), 1);           // one line: control characters are escaped
    QVERIFY(!line.contains('\x1b'));
    QVERIFY2(!line.contains(secret.toUtf8()), line.constData());
    QVERIFY2(!line.contains("wJalrXUtnFEMI"), line.constData());
    QVERIFY2(!line.contains(QJsonDocument(QJsonArray{secret}).toJson(QJsonDocument::Compact).mid(2, 20)), line.constData());
    const QJsonObject back = parse(line);
    QCOMPARE(back.value(u"error").toObject().value(u"message").toString(), QStringLiteral("echo ****"));
    QVERIFY(back.value(u"objects").toArray().at(0).toObject().value(u"key").toString().startsWith(QStringLiteral("leak/****")));
}

void TestJsonReport::configJsonShowsWhatTheTextShows()
{
    QTemporaryDir vela;
    QVERIFY(vela.isValid());
    const QString secret = QStringLiteral("ConfigSecretKey0123456789abcdefghijKLMN");
    const QString token = QStringLiteral("ConfigSessionToken0123456789ZYXWVUTSRQ");
    QProcessEnvironment env;
    env.insert(QStringLiteral("AWS_EC2_METADATA_DISABLED"), QStringLiteral("true"));
    env.insert(QStringLiteral("CACHE_S3_ACCESS_KEY"), QStringLiteral("AKIAIOSFODNN7EXAMPLE"));
    env.insert(QStringLiteral("CACHE_S3_SECRET_KEY"), secret);
    env.insert(QStringLiteral("CACHE_S3_SESSION_TOKEN"), token);
    env.insert(QStringLiteral("HTTPS_PROXY"), QStringLiteral("http://proxyuser:ProxyPassw0rdSecret@proxy.corp:3128"));
    env.insert(QStringLiteral("PARAMETER_OUTPUT"), QStringLiteral("json"));
    const Result<CommandLine> cmd = parseCommandLine({QStringLiteral("config"), QStringLiteral("--bucket"), QStringLiteral("ci-cache"),
                                                      QStringLiteral("--server"), QStringLiteral("https://s3.us-west-2.amazonaws.com"),
                                                      QStringLiteral("--org"), QStringLiteral("acme"), QStringLiteral("--repo"),
                                                      QStringLiteral("webapp")});
    QVERIFY(cmd.ok());
    const Result<Config> config = resolveConfig(*cmd, env, vela.path());
    QVERIFY2(config.ok(), qPrintable(config.error().message()));
    QCOMPARE(config->output, OutputFormat::Json);
    QCOMPARE(requestedOutputFormat(*cmd, env, vela.path()), OutputFormat::Json);

    const ConfigReport report = config->report();
    QJsonObject document = JsonReport::document(QStringLiteral("config"), 0);
    JsonReport::merge(document, JsonReport::configJson(report));
    const QByteArray line = JsonReport::toJsonLine(document);
    for (const QString &hidden : {secret, token, QStringLiteral("ProxyPassw0rdSecret"), QStringLiteral("proxyuser:"),
                                  QStringLiteral("IOSFODNN7EXAMPLE")})
        QVERIFY2(!line.contains(hidden.toUtf8()), qPrintable(hidden + QStringLiteral(" in ") + QString::fromUtf8(line)));

    // The same values as the text, row for row.
    const QJsonObject json = parse(line);
    verifySnakeCase(json);
    const QString text = config->describe();
    const QJsonObject store = json.value(u"store").toObject();
    QCOMPARE(store.value(u"type").toString(), QStringLiteral("s3"));
    QCOMPARE(store.value(u"region").toString(), QStringLiteral("us-west-2"));
    QVERIFY2(text.contains(QStringLiteral("proxy:       ") + store.value(u"proxy").toString()), qPrintable(text));
    QVERIFY(store.value(u"proxy").toString().contains(QStringLiteral("****@proxy.corp:3128")));
    QCOMPARE(json.value(u"key").toString(), QStringLiteral("acme/webapp/archive.tar.zst"));
    const QJsonObject credentials = json.value(u"credentials").toObject();
    QCOMPARE(credentials.value(u"source").toString(), QStringLiteral("CACHE_S3_ACCESS_KEY"));
    QCOMPARE(credentials.value(u"access_key_id").toString(), QStringLiteral("AKIA****"));
    QVERIFY(credentials.value(u"session_token").toBool());
    QVERIFY(text.contains(QStringLiteral("credentials: ") + credentials.value(u"description").toString()));
    const QJsonObject parameters = json.value(u"parameters").toObject();
    QCOMPARE(parameters.size(), parameterTable().size());
    for (const Parameter &p : parameterTable()) {
        const QJsonObject row = parameters.value(p.name).toObject();
        const QString value = row.value(u"value").isNull() ? QStringLiteral("-") : row.value(u"value").toString();
        const QString expected = QStringLiteral("  %1 %2 (%3)").arg(p.name.leftJustified(18), value, row.value(u"source").toString());
        QVERIFY2(text.contains(expected), qPrintable(expected));
    }
    QCOMPARE(parameters.value(u"secret_key").toObject().value(u"value").toString(), QStringLiteral("****"));
    QCOMPARE(parameters.value(u"session_token").toObject().value(u"value").toString(), QStringLiteral("****"));
    QCOMPARE(parameters.value(u"output").toObject().value(u"value").toString(), QStringLiteral("json"));
    QCOMPARE(parameters.value(u"output").toObject().value(u"source").toString(), QStringLiteral("PARAMETER_OUTPUT"));
}

QTEST_GUILESS_MAIN(TestJsonReport)
#include "tst_jsonreport.moc"
