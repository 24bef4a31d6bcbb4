#include "s3request.h"

#include "s3xml.h"

#include <QCryptographicHash>
#include <QUrl>

#include <algorithm>

namespace s3cache {

namespace {

constexpr int maxDeleteKeys = 1000;

Error invalidInput(const QString &message)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidInput"), message);
}

bool isTokenChar(QChar c)
{
    static const QString separators = QStringLiteral("()<>@,;:\\\"/[]?={} \t");
    return c.unicode() > 0x20 && c.unicode() < 0x7F && !separators.contains(c);
}

bool isPrintableAscii(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7E)
            return false;
    }
    return true;
}

S3Request make(S3Operation operation, const char *method, const QString &key)
{
    S3Request request;
    request.operation = operation;
    request.method = method;
    request.key = key;
    return request;
}

S3Request makeForObject(S3Operation operation, const char *method, const QString &key)
{
    S3Request request = make(operation, method, key);
    request.invalid = S3Request::checkKey(key);
    return request;
}

void addObjectHeaders(S3Request *request, const QMap<QString, QString> &metadata, const QString &contentType)
{
    if (!request->invalid)
        request->invalid = S3Request::checkMetadata(metadata);
    request->headers.append({QByteArrayLiteral("content-type"),
                             contentType.isEmpty() ? QByteArrayLiteral("application/octet-stream")
                                                   : contentType.toUtf8()});
    for (auto it = metadata.begin(); it != metadata.end(); ++it)
        request->headers.append({"x-amz-meta-" + it.key().toLower().toLatin1(), it.value().toLatin1()});
}

QByteArray contentMd5(const QByteArray &body)
{
    return QCryptographicHash::hash(body, QCryptographicHash::Md5).toBase64();
}

} // namespace

HeaderList S3Request::objectWriteHeaders(const ObjectWriteOptions &options)
{
    HeaderList headers;
    if (!options.serverSideEncryption.isEmpty()) {
        headers.append({QByteArrayLiteral("x-amz-server-side-encryption"), options.serverSideEncryption.toLatin1()});
        if (!options.kmsKeyId.isEmpty())
            headers.append({QByteArrayLiteral("x-amz-server-side-encryption-aws-kms-key-id"), options.kmsKeyId.toUtf8()});
        if (options.bucketKeyEnabled)
            headers.append({QByteArrayLiteral("x-amz-server-side-encryption-bucket-key-enabled"),
                            *options.bucketKeyEnabled ? QByteArrayLiteral("true") : QByteArrayLiteral("false")});
    }
    if (!options.storageClass.isEmpty())
        headers.append({QByteArrayLiteral("x-amz-storage-class"), options.storageClass.toLatin1()});
    if (!options.tags.isEmpty()) {
        QByteArrayList pairs;
        for (const auto &[key, value] : options.tags)
            pairs << QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
        headers.append({QByteArrayLiteral("x-amz-tagging"), pairs.join('&')});
    }
    return headers;
}

QString S3Request::operationName() const
{
    switch (operation) {
    case S3Operation::CreateBucket: return QStringLiteral("CreateBucket");
    case S3Operation::HeadObject: return QStringLiteral("HeadObject");
    case S3Operation::GetObject: return QStringLiteral("GetObject");
    case S3Operation::PutObject: return QStringLiteral("PutObject");
    case S3Operation::CreateMultipartUpload: return QStringLiteral("CreateMultipartUpload");
    case S3Operation::UploadPart: return QStringLiteral("UploadPart");
    case S3Operation::CompleteMultipartUpload: return QStringLiteral("CompleteMultipartUpload");
    case S3Operation::AbortMultipartUpload: return QStringLiteral("AbortMultipartUpload");
    case S3Operation::ListMultipartUploads: return QStringLiteral("ListMultipartUploads");
    case S3Operation::ListObjectsV2: return QStringLiteral("ListObjectsV2");
    case S3Operation::DeleteObjects: return QStringLiteral("DeleteObjects");
    case S3Operation::DeleteObject: return QStringLiteral("DeleteObject");
    case S3Operation::ListBuckets: return QStringLiteral("ListBuckets");
    case S3Operation::ServiceCall: return actionName.isEmpty() ? QStringLiteral("request") : actionName;
    }
    return QStringLiteral("S3");
}

