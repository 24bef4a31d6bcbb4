#pragma once
// Plain value types of the S3 layer, shared by the client, the stores and the jobs.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace s3cache {

struct Credentials
{
    QString accessKey;
    QString secretKey;
    QString sessionToken;
    QString source;  // where they came from, for `config` ("CACHE_S3_ACCESS_KEY", "profile default", "IMDSv2")
    QDateTime expiration = {};  // UTC; invalid: they do not expire (static keys)
    bool isEmpty() const { return accessKey.isEmpty() && secretKey.isEmpty(); }
    // The same key material (not the same source or expiration).
    bool sameKeys(const Credentials &other) const
    {
        return accessKey == other.accessKey && secretKey == other.secretKey && sessionToken == other.sessionToken;
    }
};

// What the server is asked to do with every object a store writes: server-side encryption,
// storage class and tags, as bucket policies and lifecycle rules on CI buckets demand. Sent on
// PutObject and CreateMultipartUpload only (never on UploadPart, which S3 refuses them on);
// checked by the resolver (resolveupload.cpp), so the values here are valid.
struct ObjectWriteOptions
{
    QString serverSideEncryption;         // "", "AES256", "aws:kms" or "aws:kms:dsse"
    QString kmsKeyId;                     // with aws:kms*: key id, ARN or alias; empty: the aws/s3 key
    std::optional<bool> bucketKeyEnabled; // with aws:kms*: the S3 Bucket Key; unset: the bucket's setting
    QString storageClass;                 // "": the bucket's default (STANDARD)
    QList<QPair<QString, QString>> tags;  // key=value, in the order given
    bool isEmpty() const
    {
        return serverSideEncryption.isEmpty() && storageClass.isEmpty() && tags.isEmpty();
    }
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
    // The cache's last recorded use (core/cache/lastused.h), set by cache listings and lookups;
    // invalid: never recorded, or not looked up. Stores never set it.
    QDateTime lastUsed;
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

// One entry of a ListBuckets answer.
struct BucketInfo
{
    QString name;
    QDateTime creationDate;  // UTC; invalid when the server leaves it out
};

struct MultipartUploadInfo
{
    QString key;
    QString uploadId;
    QDateTime initiated;
};

} // namespace s3cache
