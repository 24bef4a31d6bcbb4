#pragma once
// ConnectionProfile: how to reach one bucket, as a user saves it (name, endpoint, bucket,
// region, addressing, where the credentials come from). It never holds a secret: the secret key
// of a typed-in key pair is kept by the caller (the GUI keeps it in the system keychain).
// `server` "file:///dir" selects the embedded local store (objects under /dir/<bucket>/).

#include "util/error.h"

#include <QString>
#include <QVariantMap>

#include <optional>

namespace s3cache {

enum class CredentialMode {
    AwsChain,   // AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE + ~/.aws files, instance metadata
    AccessKey,  // access key typed in, secret key from the keychain
    Anonymous,  // unsigned requests (public buckets)
};

struct ConnectionProfile
{
    QString name;
    QString server;                  // "https://host[:port]", a bare host, "http://...", "file:///dir"
    QString bucket;
    QString region;                  // empty: automatic (from the host, AWS_REGION, us-east-1)
    std::optional<bool> pathStyle;   // unset: automatic
    CredentialMode credentials = CredentialMode::AwsChain;
    QString accessKey;               // CredentialMode::AccessKey only

    bool isLocal() const;
    // The directory of a local store ("file:///srv/cache" -> "/srv/cache"); empty otherwise.
    QString localRoot() const;
    // What can be checked without the network; the message names the field.
    Error validate() const;
    // "s3://bucket at https://host" or "file:///dir/bucket", for titles and status lines.
    QString describe() const;

    // The fields but the name (settings keep it as the group name); never a secret.
    QVariantMap toMap() const;
    static ConnectionProfile fromMap(const QVariantMap &map);

    bool operator==(const ConnectionProfile &other) const = default;
};

} // namespace s3cache
