// Endpoint resolution. Input lines: server, bucket, region, fallback region, path_style
// (t/f/anything else = automatic), object key. A resolved endpoint must be usable: http(s),
// a host, a region, and URLs that can be built for any key.
#include "fuzzcommon.h"

#include "s3/endpoint.h"

#include <cstdlib>

using namespace s3cache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quietLogs();
    const QList<QString> f = fuzz::fields(data, size, 6);
    EndpointOptions options;
    options.server = f[0];
    options.bucket = f[1];
    options.region = f[2];
    options.fallbackRegion = f[3];
    if (f[4] == u"t")
        options.pathStyle = true;
    else if (f[4] == u"f")
        options.pathStyle = false;
    const Result<Endpoint> endpoint = resolveEndpoint(options);
    if (!endpoint.ok())
        return 0;
    if (endpoint->scheme != u"https" && endpoint->scheme != u"http")
        abort();
    if (endpoint->host.isEmpty() || endpoint->region.isEmpty())
        abort();
    (void)endpoint->bucketUrl();
    (void)endpoint->objectUrl(f[5]);
    (void)endpoint->describe();
    (void)endpoint->requestPath(f[5]);
    if (endpoint->hostHeader().isEmpty())
        abort();
    return 0;
}
