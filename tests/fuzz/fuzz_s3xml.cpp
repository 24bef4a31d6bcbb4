// The S3 answer parsers: listings, multipart results, delete results, error documents, dates.
// Any input must give a value or an Error, never a crash, hang or sanitizer report.
#include "fuzzcommon.h"

#include "s3/s3error.h"
#include "s3/s3xml.h"

using namespace s3cache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quietLogs();
    const QByteArray xml = fuzz::bytes(data, size);
    (void)S3Xml::parseListObjectsV2(xml);
    (void)S3Xml::parseDeleteResult(xml);
    (void)S3Xml::parseInitiateMultipartUpload(xml);
    (void)S3Xml::parseCompleteMultipartUpload(xml);
    (void)S3Xml::parseListMultipartUploads(xml);
    (void)S3ErrorParser::parseBody(xml);
    for (int status : {200, 400, 403, 404, 412, 500, 503}) {
        const Error e = S3ErrorParser::fromResponse(status, xml, QStringLiteral("GetObject s3://b/k"), QStringLiteral("rid"), QStringLiteral("reason"));
        (void)e.toString();
    }
    (void)S3Xml::stripEtag(xml);
    (void)S3Xml::parseHttpDate(xml);
    (void)S3Xml::parseIsoDate(QString::fromUtf8(xml));
    return 0;
}