S3Request S3Request::formPost(const QString &actionName, const QString &service, const QueryItems &form)
{
    S3Request request = make(S3Operation::ServiceCall, "POST", {});
    request.actionName = actionName;
    request.service = service;
    request.path = QStringLiteral("/");
    request.body = SigV4Signer::canonicalQueryString(form);
    request.headers.append({QByteArrayLiteral("content-type"),
                            QByteArrayLiteral("application/x-www-form-urlencoded; charset=utf-8")});
    return request;
}

S3Request S3Request::serviceGet(const QString &actionName, const QString &path, const QueryItems &query,
                                const HeaderList &headers)
{
    S3Request request = make(S3Operation::ServiceCall, "GET", {});
    request.actionName = actionName;
    request.path = path.isEmpty() ? QStringLiteral("/") : path;
    request.query = query;
    request.headers = headers;
    return request;
}

Error S3Request::checkKey(const QString &key)
{
    if (key.isEmpty())
        return invalidInput(QStringLiteral("empty object key"));
    if (key.toUtf8().size() > 1024)
        return invalidInput(QStringLiteral("object key \"%1...\" is longer than 1024 bytes").arg(key.left(64)));
    // HTTP stacks (Qt included) normalise these path segments away, so the key could not be reached.
    for (const QStringView segment : QStringView(key).split(u'/')) {
        if (segment == u"." || segment == u"..")
            return invalidInput(QStringLiteral("object key \"%1\" contains a \".\" or \"..\" segment").arg(key));
    }
    return {};
}

Error S3Request::checkMetadata(const QMap<QString, QString> &metadata)
{
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
        const QString &name = it.key();
        if (name.isEmpty() || !std::all_of(name.begin(), name.end(), isTokenChar))
            return invalidInput(QStringLiteral("metadata name \"%1\" is not a valid HTTP header name").arg(name));
        if (!isPrintableAscii(it.value()) || it.value() != it.value().trimmed())
            return invalidInput(QStringLiteral("metadata %1: the value must be printable ASCII without "
                                               "leading or trailing spaces").arg(name));
    }
    return {};
}

S3Request S3Request::createBucket(const QString &region)
{
    S3Request request = make(S3Operation::CreateBucket, "PUT", {});
    if (region != u"us-east-1") {
        request.body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                       "<LocationConstraint>" + region.toUtf8()
            + "</LocationConstraint></CreateBucketConfiguration>";
        request.headers.append({QByteArrayLiteral("content-type"), QByteArrayLiteral("application/xml")});
    }
    return request;
}

S3Request S3Request::headObject(const QString &key)
{
    return makeForObject(S3Operation::HeadObject, "HEAD", key);
}

S3Request S3Request::getObject(const QString &key, std::optional<ByteRange> range, const QByteArray &ifMatch,
                               QIODevice *sink)
{
    S3Request request = makeForObject(S3Operation::GetObject, "GET", key);
    if (range && (range->first < 0 || (range->last >= 0 && range->last < range->first)) && !request.invalid)
        request.invalid = invalidInput(QStringLiteral("invalid byte range %1-%2 for %3")
                                           .arg(QString::number(range->first), QString::number(range->last), key));
    request.range = range;
    request.ifMatch = ifMatch;
    request.sink = sink;
    return request;
}

S3Request S3Request::putObject(const QString &key, const QByteArray &body, const QMap<QString, QString> &metadata,
                               const QString &contentType)
{
    S3Request request = makeForObject(S3Operation::PutObject, "PUT", key);
    request.body = body;
    addObjectHeaders(&request, metadata, contentType);
    return request;
}

S3Request S3Request::createMultipartUpload(const QString &key, const QMap<QString, QString> &metadata,
                                           const QString &contentType)
{
    S3Request request = makeForObject(S3Operation::CreateMultipartUpload, "POST", key);
    request.query = {{QStringLiteral("uploads"), QString()}};
    addObjectHeaders(&request, metadata, contentType);
    return request;
}

