#pragma once
// AWS Signature Version 4 for S3 and other services such as STS (header signing), as small pure functions so that each step can
// be tested alone against the published AWS examples and against botocore:
//   uriEncode -> canonicalUri / canonicalQueryString -> canonicalRequest -> stringToSign
//   -> signingKey -> signature -> authorizationHeader;
// sign() runs the whole chain for one request at a time that the caller passes in (no clock here).
//
// S3 specifics: the path is not normalised and is encoded once (each byte outside the RFC 3986
// unreserved set, '/' kept); query names and values are encoded with '/' encoded too.

#include "s3types.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

namespace s3cache {

using QueryItems = QList<QPair<QString, QString>>;     // decoded names and values
using HeaderList = QList<QPair<QByteArray, QByteArray>>;  // names in any case

class SigV4Signer
{
public:
    static constexpr char unsignedPayload[] = "UNSIGNED-PAYLOAD";
    static constexpr char algorithm[] = "AWS4-HMAC-SHA256";

    // Percent-encodes every byte of the UTF-8 form except A-Z a-z 0-9 - _ . ~ (and '/' when
    // keepSlash), with upper-case hex digits.
    static QByteArray uriEncode(const QString &text, bool keepSlash);

    // The decoded request path ("/bucket/my key") -> "/bucket/my%20key". Also what goes on the wire.
    static QByteArray canonicalUri(const QString &path);

    // Encoded "name=value" pairs sorted by encoded name, then value, joined with '&'.
    static QByteArray canonicalQueryString(const QueryItems &query);

    // The same pairs as they go into a URL: an empty value is sent as a bare name ("?uploads").
    static QByteArray urlQueryString(const QueryItems &query);

    // Lower-cased names, values trimmed with inner whitespace runs collapsed, sorted by name,
    // repeated names joined with ','. Returns "name:value\n..." and sets *signedHeaders.
    static QByteArray canonicalHeaders(const HeaderList &headers, QByteArray *signedHeaders);

    static QByteArray canonicalRequest(const QByteArray &method, const QByteArray &canonicalUri,
                                       const QByteArray &canonicalQuery, const HeaderList &headers,
                                       const QByteArray &payloadHash);

    // "20130524/us-east-1/s3/aws4_request"
    static QByteArray credentialScope(const QDateTime &time, const QString &region,
                                      const QString &service = QStringLiteral("s3"));

    // "20130524T000000Z"
    static QByteArray amzDate(const QDateTime &time);

    static QByteArray stringToSign(const QDateTime &time, const QByteArray &scope,
                                   const QByteArray &canonicalRequest);

    static QByteArray signingKey(const QString &secretKey, const QDateTime &time,
                                 const QString &region, const QString &service = QStringLiteral("s3"));

    // Lower-case hex HMAC-SHA256 of the string to sign.
    static QByteArray signature(const QByteArray &signingKey, const QByteArray &stringToSign);

    static QByteArray authorizationHeader(const QString &accessKey, const QByteArray &scope,
                                          const QByteArray &signedHeaders, const QByteArray &signature);

    // Lower-case hex SHA-256 of a payload.
    static QByteArray payloadHash(const QByteArray &payload);

    struct Request
    {
        QByteArray method;
        QString path;              // decoded, starting with '/'
        QueryItems query;
        HeaderList headers;        // must contain "host"; everything here is signed
        QByteArray payloadHash;    // hex SHA-256 or UNSIGNED-PAYLOAD
    };

    // Adds x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session token) and
    // Authorization to request->headers, signing every header in the list.
    static void sign(Request *request, const Credentials &credentials, const QString &region,
                     const QDateTime &time, const QString &service = QStringLiteral("s3"));
};

} // namespace s3cache
