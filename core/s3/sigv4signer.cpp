#include "sigv4signer.h"

#include "util/sha256.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <algorithm>

namespace s3cache {

namespace {

bool isUnreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '~';
}

QByteArray hmac(const QByteArray &key, const QByteArray &message)
{
    return QMessageAuthenticationCode::hash(message, key, QCryptographicHash::Sha256);
}

// Trimall: leading/trailing whitespace removed, inner runs of whitespace collapsed to one space.
QByteArray trimAll(const QByteArray &value)
{
    return value.simplified();
}

QList<QPair<QByteArray, QByteArray>> encodedPairs(const QueryItems &query)
{
    QList<QPair<QByteArray, QByteArray>> pairs;
    pairs.reserve(query.size());
    for (const auto &[name, value] : query)
        pairs.append({SigV4Signer::uriEncode(name, false), SigV4Signer::uriEncode(value, false)});
    std::sort(pairs.begin(), pairs.end());
    return pairs;
}

} // namespace

QByteArray SigV4Signer::uriEncode(const QString &text, bool keepSlash)
{
    static const char hex[] = "0123456789ABCDEF";
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    out.reserve(utf8.size() * 3);
    for (const char c : utf8) {
        if (isUnreserved(c) || (keepSlash && c == '/')) {
            out.append(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.append('%').append(hex[byte >> 4]).append(hex[byte & 0xF]);
        }
    }
    return out;
}

QByteArray SigV4Signer::canonicalUri(const QString &path)
{
    if (path.isEmpty())
        return QByteArrayLiteral("/");
    return uriEncode(path, true);
}

QByteArray SigV4Signer::canonicalQueryString(const QueryItems &query)
{
    QByteArray out;
    for (const auto &[name, value] : encodedPairs(query)) {
        if (!out.isEmpty())
            out.append('&');
        out.append(name).append('=').append(value);
    }
    return out;
}

QByteArray SigV4Signer::urlQueryString(const QueryItems &query)
{
    QByteArray out;
    for (const auto &[name, value] : encodedPairs(query)) {
        if (!out.isEmpty())
            out.append('&');
        out.append(name);
        if (!value.isEmpty())
            out.append('=').append(value);
    }
    return out;
}

QByteArray SigV4Signer::canonicalHeaders(const HeaderList &headers, QByteArray *signedHeaders)
{
    QList<QPair<QByteArray, QByteArray>> sorted;
    sorted.reserve(headers.size());
    for (const auto &[name, value] : headers)
        sorted.append({name.trimmed().toLower(), trimAll(value)});
    // Stable: repeated names keep their order, as HTTP requires.
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });

    QByteArray canonical;
    QByteArray names;
    for (qsizetype i = 0; i < sorted.size(); ++i) {
        if (i > 0 && sorted[i].first == sorted[i - 1].first) {
            canonical.chop(1);  // the '\n' of the previous line
            canonical.append(',').append(sorted[i].second).append('\n');
            continue;
        }
        canonical.append(sorted[i].first).append(':').append(sorted[i].second).append('\n');
        if (!names.isEmpty())
            names.append(';');
        names.append(sorted[i].first);
    }
    if (signedHeaders)
        *signedHeaders = names;
    return canonical;
}

QByteArray SigV4Signer::canonicalRequest(const QByteArray &method, const QByteArray &canonicalUri,
                                         const QByteArray &canonicalQuery, const HeaderList &headers,
                                         const QByteArray &payloadHash)
{
    QByteArray signedHeaders;
    const QByteArray canonical = canonicalHeaders(headers, &signedHeaders);
    QByteArray out = method.toUpper();
    out.append('\n').append(canonicalUri);
    out.append('\n').append(canonicalQuery);
    out.append('\n').append(canonical);  // each header line ends with '\n'
    out.append('\n').append(signedHeaders);
    out.append('\n').append(payloadHash);
    return out;
}

QByteArray SigV4Signer::credentialScope(const QDateTime &time, const QString &region, const QString &service)
{
    return time.toUTC().toString(QStringLiteral("yyyyMMdd")).toLatin1() + '/' + region.toUtf8() + '/'
        + service.toUtf8() + "/aws4_request";
}

QByteArray SigV4Signer::amzDate(const QDateTime &time)
{
    return time.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
}

QByteArray SigV4Signer::stringToSign(const QDateTime &time, const QByteArray &scope,
                                     const QByteArray &canonicalRequest)
{
    return QByteArray(algorithm) + '\n' + amzDate(time) + '\n' + scope + '\n' + Sha256::hex(canonicalRequest);
}

QByteArray SigV4Signer::signingKey(const QString &secretKey, const QDateTime &time, const QString &region,
                                   const QString &service)
{
    const QByteArray date = time.toUTC().toString(QStringLiteral("yyyyMMdd")).toLatin1();
    const QByteArray dateKey = hmac("AWS4" + secretKey.toUtf8(), date);
    const QByteArray regionKey = hmac(dateKey, region.toUtf8());
    const QByteArray serviceKey = hmac(regionKey, service.toUtf8());
    return hmac(serviceKey, QByteArrayLiteral("aws4_request"));
}

QByteArray SigV4Signer::signature(const QByteArray &signingKey, const QByteArray &stringToSign)
{
    return hmac(signingKey, stringToSign).toHex();
}

QByteArray SigV4Signer::authorizationHeader(const QString &accessKey, const QByteArray &scope,
                                            const QByteArray &signedHeaders, const QByteArray &signature)
{
    return QByteArray(algorithm) + " Credential=" + accessKey.toUtf8() + '/' + scope
        + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature;
}

QByteArray SigV4Signer::payloadHash(const QByteArray &payload)
{
    return Sha256::hex(payload);
}

void SigV4Signer::sign(Request *request, const Credentials &credentials, const QString &region,
                       const QDateTime &time, const QString &service)
{
    auto &headers = request->headers;
    const auto isAuthHeader = [](const QPair<QByteArray, QByteArray> &h) {
        const QByteArray name = h.first.toLower();
        return name == "authorization" || name == "x-amz-date" || name == "x-amz-content-sha256"
            || name == "x-amz-security-token";
    };
    headers.removeIf(isAuthHeader);  // re-signing a retried request
    headers.append({QByteArrayLiteral("x-amz-date"), amzDate(time)});
    headers.append({QByteArrayLiteral("x-amz-content-sha256"), request->payloadHash});
    if (!credentials.sessionToken.isEmpty())
        headers.append({QByteArrayLiteral("x-amz-security-token"), credentials.sessionToken.toUtf8()});

    const QByteArray canonical = canonicalRequest(request->method, canonicalUri(request->path),
                                                  canonicalQueryString(request->query), headers,
                                                  request->payloadHash);
    QByteArray signedHeaders;
    canonicalHeaders(headers, &signedHeaders);
    const QByteArray scope = credentialScope(time, region, service);
    const QByteArray sig = signature(signingKey(credentials.secretKey, time, region, service),
                                     stringToSign(time, scope, canonical));
    headers.append({QByteArrayLiteral("authorization"),
                    authorizationHeader(credentials.accessKey, scope, signedHeaders, sig)});
}

} // namespace s3cache
