#include "cacheactions.h"

#include "bucketview.h"
#include "buckettreemodel.h"
#include "detailspane.h"
#include "flushdialog.h"
#include "format.h"
#include "jobpanel.h"
#include "session.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QStyle>

namespace s3cache {

namespace {

QAction *makeAction(QObject *parent, const QString &text, const QKeySequence &shortcut, const QString &tip,
                    QStyle::StandardPixmap icon)
{
    auto *action = new QAction(QApplication::style()->standardIcon(icon), text, parent);
    action->setShortcut(shortcut);
    action->setToolTip(QStringLiteral("%1 (%2)").arg(tip, shortcut.toString(QKeySequence::NativeText)));
    action->setStatusTip(tip);
    return action;
}

} // namespace

CacheActions::CacheActions(Session *session, BucketView *view, DetailsPane *details, JobPanel *panel, QWidget *window)
    : QObject(window), m_session(session), m_view(view), m_details(details), m_panel(panel), m_window(window),
      m_refresh(makeAction(this, tr("&Refresh"), Qt::Key_F5, tr("List the bucket again"), QStyle::SP_BrowserReload)),
      m_inspect(makeAction(this, tr("&Inspect contents"), QKeySequence(Qt::CTRL | Qt::Key_I),
                           tr("List the archive's files without extracting"), QStyle::SP_FileDialogContentsView)),
      m_restore(makeAction(this, tr("Re&store into folder\u2026"), QKeySequence(Qt::CTRL | Qt::Key_R),
                           tr("Extract the cache into a folder, all or nothing"), QStyle::SP_DialogOpenButton)),
      m_download(makeAction(this, tr("&Download archive\u2026"), QKeySequence(Qt::CTRL | Qt::Key_S),
                            tr("Save the raw archive to a file"), QStyle::SP_DialogSaveButton)),
      m_delete(makeAction(this, tr("De&lete\u2026"), QKeySequence::Delete, tr("Delete the selected objects"),
                          QStyle::SP_TrashIcon)),
      m_flush(makeAction(this, tr("&Age flush\u2026"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F),
                         tr("Delete objects older than an age, with a preview"), QStyle::SP_DialogResetButton))
{
    connect(m_refresh, &QAction::triggered, m_view, &BucketView::refresh);
    connect(m_inspect, &QAction::triggered, m_details, &DetailsPane::inspect);
    connect(m_restore, &QAction::triggered, this, &CacheActions::chooseRestoreFolder);
    connect(m_download, &QAction::triggered, this, &CacheActions::chooseDownloadFile);
    connect(m_delete, &QAction::triggered, this, &CacheActions::confirmDelete);
    connect(m_flush, &QAction::triggered, this, &CacheActions::openFlushDialog);
    connect(m_view, &BucketView::currentChanged, this, &CacheActions::updateEnabled);
    connect(m_view, &BucketView::selectionChanged, this, &CacheActions::updateEnabled);
    connect(m_session, &Session::connected, this, &CacheActions::updateEnabled);
    connect(m_session, &Session::connecting, this, &CacheActions::updateEnabled);
    connect(m_session, &Session::connectFailed, this, &CacheActions::updateEnabled);
    updateEnabled();
}

QList<QAction *> CacheActions::all() const
{
    return {m_refresh, m_inspect, m_restore, m_download, m_delete, m_flush};
}

FlushDialog *CacheActions::flushDialog() const
{
    return m_flushDialog;
}

void CacheActions::updateEnabled()
{
    const bool connected = m_session->isConnected();
    const BucketNode *current = m_view->currentNode();
    const bool object = connected && current && current->isObject;
    m_refresh->setEnabled(connected);
    m_inspect->setEnabled(object);
    m_restore->setEnabled(object);
    m_download->setEnabled(object);
    m_delete->setEnabled(connected && !m_view->selectedNodes().isEmpty());
    m_flush->setEnabled(connected);
}

void CacheActions::chooseRestoreFolder()
{
    const BucketNode *node = m_view->currentNode();
    if (!node || !node->isObject)
        return;
    const QString key = node->path;
    auto *dialog = new QFileDialog(m_window, tr("Restore %1 into folder").arg(node->name), QDir::homePath());
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setLabelText(QFileDialog::Accept, tr("Restore here"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this, key](const QString &folder) { startRestore(key, folder); });
    dialog->open();
}

void CacheActions::chooseDownloadFile()
{
    const BucketNode *node = m_view->currentNode();
    if (!node || !node->isObject)
        return;
    const QString key = node->path;
    auto *dialog = new QFileDialog(m_window, tr("Save the archive %1").arg(node->name), QDir::home().filePath(node->name));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this, key](const QString &file) { startDownload(key, file); });
    dialog->open();
}