S3Request S3Request::uploadPart(const QString &key, const QString &uploadId, int partNumber, const QByteArray &body)
{
    S3Request request = makeForObject(S3Operation::UploadPart, "PUT", key);
    request.query = {{QStringLiteral("partNumber"), QString::number(partNumber)},
                     {QStringLiteral("uploadId"), uploadId}};
    request.body = body;
    if (!request.invalid && (partNumber < 1 || partNumber > 10000))
        request.invalid = invalidInput(QStringLiteral("part number %1 of %2 is outside 1..10000").arg(QString::number(partNumber), key));
    if (!request.invalid && uploadId.isEmpty())
        request.invalid = invalidInput(QStringLiteral("upload part %1 of %2: empty upload id").arg(QString::number(partNumber), key));
    return request;
}

S3Request S3Request::completeMultipartUpload(const QString &key, const QString &uploadId,
                                             const QList<CompletedPart> &parts)
{
    S3Request request = makeForObject(S3Operation::CompleteMultipartUpload, "POST", key);
    request.query = {{QStringLiteral("uploadId"), uploadId}};
    request.body = S3Xml::completeMultipartUploadBody(parts);
    request.headers.append({QByteArrayLiteral("content-type"), QByteArrayLiteral("application/xml")});
    if (!request.invalid && parts.isEmpty())
        request.invalid = invalidInput(QStringLiteral("complete the upload of %1: no parts").arg(key));
    return request;
}

S3Request S3Request::abortMultipartUpload(const QString &key, const QString &uploadId)
{
    S3Request request = makeForObject(S3Operation::AbortMultipartUpload, "DELETE", key);
    request.query = {{QStringLiteral("uploadId"), uploadId}};
    return request;
}

S3Request S3Request::listMultipartUploads(const QString &prefix, const QString &keyMarker,
                                          const QString &uploadIdMarker)
{
    S3Request request = make(S3Operation::ListMultipartUploads, "GET", {});
    request.query = {{QStringLiteral("uploads"), QString()}};
    if (!prefix.isEmpty())
        request.query.append({QStringLiteral("prefix"), prefix});
    if (!keyMarker.isEmpty())
        request.query.append({QStringLiteral("key-marker"), keyMarker});
    if (!uploadIdMarker.isEmpty())
        request.query.append({QStringLiteral("upload-id-marker"), uploadIdMarker});
    return request;
}

S3Request S3Request::listObjectsV2(const QString &prefix, const QString &continuationToken, int maxKeys,
                                   const QString &delimiter)
{
    S3Request request = make(S3Operation::ListObjectsV2, "GET", {});
    request.query = {{QStringLiteral("list-type"), QStringLiteral("2")}};
    if (!prefix.isEmpty())
        request.query.append({QStringLiteral("prefix"), prefix});
    if (!continuationToken.isEmpty())
        request.query.append({QStringLiteral("continuation-token"), continuationToken});
    if (maxKeys > 0)
        request.query.append({QStringLiteral("max-keys"), QString::number(maxKeys)});
    if (!delimiter.isEmpty())
        request.query.append({QStringLiteral("delimiter"), delimiter});
    return request;
}

S3Request S3Request::deleteObjects(const QStringList &keys)
{
    S3Request request = make(S3Operation::DeleteObjects, "POST", {});
    request.query = {{QStringLiteral("delete"), QString()}};
    if (keys.isEmpty() || keys.size() > maxDeleteKeys) {
        request.invalid = Error(ErrorKind::Internal, QStringLiteral("InvalidInput"),
                                QStringLiteral("DeleteObjects takes 1 to %1 keys, got %2")
                                    .arg(QString::number(maxDeleteKeys), QString::number(keys.size())));
        return request;
    }
    for (const QString &key : keys) {
        if (Error e = checkKey(key)) {
            request.invalid = e;
            return request;
        }
    }
    request.body = S3Xml::deleteObjectsBody(keys);
    request.headers.append({QByteArrayLiteral("content-type"), QByteArrayLiteral("application/xml")});
    request.headers.append({QByteArrayLiteral("content-md5"), contentMd5(request.body)});
    return request;
}

S3Request S3Request::deleteObject(const QString &key)
{
    return makeForObject(S3Operation::DeleteObject, "DELETE", key);
}

S3Request S3Request::listBuckets()
{
    return make(S3Operation::ListBuckets, "GET", {});
}

} // namespace s3cache
