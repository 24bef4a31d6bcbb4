#pragma once
// S3 error responses -> Error. The XML body (<Error><Code/><Message/><RequestId/><Resource/>)
// is parsed when there is one; HEAD answers and some proxies have none, then the HTTP status
// decides. The retry policy is data here too: which statuses and codes are worth another try.

#include "util/error.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace s3cache {

struct S3ErrorBody
{
    QString code;
    QString message;
    QString requestId;
    QString resource;
    QString serverTime;  // RequestTimeTooSkewed carries the server's clock
};

class S3ErrorParser
{
public:
    // The <Error> document, or nullopt when the body is empty, not XML or not an <Error>.
    static std::optional<S3ErrorBody> parseBody(const QByteArray &xml);

    // What the caller should do about a code/status (see ErrorKind).
    static ErrorKind kindFor(int httpStatus, const QString &code);

    // Worth retrying with backoff: 5xx, 429, SlowDown, RequestTimeout, throttling codes.
    static bool isRetryable(int httpStatus, const QString &code);

    // The code used when the server sent none (HEAD, empty body): 404 -> "NotFound", 403 ->
    // "AccessDenied", 412 -> "PreconditionFailed", ...
    static QString codeForStatus(int httpStatus);

    // A plain-language hint at the likely cause of a well-known code (SignatureDoesNotMatch: the
    // secret key is wrong; TlsError: an http:// endpoint, or ca_bundle missing; ...); empty when
    // the code says it all. Both front ends show it with the error (Error::hint()).
    static QString hintFor(const QString &code);

    // The Error for an HTTP error answer, with hintFor(code). A server that sends an empty
    // <Message> (Ceph RGW does) gets the hint, or the HTTP reason, as the message, never the code
    // a second time. `context` names the request ("GetObject s3://b/k");
    // `requestIdHeader` (x-amz-request-id) is used when the body has none; `reasonPhrase` is the
    // message when the body has none.
    static Error fromResponse(int httpStatus, const QByteArray &body, const QString &context,
                              const QString &requestIdHeader = {}, const QString &reasonPhrase = {});
};

} // namespace s3cache