RestoreJob *CacheActions::startRestore(const QString &key, const QString &folder)
{
    RestoreJob *job = m_session->createRestore(key, folder);
    if (!job)
        return nullptr;
    m_panel->track(job, tr("Restore %1 into %2").arg(key, QDir::toNativeSeparators(folder)), [job, key, folder] {
        const RestoreResult &r = job->result();
        if (!r.hit)
            return tr("Nothing restored: %1 no longer exists (refresh the listing).").arg(key);
        return tr("Restored %1 files from %2 into %3 in %4.")
            .arg(Format::count(r.stats.files), Format::bytes(r.object.size), QDir::toNativeSeparators(folder),
                 Format::duration(job->elapsedMs() / 1000));
    });
    connect(job, &Job::finished, this, [this, job, key] {
        if (job->error())
            emit message(tr("Restore of %1 failed: %2").arg(key, job->error().toString()));
        else
            emit message(job->result().hit ? tr("Restored %1").arg(key) : tr("%1 no longer exists").arg(key));
    });
    m_session->start(job);
    return job;
}

DownloadJob *CacheActions::startDownload(const QString &key, const QString &file)
{
    DownloadJob *job = m_session->createDownload(key, file);
    if (!job)
        return nullptr;
    m_panel->track(job, tr("Download %1").arg(key), [job, file] {
        return tr("Saved %1 to %2.").arg(Format::bytes(job->result().bytes), QDir::toNativeSeparators(file));
    });
    connect(job, &Job::finished, this, [this, job, key] {
        emit message(job->error() ? tr("Download of %1 failed: %2").arg(key, job->error().toString()) : tr("Downloaded %1").arg(key));
    });
    m_session->start(job);
    return job;
}

void CacheActions::confirmDelete()
{
    const QList<ObjectInfo> objects = BucketSummary::objectsUnder(m_view->selectedNodes());
    if (objects.isEmpty())
        return;
    qint64 bytes = 0;
    QStringList keys;
    for (const ObjectInfo &o : objects) {
        bytes += std::max<qint64>(0, o.size);
        if (keys.size() < 50)
            keys << o.key;
    }
    if (objects.size() > keys.size())
        keys << tr("\u2026 and %1 more").arg(Format::count(objects.size() - keys.size()));
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Delete cache objects"),
                                tr("Delete %1 objects (%2) from %3?\nThis cannot be undone; the next CI run rebuilds them.")
                                    .arg(Format::count(objects.size()), Format::bytes(bytes), m_session->describe()),
                                QMessageBox::Cancel, m_window);
    box->setDetailedText(keys.join(QLatin1Char('\n')));
    QPushButton *remove = box->addButton(tr("Delete %1 objects").arg(Format::count(objects.size())), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, remove, objects](QAbstractButton *clicked) {
        if (clicked == remove)
            startDelete(objects);
    });
    box->open();
}

DeleteJob *CacheActions::startDelete(const QList<ObjectInfo> &objects)
{
    DeleteJob *job = m_session->createDelete(objects);
    if (!job)
        return nullptr;
    m_panel->track(job, tr("Delete %1 objects").arg(Format::count(objects.size())), [job] {
        return tr("Deleted %1 objects, freed %2.").arg(Format::count(job->result().deleted.size()), Format::bytes(job->result().bytesFreed));
    });
    connect(job, &Job::finished, this, [this, job] {
        m_view->model()->removeObjects(job->result().deleted);
        if (job->error()) {
            // A batch may have been half done: the bucket, not our bookkeeping, is the truth.
            emit message(tr("Delete failed: %1").arg(job->error().toString()));
            m_view->refresh();
            return;
        }
        emit message(tr("Deleted %1 objects").arg(Format::count(job->result().deleted.size())));
    });
    m_session->start(job);
    return job;
}

void CacheActions::openFlushDialog()
{
    if (m_flushDialog) {
        m_flushDialog->raise();
        m_flushDialog->activateWindow();
        return;
    }
    // Start from the folder at hand: the current folder, or the folder of the current object.
    QString prefix;
    if (const BucketNode *node = m_view->currentNode())
        prefix = node->isObject ? node->parent->path : node->path;
    auto *dialog = new FlushDialog(m_session, prefix, int(m_view->ageThresholdSeconds() / (24 * 3600)), m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &FlushDialog::flushStarted, this, &CacheActions::onFlushStarted);
    m_flushDialog = dialog;
    dialog->show();
}

void CacheActions::onFlushStarted(FlushJob *job)
{
    m_panel->track(job, tr("Age flush"), [job] {
        return tr("Deleted %1 of %2 objects, freed %3.")
            .arg(Format::count(job->result().deleted), Format::count(job->result().scanned), Format::bytes(job->result().bytesFreed));
    });
    connect(job, &Job::finished, this, [this, job] {
        if (job->error()) {
            emit message(tr("Age flush failed: %1").arg(job->error().toString()));
            m_view->refresh();
            return;
        }
        QStringList keys;
        for (const ObjectInfo &o : job->result().plan.deleted())
            keys << o.key;
        m_view->model()->removeObjects(keys);
        emit message(tr("Age flush deleted %1 objects").arg(Format::count(job->result().deleted)));
    });
}

} // namespace s3cache
