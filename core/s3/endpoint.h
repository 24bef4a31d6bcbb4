#pragma once
// Endpoint resolution (docs/behaviour.md §4): from the user's `server`, `bucket`, `region` and `path_style`
// to the URL of the bucket and its objects.
//  - bare host -> https; `http://` and `https://` kept; any other scheme is an error
//    (`file://` is handled above this layer by the store factory);
//  - a host that already starts with "<bucket>." is a virtual-host endpoint used as is;
//  - *.amazonaws.com -> virtual-host (bucket.s3.<region>.amazonaws.com), except bucket names
//    with dots -> path-style; every other host (MinIO, IPs, localhost) -> path-style;
//  - explicit path_style overrides the automatic choice (not for a bucket already in the host);
//  - region: explicit, else from the host (s3-us-west-2, s3.us-west-2, s3.dualstack.us-west-2),
//    else AWS_REGION/AWS_DEFAULT_REGION as passed in `fallbackRegion`, else us-east-1;
//  - empty server -> the AWS regional endpoint https://s3.<region>.amazonaws.com;
//  - accelerateHost (S3 Transfer Acceleration, `accelerated_endpoint`): https://<bucket>.<host>,
//    virtual-host; refused for a bucket name with dots, a non-AWS server, path_style: true and
//    a host that is not an s3-accelerate host of AWS.
// Where the server, the fallback region and path_style come from when the parameters do not
// give them (AWS_ENDPOINT_URL_S3, profiles, ...) is decided above this layer
// (config/awss3settings.h).

#include "util/result.h"

#include <QString>
#include <QUrl>

#include <optional>

namespace s3cache {

struct EndpointOptions
{
    QString server;
    QString bucket;
    QString region;                  // explicit `region` parameter, may be empty
    QString fallbackRegion;          // AWS_REGION / AWS_DEFAULT_REGION, may be empty
    std::optional<bool> pathStyle;   // unset -> automatic
    QString fallbackRegionSource = QStringLiteral("AWS_REGION");  // the variable fallbackRegion came from
    QString accelerateHost{};        // "s3-accelerate.amazonaws.com": Transfer Acceleration; empty: off
};

struct Endpoint
{
    QString scheme;        // "https" or "http"
    QString host;          // host the requests go to (with the bucket when virtual-host)
    int port = -1;         // -1 = scheme default
    QString bucket;
    QString region;
    QString regionSource;  // "parameter", "host", "AWS_REGION", "default"
    bool pathStyle = true;
    bool accelerated = false;  // S3 Transfer Acceleration (host is <bucket>.s3-accelerate...)

    // URL of the bucket (path-style: scheme://host:port/bucket/, virtual-host: scheme://host:port/).
    QUrl bucketUrl() const;
    // URL of an object; the key is percent-encoded per SigV4 rules (each segment, '/' kept).
    QUrl objectUrl(const QString &key) const;
    // "https://bucket.s3.us-west-2.amazonaws.com (virtual-host, region us-west-2 from host)"
    QString describe() const;

    // The decoded request path of an object ("/bucket/my key" or "/my key"); an empty key gives
    // the bucket's own path as requests use it ("/bucket" or "/"). objectUrl() is its encoding.
    QString requestPath(const QString &key) const;
    // The Host header as HTTP sends it: host, plus ":port" for a non-default port.
    QByteArray hostHeader() const;
    // The endpoint of the service itself, for requests that name no bucket (ListBuckets):
    // path-style, bucket empty, the host without "<bucket>." (a virtual-host endpoint) and the
    // regional AWS host instead of an accelerate host (Transfer Acceleration serves buckets only).
    Endpoint serviceEndpoint() const;
};

Result<Endpoint> resolveEndpoint(const EndpointOptions &options);

} // namespace s3cache
