#include "s3xml.h"

#include "s3error.h"

#include <QLocale>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>

#include <algorithm>

namespace s3cache {

using namespace Qt::StringLiterals;

namespace {

Error malformed(const QString &document, const QString &reason)
{
    return Error(ErrorKind::Server, QStringLiteral("MalformedResponse"),
                 QStringLiteral("cannot parse the %1 answer: %2").arg(document, reason));
}

Error readerError(const QString &document, const QXmlStreamReader &reader)
{
    return malformed(document, QStringLiteral("%1 (line %2, column %3)")
                                   .arg(reader.errorString(), QString::number(reader.lineNumber()),
                                        QString::number(reader.columnNumber())));
}

// Positions the reader inside the root element; an <Error> root is returned as that error.
Error openRoot(QXmlStreamReader &reader, const QByteArray &xml, QStringView expected, const QString &document)
{
    if (xml.trimmed().isEmpty())
        return malformed(document, QStringLiteral("empty body"));
    if (!reader.readNextStartElement())
        return reader.hasError() ? readerError(document, reader) : malformed(document, QStringLiteral("no root element"));
    // moto names some roots "...Response" where S3 says "...Result".
    if (reader.name() == expected
        || (expected.endsWith(u"Result") && reader.name() == expected.chopped(6).toString() + u"Response"_s))
        return {};
    if (reader.name() == u"Error") {
        if (const auto body = S3ErrorParser::parseBody(xml)) {
            Error error(S3ErrorParser::kindFor(200, body->code), body->code, body->message);
            error.setRequestId(body->requestId);
            return error;
        }
    }
    return malformed(document, QStringLiteral("root element <%1>, expected <%2>")
                                   .arg(reader.name().toString(), expected.toString()));
}

bool parseBool(const QString &text)
{
    return text.trimmed().compare(u"true", Qt::CaseInsensitive) == 0;
}

} // namespace

Result<ListPage> S3Xml::parseListObjectsV2(const QByteArray &xml)
{
    const QString document = QStringLiteral("ListObjectsV2");
    QXmlStreamReader reader(xml);
    if (Error e = openRoot(reader, xml, u"ListBucketResult", document))
        return e;
    ListPage page;
    while (reader.readNextStartElement()) {
        const auto name = reader.name();
        if (name == u"IsTruncated") {
            page.truncated = parseBool(reader.readElementText());
        } else if (name == u"NextContinuationToken") {
            page.nextContinuationToken = reader.readElementText();
        } else if (name == u"Contents") {
            ObjectInfo info;
            while (reader.readNextStartElement()) {
                const auto field = reader.name();
                if (field == u"Key")
                    info.key = reader.readElementText();
                else if (field == u"LastModified")
                    info.lastModified = parseIsoDate(reader.readElementText());
                else if (field == u"ETag")
                    info.etag = stripEtag(reader.readElementText().toUtf8());
                else if (field == u"Size")
                    info.size = reader.readElementText().trimmed().toLongLong();
                else
                    reader.skipCurrentElement();
            }
            if (info.key.isEmpty() && !reader.hasError())
                return malformed(document, QStringLiteral("<Contents> without <Key>"));
            page.objects.append(info);
        } else if (name == u"CommonPrefixes") {
            while (reader.readNextStartElement()) {
                if (reader.name() == u"Prefix")
                    page.commonPrefixes.append(reader.readElementText());
                else
                    reader.skipCurrentElement();
            }
        } else {
            reader.skipCurrentElement();
        }
    }
    if (reader.hasError())
        return readerError(document, reader);
    if (page.truncated && page.nextContinuationToken.isEmpty())
        return malformed(document, QStringLiteral("truncated listing without <NextContinuationToken>"));
    return page;
}

Result<DeleteObjectsReply> S3Xml::parseDeleteResult(const QByteArray &xml)
{
    const QString document = QStringLiteral("DeleteObjects");
    QXmlStreamReader reader(xml);
    if (Error e = openRoot(reader, xml, u"DeleteResult", document))
        return e;
    DeleteObjectsReply result;
    while (reader.readNextStartElement()) {
        const bool deleted = reader.name() == u"Deleted";
        const bool failed = reader.name() == u"Error";
        if (!deleted && !failed) {
            reader.skipCurrentElement();
            continue;
        }
        QString key, code, message;
        while (reader.readNextStartElement()) {
            if (reader.name() == u"Key")
                key = reader.readElementText();
            else if (reader.name() == u"Code")
                code = reader.readElementText().trimmed();
            else if (reader.name() == u"Message")
                message = reader.readElementText().trimmed();
            else
                reader.skipCurrentElement();
        }
        if (deleted) {
            result.deleted.append(key);
        } else {
            // The key is the caller's context (S3Store names the object), not part of the message.
            Error error(S3ErrorParser::kindFor(0, code), code, message.isEmpty() ? code : message);
            result.failures.append({key, error});
        }
    }
    if (reader.hasError())
        return readerError(document, reader);
    return result;
}

Result<QString> S3Xml::parseInitiateMultipartUpload(const QByteArray &xml)
{
    const QString document = QStringLiteral("CreateMultipartUpload");
    QXmlStreamReader reader(xml);
    if (Error e = openRoot(reader, xml, u"InitiateMultipartUploadResult", document))
        return e;
    QString uploadId;
    while (reader.readNextStartElement()) {
        if (reader.name() == u"UploadId")
            uploadId = reader.readElementText().trimmed();
        else
            reader.skipCurrentElement();
    }
    if (reader.hasError())
        return readerError(document, reader);
    if (uploadId.isEmpty())
        return malformed(document, QStringLiteral("no <UploadId>"));
    return uploadId;
}

Result<QByteArray> S3Xml::parseCompleteMultipartUpload(const QByteArray &xml)
{
    const QString document = QStringLiteral("CompleteMultipartUpload");
    QXmlStreamReader reader(xml);
    if (Error e = openRoot(reader, xml, u"CompleteMultipartUploadResult", document))
        return e;
    QByteArray etag;
    while (reader.readNextStartElement()) {
        if (reader.name() == u"ETag")
            etag = stripEtag(reader.readElementText().toUtf8());
        else
            reader.skipCurrentElement();
    }
    if (reader.hasError())
        return readerError(document, reader);
    return etag;
}

Result<MultipartUploadsPage> S3Xml::parseListMultipartUploads(const QByteArray &xml)
{
    const QString document = QStringLiteral("ListMultipartUploads");
    QXmlStreamReader reader(xml);
    if (Error e = openRoot(reader, xml, u"ListMultipartUploadsResult", document))
        return e;
    MultipartUploadsPage page;
    while (reader.readNextStartElement()) {
        const auto name = reader.name();
        if (name == u"IsTruncated") {
            page.truncated = parseBool(reader.readElementText());
        } else if (name == u"NextKeyMarker") {
            page.nextKeyMarker = reader.readElementText();
        } else if (name == u"NextUploadIdMarker") {
            page.nextUploadIdMarker = reader.readElementText();
        } else if (name == u"Upload") {
            MultipartUploadInfo upload;
            while (reader.readNextStartElement()) {
                if (reader.name() == u"Key")
                    upload.key = reader.readElementText();
                else if (reader.name() == u"UploadId")
                    upload.uploadId = reader.readElementText().trimmed();
                else if (reader.name() == u"Initiated")
                    upload.initiated = parseIsoDate(reader.readElementText());
                else
                    reader.skipCurrentElement();
            }
            page.uploads.append(upload);
        } else {
            reader.skipCurrentElement();
        }
    }
    if (reader.hasError())
        return readerError(document, reader);
    if (page.truncated && page.nextKeyMarker.isEmpty())
        return malformed(document, QStringLiteral("truncated listing without <NextKeyMarker>"));
    return page;
}

Result<QList<BucketInfo>> S3Xml::parseListBuckets(const QByteArray &xml)
{
    const QString document = QStringLiteral("ListBuckets");
    QXmlStreamReader reader(xml);
    if (Error e = openRoot(reader, xml, u"ListAllMyBucketsResult", document))
        return e;
    QList<BucketInfo> buckets;
    while (reader.readNextStartElement()) {
        if (reader.name() != u"Buckets") {
            reader.skipCurrentElement();
            continue;
        }
        while (reader.readNextStartElement()) {
            if (reader.name() != u"Bucket") {
                reader.skipCurrentElement();
                continue;
            }
            BucketInfo bucket;
            while (reader.readNextStartElement()) {
                if (reader.name() == u"Name")
                    bucket.name = reader.readElementText();
                else if (reader.name() == u"CreationDate")
                    bucket.creationDate = parseIsoDate(reader.readElementText());
                else
                    reader.skipCurrentElement();
            }
            if (bucket.name.isEmpty())
                return malformed(document, QStringLiteral("a <Bucket> without <Name>"));
            buckets.append(bucket);
        }
    }
    if (reader.hasError())
        return readerError(document, reader);
    return buckets;
}

QByteArray S3Xml::completeMultipartUploadBody(const QList<CompletedPart> &parts)
{
    QList<CompletedPart> sorted = parts;
    std::sort(sorted.begin(), sorted.end(),
              [](const CompletedPart &a, const CompletedPart &b) { return a.partNumber < b.partNumber; });
    QByteArray xml;
    QXmlStreamWriter writer(&xml);
    writer.writeStartDocument();
    writer.writeStartElement(QStringLiteral("CompleteMultipartUpload"));
    writer.writeDefaultNamespace(QStringLiteral("http://s3.amazonaws.com/doc/2006-03-01/"));
    for (const CompletedPart &part : sorted) {
        writer.writeStartElement(QStringLiteral("Part"));
        writer.writeTextElement(QStringLiteral("PartNumber"), QString::number(part.partNumber));
        writer.writeTextElement(QStringLiteral("ETag"),
                                QStringLiteral("\"%1\"").arg(QString::fromUtf8(stripEtag(part.etag))));
        writer.writeEndElement();
    }
    writer.writeEndElement();
    writer.writeEndDocument();
    return xml;
}

QByteArray S3Xml::deleteObjectsBody(const QStringList &keys)
{
    QByteArray xml;
    QXmlStreamWriter writer(&xml);
    writer.writeStartDocument();
    writer.writeStartElement(QStringLiteral("Delete"));
    writer.writeDefaultNamespace(QStringLiteral("http://s3.amazonaws.com/doc/2006-03-01/"));
    writer.writeTextElement(QStringLiteral("Quiet"), QStringLiteral("false"));
    for (const QString &key : keys) {
        writer.writeStartElement(QStringLiteral("Object"));
        writer.writeTextElement(QStringLiteral("Key"), key);
        writer.writeEndElement();
    }
    writer.writeEndElement();
    writer.writeEndDocument();
    return xml;
}

QByteArray S3Xml::stripEtag(QByteArray etag)
{
    etag = etag.trimmed();
    if (etag.startsWith("W/"))
        etag.remove(0, 2);
    if (etag.size() >= 2 && etag.startsWith('"') && etag.endsWith('"'))
        etag = etag.mid(1, etag.size() - 2);
    return etag;
}

QDateTime S3Xml::parseIsoDate(const QString &text)
{
    QDateTime time = QDateTime::fromString(text.trimmed(), Qt::ISODateWithMs);
    if (!time.isValid())
        time = QDateTime::fromString(text.trimmed(), Qt::ISODate);
    return time.toUTC();
}

QDateTime S3Xml::parseHttpDate(const QByteArray &text)
{
    const QString value = QString::fromLatin1(text).simplified();
    // RFC 7231 IMF-fixdate, then the obsolete RFC 850 and asctime forms.
    static const QString formats[] = {
        QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"),
        QStringLiteral("dddd, dd-MMM-yy HH:mm:ss 'GMT'"),
        QStringLiteral("ddd MMM d HH:mm:ss yyyy"),
    };
    for (const QString &format : formats) {
        QDateTime time = QLocale::c().toDateTime(value, format);
        if (time.isValid()) {
            time.setTimeSpec(Qt::UTC);
            if (time.date().year() < 1970)
                time = time.addYears(100);
            return time;
        }
    }
    return {};
}

} // namespace s3cache
