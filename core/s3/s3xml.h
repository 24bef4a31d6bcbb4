#pragma once
// The XML documents of the S3 operations we use: parsing of the answers (QXmlStreamReader,
// element text XML-decoded) and building of the request bodies. A malformed or unexpected
// document is an Error (kind Server, code "MalformedXML") naming the operation, never a crash.

#include "s3types.h"

#include "util/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QStringList>

namespace s3cache {

struct DeleteObjectsReply
{
    QStringList deleted;
    QList<QPair<QString, Error>> failures;  // key -> error (code and message from the server)
};

struct MultipartUploadsPage
{
    QList<MultipartUploadInfo> uploads;
    bool truncated = false;
    QString nextKeyMarker;
    QString nextUploadIdMarker;
};

class S3Xml
{
public:
    static Result<ListPage> parseListObjectsV2(const QByteArray &xml);
    static Result<DeleteObjectsReply> parseDeleteResult(const QByteArray &xml);
    // The UploadId of an InitiateMultipartUploadResult.
    static Result<QString> parseInitiateMultipartUpload(const QByteArray &xml);
    // The ETag (quotes stripped) of a CompleteMultipartUploadResult. S3 may answer 200 with an
    // <Error> document: that is returned as the error it describes (retryable when it says so).
    static Result<QByteArray> parseCompleteMultipartUpload(const QByteArray &xml);
    static Result<MultipartUploadsPage> parseListMultipartUploads(const QByteArray &xml);
    // The buckets of a ListAllMyBucketsResult, in the server's order.
    static Result<QList<BucketInfo>> parseListBuckets(const QByteArray &xml);

    static QByteArray completeMultipartUploadBody(const QList<CompletedPart> &parts);
    static QByteArray deleteObjectsBody(const QStringList &keys);

    // ETag as sent ("\"abc\"" or W/"abc") -> abc.
    static QByteArray stripEtag(QByteArray etag);
    // ISO 8601 as in listings ("2009-10-12T17:50:30.000Z") -> UTC.
    static QDateTime parseIsoDate(const QString &text);
    // RFC 7231 HTTP date ("Mon, 12 Oct 2009 17:50:00 GMT") -> UTC; invalid when unparsable.
    static QDateTime parseHttpDate(const QByteArray &text);
};

} // namespace s3cache
