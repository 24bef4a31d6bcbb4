#pragma once
// CacheActions: the operations on the selected objects, as QActions with shortcuts, and the
// flows behind them: Refresh (F5), Inspect (Ctrl+I), Restore into a folder (Ctrl+R), Download
// the raw archive (Ctrl+S), Delete (Del, after a confirmation stating count and bytes) and Age
// flush (Ctrl+Shift+F). File choosers and confirmations are opened with open() and answer
// through signals; the jobs run in the job panel and their results update the tree.

#include "cache/flushjob.h"
#include "s3/s3types.h"

#include <QObject>
#include <QPointer>

class QAction;
class QMenu;
class QMessageBox;
class QWidget;

namespace s3cache {

class BucketView;
class DetailsPane;
class DeleteJob;
class DownloadJob;
class FlushDialog;
class JobPanel;
class RestoreJob;
class Session;

class CacheActions : public QObject
{
    Q_OBJECT
public:
    CacheActions(Session *session, BucketView *view, DetailsPane *details, JobPanel *panel, QWidget *window);

    QAction *refresh() const { return m_refresh; }
    QAction *inspect() const { return m_inspect; }
    QAction *restore() const { return m_restore; }
    QAction *download() const { return m_download; }
    QAction *remove() const { return m_delete; }
    QAction *flush() const { return m_flush; }
    QAction *copyKey() const { return m_copyKey; }
    QAction *copyUri() const { return m_copyUri; }
    QAction *copyCommand() const { return m_copyCommand; }
    QList<QAction *> all() const;
    QList<QAction *> copyActions() const { return {m_copyKey, m_copyUri, m_copyCommand}; }

    // What the copy actions put on the clipboard for `key`: the key, its s3:// (or file://)
    // address, and the s3cache command line that restores it.
    QString uriFor(const QString &key) const;
    QString restoreCommandFor(const QString &key) const;
    // Restores into `folder`, first asking when it is not empty (answered through open()).
    void restoreAsking(const QString &key, const QString &folder);
    QMessageBox *nonEmptyQuestion() const;
    QMenu *contextMenu() const;  // the open context menu of the tree or the Caches table

    // The flows after their dialogs, for callers that already know the answer.
    RestoreJob *startRestore(const QString &key, const QString &folder);
    DownloadJob *startDownload(const QString &key, const QString &file);
    DeleteJob *startDelete(const QList<ObjectInfo> &objects);
    FlushDialog *flushDialog() const;  // the open age-flush dialog, if any

signals:
    // A one-line outcome for the status bar.
    void message(const QString &text);
    // Enter or a double-click on an object started an inspection.
    void inspectRequested();

private:
    void updateEnabled();
    void chooseRestoreFolder();
    void chooseDownloadFile();
    void confirmDelete();
    void openFlushDialog();
    void onFlushStarted(FlushJob *job);

    Session *m_session;
    BucketView *m_view;
    DetailsPane *m_details;
    JobPanel *m_panel;
    QWidget *m_window;
    QAction *m_refresh;
    QAction *m_inspect;
    QAction *m_restore;
    QAction *m_download;
    QAction *m_delete;
    QAction *m_flush;
    QAction *m_copyKey;
    QAction *m_copyUri;
    QAction *m_copyCommand;
    QPointer<QMessageBox> m_nonEmptyQuestion;
    QPointer<QMenu> m_contextMenu;
    QPointer<FlushDialog> m_flushDialog;
};

} // namespace s3cache
