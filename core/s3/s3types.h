#pragma once
// Plain value types of the S3 layer, shared by the client, the stores and the jobs.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace s3cache {

struct Credentials
{
    QString accessKey;
    QString secretKey;
    QString sessionToken;
    QString source;  // where they came from, for `config` ("CACHE_S3_ACCESS_KEY", "profile default", "IMDSv2")
    bool isEmpty() const { return accessKey.isEmpty() && secretKey.isEmpty(); }
};

struct ByteRange
{
    qint64 first = 0;
    qint64 last = -1;  // inclusive; -1 means "to the end"
};

struct ObjectInfo
{
    QString key;
    qint64 size = -1;
    QDateTime lastModified;  // UTC
    QByteArray etag;         // as sent by the server, quotes stripped
    QString contentType;
    QMap<QString, QString> metadata;  // x-amz-meta-* without the prefix, names lower-case
};

struct ListPage
{
    QList<ObjectInfo> objects;       // metadata is not filled by listings
    QStringList commonPrefixes;
    bool truncated = false;
    QString nextContinuationToken;
};

struct CompletedPart
{
    int partNumber = 0;
    QByteArray etag;
};

struct MultipartUploadInfo
{
    QString key;
    QString uploadId;
    QDateTime initiated;
};

} // namespace s3cache
