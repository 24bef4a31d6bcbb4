#pragma once
// What a flush deletes, decided from one listing, the same way for a dry run, a real run, the
// CLI's decision table and the GUI's preview:
//   1. age: a cache older than the maximum age goes. Its age counts from its write (the plugin's
//      meaning, the default) or, with AgeFrom::Used, from its last use (lastUseOf(): the later of
//      the last recorded restore and the write; a cache never restored counts from its write).
//   2. budget: while the caches that are left hold more bytes than maxBytes, the least recently
//      used one goes (lastUseOf(); ties: the older write, then the smaller key). Strict LRU: a
//      single cache over the budget goes too.
// The plan lists every cache with its decision, most recently used first.

#include "s3/s3types.h"

#include <QDateTime>
#include <QList>

namespace s3cache {

enum class AgeFrom { Written, Used };

struct FlushPolicy
{
    qint64 maxAgeSeconds = 0;
    AgeFrom ageFrom = AgeFrom::Written;
    qint64 maxBytes = -1;  // -1: no budget
    QDateTime now;         // the reference time (UTC)
};

struct FlushDecision
{
    enum class Reason {
        Kept,        // younger than the age, within the budget
        Old,         // older than the age
        OverBudget,  // least recently used while over the budget
        Changed,     // deleted by the plan, but written or used since it was listed: kept
    };
    ObjectInfo cache;  // with lastUsed
    Reason reason = Reason::Kept;
    bool deleted() const { return reason == Reason::Old || reason == Reason::OverBudget; }
};

struct FlushPlan
{
    QList<FlushDecision> decisions;  // most recently used first
    qint64 keptBytes = 0;
    qint64 deletedBytes = 0;
    int deletedCount() const;
    QList<ObjectInfo> deleted() const;
};

FlushPlan planFlush(const QList<ObjectInfo> &caches, const FlushPolicy &policy);

// The reason column of the decision table, in the CLI and the GUI alike: "older than 14 days",
// "not used for 14 days", "over the 20.0 GiB budget, least recently used", "within the age", ...
QString describeDecision(const FlushDecision &decision, const FlushPolicy &policy);

// "older than 14 days", "not used for 14 days, then the least recently used while over 20.0 GiB".
QString describePolicy(const FlushPolicy &policy);

} // namespace s3cache
