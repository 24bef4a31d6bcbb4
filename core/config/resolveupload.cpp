#include "resolver.h"

#include <QRegularExpression>
#include <QSet>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

// S3's limits on object tags.
constexpr int maxTags = 10;
constexpr int maxTagKeyLength = 128;
constexpr int maxTagValueLength = 256;

} // namespace

Error Resolver::resolveUpload()
{
    ObjectWriteOptions &options = m_config.objectOptions;
    const auto found = [this](const QString &name) { return m_config.sources.value(name); };

    const Result<QVariant> sse = value(u"sse"_s);
    if (!sse.ok())
        return sse.error();
    if (const QString mode = sse->toString().trimmed(); !mode.isEmpty()) {
        static const QStringList modes = {u"AES256"_s, u"aws:kms"_s, u"aws:kms:dsse"_s};
        const auto known = std::find_if(modes.cbegin(), modes.cend(), [&mode](const QString &m) {
            return m.compare(mode, Qt::CaseInsensitive) == 0;
        });
        if (mode.contains(u"sse-c"_s, Qt::CaseInsensitive) || mode.compare(u"customer"_s, Qt::CaseInsensitive) == 0)
            return invalidParameter(u"sse: '%1' (from %2): SSE-C (keys provided by the customer) is not supported, "
                                    "because every restore would need the key too; use aws:kms with a key the CI "
                                    "role may use, or AES256"_s.arg(mode, found(u"sse"_s).source));
        if (known == modes.cend())
            return invalidParameter(u"sse: '%1' (from %2) is not one of AES256, aws:kms, aws:kms:dsse"_s
                                        .arg(mode, found(u"sse"_s).source));
        options.serverSideEncryption = *known;
        show(u"sse"_s, *known);
    }
    const bool kms = options.serverSideEncryption.startsWith(u"aws:kms"_s);

    const Result<QVariant> keyId = value(u"sse_kms_key_id"_s);
    if (!keyId.ok())
        return keyId.error();
    options.kmsKeyId = keyId->toString().trimmed();
    if (!options.kmsKeyId.isEmpty() && !kms)
        return invalidParameter(u"sse_kms_key_id: set (from %1) but sse is not aws:kms or aws:kms:dsse; add "
                                "sse: aws:kms"_s.arg(found(u"sse_kms_key_id"_s).source));

    const Result<QVariant> bucketKey = value(u"sse_bucket_key"_s);
    if (!bucketKey.ok())
        return bucketKey.error();
    if (bucketKey->isValid()) {
        if (!kms)
            return invalidParameter(u"sse_bucket_key: set (from %1) but sse is not aws:kms or aws:kms:dsse: a bucket "
                                    "key only applies to KMS encryption"_s.arg(found(u"sse_bucket_key"_s).source));
        options.bucketKeyEnabled = bucketKey->toBool();
    }

    const Result<QVariant> storageClass = value(u"storage_class"_s);
    if (!storageClass.ok())
        return storageClass.error();
    if (const QString cls = storageClass->toString().trimmed().toUpper(); !cls.isEmpty()) {
        static const QRegularExpression valid(u"^[A-Z0-9_]{1,64}$"_s);
        const QString source = found(u"storage_class"_s).source;
        if (!valid.match(cls).hasMatch())
            return invalidParameter(u"storage_class: '%1' (from %2) is not a storage class name such as STANDARD_IA "
                                    "or INTELLIGENT_TIERING"_s.arg(storageClass->toString(), source));
        if (cls == u"GLACIER" || cls == u"DEEP_ARCHIVE")
            return invalidParameter(u"storage_class: %1 (from %2) keeps objects offline: a restore could not read the "
                                    "cache without an hours-long RestoreObject; use STANDARD_IA, GLACIER_IR or "
                                    "INTELLIGENT_TIERING"_s.arg(cls, source));
        options.storageClass = cls;
        show(u"storage_class"_s, cls);
    }

    const Result<QVariant> tags = value(u"tags"_s);
    if (!tags.ok())
        return tags.error();
    const QString tagsSource = found(u"tags"_s).source;
    QSet<QString> keys;
    for (const QString &item : tags->toStringList()) {
        const qsizetype eq = item.indexOf(u'=');
        const QString key = (eq < 0 ? item : item.left(eq)).trimmed();
        const QString tagValue = eq < 0 ? QString() : item.mid(eq + 1).trimmed();
        const auto bad = [&](const QString &why) {
            return invalidParameter(u"tags: '%1' (from %2) %3"_s.arg(item, tagsSource, why));
        };
        if (eq < 0 || key.isEmpty())
            return bad(u"is not key=value (write team=web,env=ci)"_s);
        if (key.size() > maxTagKeyLength || tagValue.size() > maxTagValueLength)
            return bad(u"is too long: S3 allows keys of %1 and values of %2 characters"_s
                           .arg(QString::number(maxTagKeyLength), QString::number(maxTagValueLength)));
        if (key.startsWith(u"aws:"_s, Qt::CaseInsensitive))
            return bad(u"uses the prefix aws:, which S3 reserves for itself"_s);
        if (keys.contains(key))
            return bad(u"repeats the key %1"_s.arg(key));
        keys.insert(key);
        options.tags.append({key, tagValue});
    }
    if (options.tags.size() > maxTags)
        return invalidParameter(u"tags: %1 tags (from %2); S3 allows at most %3 on an object"_s
                                    .arg(QString::number(options.tags.size()), tagsSource, QString::number(maxTags)));
    return {};
}

} // namespace s3cache
