#pragma once
// The S3 settings of the AWS conventions (docs/behaviour.md §4), the one rule the CLI (the
// resolver) and the GUI (StoreSpec, a profile in "AWS chain" mode) apply to what the user did not
// give. As the AWS CLI v2 and the SDKs:
//  - endpoint: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the selected profile's
//    `services = NAME` section "[services NAME]" with "s3 =\n  endpoint_url = …", else the
//    profile's `endpoint_url`; all of them ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
//    true (when it is not set: the profile's ignore_configured_endpoint_urls). The `server`
//    parameter ranks above every one of them (the caller's business).
//  - region fallback: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region` (below the
//    `region` parameter and a region named by the host: endpoint.h);
//  - addressing: the profile's "s3 =\n  addressing_style = path|virtual|auto" (auto: as if
//    unset), below the `path_style` parameter;
//  - CA bundle: AWS_CA_BUNDLE, else the profile's `ca_bundle`, below the `ca_bundle` parameter.
// The profile is AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default" (awsconfigfile.h); one
// that does not exist gives no settings (the credential chain reports it). Sources read as
// "AWS_ENDPOINT_URL_S3" or "profile ci in /home/u/.aws/config".

#include "parametersource.h"

#include "s3/endpoint.h"
#include "util/result.h"

#include <QProcessEnvironment>
#include <QString>

#include <optional>

namespace s3cache {

struct AwsS3Settings
{
    std::optional<ParameterValue> endpointUrl;
    std::optional<ParameterValue> region;
    std::optional<bool> pathStyle;       // from addressing_style: path -> true, virtual -> false
    QString pathStyleSource;
    std::optional<ParameterValue> caBundle;  // absolute path; checked to be a readable file
    QString endpointsIgnoredBy;          // the setting that ignored configured endpoints, or empty

    // Fills in what `options` and `caBundle` leave empty: server, fallbackRegion (and its
    // source), pathStyle; caBundle may be nullptr.
    void applyTo(EndpointOptions *options, QString *caBundle) const;
};

// AWS_REGION, else AWS_DEFAULT_REGION (trimmed), with the variable's name as the source.
std::optional<ParameterValue> awsRegionVariable(const QProcessEnvironment &env);

// Reads the variables and the shared files (a malformed file is an error naming it and the line;
// a bad addressing_style, ignore flag or a CA bundle that is not a readable file is an
// ErrorKind::InvalidInput error naming where it came from). Relative CA bundle paths are
// relative to the current directory.
Result<AwsS3Settings> readAwsS3Settings(const QProcessEnvironment &env, const QString &homeDir);

} // namespace s3cache
