#pragma once
// MergeJournal: how SafeExtractor makes "all or nothing" survive kill -9 (internal to the archive
// layer). Before each step of moving a staged tree into the workspace, one line naming the step
// goes to <staging>/journal; the extraction holds an exclusive flock() on that file while it runs.
// A run killed at any instant leaves a journal that no process holds: the next run in that
// workspace (recoverInterruptedRestores() in safeextractor.h, called by every restore and rebuild) undoes its steps in
// reverse order and removes its staging directories. The undo checks what is on disk, so a step
// that was written down but not carried out is skipped. A journal that ends with "committed"
// only needs its staging directories removed.
//
// Lines (paths absolute, percent-encoded; modes octal; times seconds.nanoseconds):
//   in <target> <staged>               a staged entry moved into place (undo: move it back)
//   aside <target> <kept> <mode>       what was in the way moved aside (undo: move it back, mode)
//   merged <dir> <mode> <atime> <mtime> a workspace directory merged into (undo: mode and times)
//   staging <dir>                      a staging directory on another file system
//   committed

#include <QByteArray>
#include <QList>
#include "util/warnings.h"

#include <QString>

#include <sys/stat.h>

#include <utility>

namespace s3cache {

struct MergeStep
{
    enum Op { In, Aside, Merged, Staging, Committed };
    MergeStep(Op o = In, QString t = {}, QString k = {}, quint32 m = 0, struct timespec a = {}, struct timespec mt = {})
        : op(o), target(std::move(t)), kept(std::move(k)), mode(m), atime(a), mtime(mt)
    {
    }
    Op op;
    QString target;   // In, Aside: the workspace path; Merged: the directory; Staging: the directory
    QString kept;     // In: where the staged entry was; Aside: where the original is kept
    quint32 mode;     // Aside, Merged: the original's permission bits
    struct timespec atime, mtime;  // Merged
};

class MergeJournal
{
public:
    MergeJournal() = default;
    ~MergeJournal();
    Q_DISABLE_COPY_MOVE(MergeJournal)

    // Creates `path` and locks it; false with errno set.
    bool open(const QString &path);
    // Writes one step down (before it is carried out); false with errno set.
    bool write(const MergeStep &step);
    const QList<MergeStep> &steps() const { return m_steps; }

private:
    int m_fd = -1;
    QList<MergeStep> m_steps;
};

// Undoes `steps` in reverse order, checking the disk at each; returns the paths it could not put
// back (each also logged as an error).
QStringList rollBackSteps(const QList<MergeStep> &steps, WarningSink *warnings);

// The names in a directory, sorted (no "." and ".."); *errnum is 0 or the error.
QList<QByteArray> directoryNames(const QByteArray &path, int *errnum);

// Removes a tree without following symbolic links, making directories writable as needed; never
// leaves the file system of `path` (a mount point below is left alone and the removal fails).
bool removeTree(const QByteArray &path, dev_t device = 0);

} // namespace s3cache
