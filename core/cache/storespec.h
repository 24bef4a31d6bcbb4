#pragma once
// The one store builder, for the CLI (from a Config, storefactory.h) and the GUI (from a
// ConnectionProfile): StoreSettings say what the user gave, StoreSpec::resolve() resolves the
// endpoint (docs/behaviour.md §4: the region from the parameter, the host, AWS_REGION /
// AWS_DEFAULT_REGION, else us-east-1; a GUI profile in "AWS chain" mode also takes the AWS
// conventions of config/awss3settings.h, which the CLI's Config has applied already), the proxy
// (HTTPS_PROXY/HTTP_PROXY/NO_PROXY, s3/proxy.h) and the credentials (those given, else
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else the AWS chain of credentialchain.h, whose
// temporary credentials the store's connection refreshes), and open() makes the store. A store is opened
// once per connection; jobs take views of it (ObjectStore::withContext).

#include "connectionprofile.h"
#include "objectstore.h"

#include "s3/s3connection.h"

#include <QProcessEnvironment>

#include <optional>

namespace s3cache {

struct StoreSettings
{
    QString localRoot;            // not empty: the embedded local store under this directory
    EndpointOptions endpoint;     // server, bucket, region, path style; fallbackRegion from the environment when empty
    Credentials credentials;      // given; empty -> the environment and the AWS chain, unless anonymous
    bool anonymous = false;       // unsigned requests, no credential lookup
    QString caBundle;             // extra PEM CA certificates
    ObjectWriteOptions objectOptions;  // S3 only: encryption, storage class, tags of written objects
    QString context;              // names the settings in errors ("profile 'minio'"); may be empty
};

class StoreSpec
{
public:
    // May block on the network (the AWS chain asks the instance metadata service): call it from
    // a worker thread. Secret values are registered with the log's masking.
    static Result<StoreSpec> resolve(const StoreSettings &settings, const QProcessEnvironment &env,
                                     const QString &homeDir);
    // A profile as the GUI saves it; `secretKey` is used with CredentialMode::AccessKey only.
    static Result<StoreSpec> resolve(const ConnectionProfile &profile, const QString &secretKey,
                                     const QProcessEnvironment &env, const QString &homeDir);

    ObjectStorePtr open() const;
    // The buckets these settings can reach, sorted by name: ListBuckets on the S3 service
    // endpoint (the spec's bucket plays no part), or the directories of a local store's root.
    // Blocking: call it from a worker thread, under the job's `context`.
    Result<QList<BucketInfo>> listBuckets(const CallContext &context) const;
    bool isLocal() const { return !m_s3.has_value(); }
    // Where the credentials came from: the link of the chain ("typed in", "AWS_ACCESS_KEY_ID",
    // "web identity: role arn:... via AWS_WEB_IDENTITY_TOKEN_FILE", "container credentials
    // (AWS_CONTAINER_CREDENTIALS_FULL_URI)", "IMDSv1 role r (IMDSv2 token request ...)", "none").
    QString credentialSource() const;
    // The first credentials (empty: unsigned, or a local store). Never print the secret parts.
    Credentials credentials() const { return m_s3 ? m_s3->credentials : Credentials(); }
    // Something the user should know although it works (no credentials: unsigned requests).
    QString notice() const;
    // The store's own description (endpoint, addressing, region); no secrets.
    QString describe() const;

private:
    QString m_localRoot;
    QString m_bucket;
    bool m_anonymous = false;
    std::optional<S3ClientConfig> m_s3;
};

} // namespace s3cache
