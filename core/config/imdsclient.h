#pragma once
// Role credentials from the EC2 instance metadata service, IMDSv2 first:
//   PUT  /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds)      -> session token
//   GET  /latest/meta-data/iam/security-credentials/      (token header) -> role name
//   GET  /latest/meta-data/iam/security-credentials/<role> (token header) -> JSON credentials
// When the token PUT gets no answer within tokenTimeoutMs (a hop limit of 1 seen from inside a
// container drops the answer) or is refused with 403/404/405, the GETs are sent once without a
// token (IMDSv1), unless v1Disabled (AWS_EC2_METADATA_V1_DISABLED=true); the credentials'
// source then says "IMDSv1" and why, and a warning is logged.
// Plain HTTP/1.1 over a blocking QTcpSocket (the service is link-local, http only), so it
// needs no event loop: connect timeout 1 s, the whole exchange at most 3 s.
// No service (nothing listening, no answer in time, a token request refused otherwise, an
// IMDSv1 attempt that gets nothing) or no role attached (404) -> empty Credentials. A service
// that issued a token and then fails, or answers with something that is not the documented
// JSON, is an error. The JSON's Expiration is kept (the provider refreshes before it).

#include "s3/s3types.h"
#include "util/result.h"

#include <QString>

namespace s3cache {

struct ImdsOptions
{
    QString endpoint = QStringLiteral("http://169.254.169.254");
    int connectTimeoutMs = 1000;
    int totalTimeoutMs = 3000;
    int tokenTimeoutMs = 1000;   // the token PUT's answer; then IMDSv1
    bool v1Disabled = false;
};

Result<Credentials> fetchImdsCredentials(const ImdsOptions &options = {});

} // namespace s3cache
