#pragma once
// Role credentials from the EC2 instance metadata service, IMDSv2 only:
//   PUT  /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds)      -> session token
//   GET  /latest/meta-data/iam/security-credentials/      (token header) -> role name
//   GET  /latest/meta-data/iam/security-credentials/<role> (token header) -> JSON credentials
// Plain HTTP/1.1 over a blocking QTcpSocket (the service is link-local, http only), so it
// needs no event loop: connect timeout 1 s, the whole exchange at most 3 s.
// No service (nothing listening, no answer in time, a token request that is refused) or no role
// attached (404) -> empty Credentials. A service that issued a token and then fails, or answers
// with something that is not the documented JSON, is an error.

#include "s3/s3types.h"
#include "util/result.h"

#include <QString>

namespace s3cache {

struct ImdsOptions
{
    QString endpoint = QStringLiteral("http://169.254.169.254");
    int connectTimeoutMs = 1000;
    int totalTimeoutMs = 3000;
};

Result<Credentials> fetchImdsCredentials(const ImdsOptions &options = {});

} // namespace s3cache
