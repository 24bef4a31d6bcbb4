#include "listbucketsjob.h"

#include "storespec.h"

namespace s3cache {

ListBucketsJob::ListBucketsJob(ConnectionProfile profile, QString secretKey, const QProcessEnvironment &env,
                               QString homeDir, QObject *parent)
    : Job(parent), m_profile(std::move(profile)), m_secretKey(std::move(secretKey)), m_env(env),
      m_homeDir(std::move(homeDir))
{
}

Error ListBucketsJob::run()
{
    reportProgress({JobPhase::Connect}, true);
    // The resolver wants a complete profile; ListBuckets itself goes to the service endpoint and
    // never names a bucket, so a stand-in one (a valid name, no dots: virtual-host works) serves
    // until the user has picked one.
    ConnectionProfile profile = m_profile;
    if (profile.name.trimmed().isEmpty())
        profile.name = QStringLiteral("new profile");
    if (profile.bucket.trimmed().isEmpty())
        profile.bucket = QStringLiteral("bucket-list");
    Result<StoreSpec> spec = StoreSpec::resolve(profile, m_secretKey, m_env, m_homeDir);
    if (!spec.ok())
        return spec.error();
    if (isCancelled())
        return cancelledError();
    Result<QList<BucketInfo>> buckets = spec->listBuckets(callContext());
    if (!buckets.ok())
        return buckets.error();
    m_buckets = *buckets;
    return {};
}

} // namespace s3cache
