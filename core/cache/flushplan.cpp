#include "flushplan.h"

#include "lastused.h"

#include "util/humanformat.h"

#include <algorithm>

namespace s3cache {

namespace {

// The order in which a budget evicts: least recently used first.
bool lessRecentlyUsed(const ObjectInfo &a, const ObjectInfo &b)
{
    const QDateTime ua = lastUseOf(a);
    const QDateTime ub = lastUseOf(b);
    if (ua != ub)
        return ua < ub;
    if (a.lastModified != b.lastModified)
        return a.lastModified < b.lastModified;
    return a.key < b.key;
}

} // namespace

int FlushPlan::deletedCount() const
{
    return int(std::count_if(decisions.cbegin(), decisions.cend(), [](const FlushDecision &d) { return d.deleted(); }));
}

QList<ObjectInfo> FlushPlan::deleted() const
{
    QList<ObjectInfo> out;
    for (const FlushDecision &d : decisions) {
        if (d.deleted())
            out << d.cache;
    }
    return out;
}

FlushPlan planFlush(const QList<ObjectInfo> &caches, const FlushPolicy &policy)
{
    const QDateTime cutoff = policy.now.addSecs(-policy.maxAgeSeconds);
    FlushPlan plan;
    for (const ObjectInfo &cache : caches) {
        const QDateTime from = policy.ageFrom == AgeFrom::Used ? lastUseOf(cache) : cache.lastModified;
        plan.decisions.append({cache, from < cutoff ? FlushDecision::Reason::Old : FlushDecision::Reason::Kept});
    }
    // Oldest use first: the budget evicts from the front.
    std::sort(plan.decisions.begin(), plan.decisions.end(),
              [](const FlushDecision &a, const FlushDecision &b) { return lessRecentlyUsed(a.cache, b.cache); });
    qint64 kept = 0;
    for (const FlushDecision &d : std::as_const(plan.decisions)) {
        if (!d.deleted())
            kept += std::max<qint64>(0, d.cache.size);
    }
    for (FlushDecision &d : plan.decisions) {
        if (policy.maxBytes < 0 || kept <= policy.maxBytes)
            break;
        if (d.deleted())
            continue;
        d.reason = FlushDecision::Reason::OverBudget;
        kept -= std::max<qint64>(0, d.cache.size);
    }
    std::reverse(plan.decisions.begin(), plan.decisions.end());
    for (const FlushDecision &d : std::as_const(plan.decisions))
        (d.deleted() ? plan.deletedBytes : plan.keptBytes) += std::max<qint64>(0, d.cache.size);
    return plan;
}

QString describeDecision(const FlushDecision &decision, const FlushPolicy &policy)
{
    switch (decision.reason) {
    case FlushDecision::Reason::Old:
        return policy.ageFrom == AgeFrom::Used
                   ? QStringLiteral("not used for %1").arg(formatDuration(policy.maxAgeSeconds * 1000))
                   : QStringLiteral("older than %1").arg(formatDuration(policy.maxAgeSeconds * 1000));
    case FlushDecision::Reason::OverBudget:
        return QStringLiteral("over the %1 budget, least recently used").arg(formatBytes(policy.maxBytes));
    case FlushDecision::Reason::Changed:
        return QStringLiteral("written or used while the flush ran");
    case FlushDecision::Reason::Kept:
        break;
    }
    return policy.maxBytes >= 0 ? QStringLiteral("within the age and the budget") : QStringLiteral("within the age");
}

QString describePolicy(const FlushPolicy &policy)
{
    QString text = policy.ageFrom == AgeFrom::Used
                       ? QStringLiteral("not used for %1").arg(formatDuration(policy.maxAgeSeconds * 1000))
                       : QStringLiteral("older than %1").arg(formatDuration(policy.maxAgeSeconds * 1000));
    if (policy.maxBytes >= 0)
        text += QStringLiteral(", then the least recently used while over %1").arg(formatBytes(policy.maxBytes));
    return text;
}

} // namespace s3cache
