#pragma once
// CredentialProvider: the credentials S3 requests are signed with, for as long as the store
// lives. Static keys never expire; temporary ones (STS, container, instance metadata,
// credential_process) are fetched again before they expire, so a 50 GiB upload outlives a
// 15-minute session (docs/behaviour.md §2):
//  - more than advisoryRefresh (15 min) left: the cached credentials;
//  - less than that: a refresh is attempted; if it fails, the cached ones are used while more
//    than mandatoryRefresh (10 min) is left (the failure is logged as a warning);
//  - less than mandatoryRefresh, expired, or after invalidate(): a refresh must succeed, else
//    credentials() returns its error.
// Thread-safe: one refresh at a time, under the provider's lock (callers wait for it; the
// fetch function must not call back into the same provider). Called from the threads that
// post S3 requests (S3Connection), never from the network thread, so a fetch may itself make
// blocking network calls. Every fetched secret is registered with Log::registerSecret by
// the fetch function.

#include "s3types.h"

#include "util/result.h"

#include <QMutex>

#include <chrono>
#include <functional>
#include <memory>

namespace s3cache {

class CredentialProvider
{
public:
    using Fetch = std::function<Result<Credentials>()>;
    using Clock = std::function<QDateTime()>;
    static constexpr std::chrono::seconds advisoryRefresh{15 * 60};
    static constexpr std::chrono::seconds mandatoryRefresh{10 * 60};

    // `fetch` is called on first use and at every refresh; `clock` defaults to the UTC time.
    explicit CredentialProvider(Fetch fetch, Clock clock = {});
    // A provider of fixed credentials that never refreshes.
    static std::shared_ptr<CredentialProvider> fixed(const Credentials &credentials);

    Result<Credentials> credentials();
    // `used` was refused as expired: the next credentials() fetches new ones, unless the cached
    // credentials are already others (another request refreshed them meanwhile).
    void invalidate(const Credentials &used);
    // False for fixed credentials (retrying an expired-token answer would not help).
    bool refreshable() const { return static_cast<bool>(m_fetch); }
    // How many times fetch ran (for tests and the debug log).
    int fetchCount() const;

private:
    Fetch m_fetch;
    Clock m_clock;
    mutable QMutex m_mutex;
    std::optional<Credentials> m_cached;
    bool m_invalid = false;
    int m_fetches = 0;
};

using CredentialProviderPtr = std::shared_ptr<CredentialProvider>;

// The answers that mean "these temporary credentials expired": refresh and retry once.
bool isExpiredCredentialsCode(const QString &code);

} // namespace s3cache
