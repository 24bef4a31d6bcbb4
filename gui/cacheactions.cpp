#include "cacheactions.h"

#include "bucketview.h"
#include "buckettreemodel.h"
#include "connectionbar.h"
#include "jobprogresswidget.h"
#include "detailspane.h"
#include "flushdialog.h"
#include "format.h"
#include "jobpanel.h"
#include "session.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QHeaderView>
#include <QMenu>
#include <QTableView>
#include <QTreeView>
#include <QUrl>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
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
                         tr("Delete objects older than an age, with a preview"), QStyle::SP_DialogResetButton)),
      m_copyKey(new QAction(tr("Copy &key"), this)), m_copyUri(new QAction(tr("Copy &address (s3://\u2026)"), this)),
      m_copyCommand(new QAction(tr("Copy restore &command line"), this))
{
    m_copyKey->setShortcut(QKeySequence::Copy);
    m_copyKey->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_view->tree()->addAction(m_copyKey);  // Ctrl+C on the tree and the table; elsewhere it copies text as usual
    m_view->cacheTable()->addAction(m_copyKey);
    m_copyUri->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_copyCommand->setStatusTip(tr("Copy the s3cache command that restores this cache, to debug a build by hand"));
    const auto copy = [this](const std::function<QString(const QString &)> &what) {
        QStringList lines;
        for (const BucketNode *node : m_view->selectedNodes())
            lines << what(node->path);
        if (lines.isEmpty())
            if (const BucketNode *node = m_view->currentNode())
                lines << what(node->path);
        if (lines.isEmpty())
            return;
        QGuiApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
        emit message(tr("Copied %n line(s) to the clipboard", nullptr, int(lines.size())));
    };
    connect(m_copyKey, &QAction::triggered, this, [copy] { copy([](const QString &key) { return key; }); });
    connect(m_copyUri, &QAction::triggered, this, [this, copy] { copy([this](const QString &key) { return uriFor(key); }); });
    connect(m_copyCommand, &QAction::triggered, this,
            [this, copy] { copy([this](const QString &key) { return restoreCommandFor(key); }); });
    for (QAbstractItemView *itemView : {static_cast<QAbstractItemView *>(m_view->tree()),
                                        static_cast<QAbstractItemView *>(m_view->cacheTable())}) {
        // Enter and double-click inspect an object (a folder opens, as trees do).
        connect(itemView, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
            if (index.data(BucketTreeModel::IsObjectRole).toBool() && m_inspect->isEnabled()) {
                m_details->inspect();
                emit inspectRequested();
            }
        });
        itemView->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(itemView, &QWidget::customContextMenuRequested, this, [this, itemView](const QPoint &pos) {
        auto *menu = new QMenu(itemView);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->addActions({m_inspect, m_restore, m_download});
        menu->addSeparator();
        menu->addActions(copyActions());
        menu->addSeparator();
        menu->addActions({m_delete, m_flush, m_refresh});
        m_contextMenu = menu;
        menu->popup(itemView->viewport()->mapToGlobal(pos));
    });
    }
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

QMessageBox *CacheActions::nonEmptyQuestion() const
{
    return m_nonEmptyQuestion;
}

QMenu *CacheActions::contextMenu() const
{
    return m_contextMenu;
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
    const bool any = connected && (current || !m_view->selectedNodes().isEmpty());
    m_copyKey->setEnabled(any);
    m_copyUri->setEnabled(any);
    m_copyCommand->setEnabled(any);
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
    connect(dialog, &QFileDialog::fileSelected, this, [this, key](const QString &folder) { restoreAsking(key, folder); });
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

QString CacheActions::uriFor(const QString &key) const
{
    const ConnectionProfile &p = m_session->profile();
    if (p.isLocal())
        return m_session->describe().isEmpty() ? key : QStringLiteral("%1/%2").arg(p.server, p.bucket + QLatin1Char('/') + key);
    return QStringLiteral("s3://%1/%2").arg(p.bucket, key);
}

QString CacheActions::restoreCommandFor(const QString &key) const
{
    const ConnectionProfile &p = m_session->profile();
    const auto quoted = [](const QString &s) {
        static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:@%+=,-]+$"));
        if (plain.match(s).hasMatch())
            return s;
        QString q = s;
        q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
        return QStringLiteral("'%1'").arg(q);
    };
    QStringList args{QStringLiteral("s3cache"), QStringLiteral("restore")};
    if (!p.server.isEmpty())
        args << QStringLiteral("--server") << quoted(p.server);
    args << QStringLiteral("--bucket") << quoted(p.bucket);
    if (!p.region.isEmpty())
        args << QStringLiteral("--region") << quoted(p.region);
    args << QStringLiteral("--key") << quoted(key) << QStringLiteral("--workspace") << QStringLiteral(".");
    return args.join(QLatin1Char(' '));
}

void CacheActions::restoreAsking(const QString &key, const QString &folder)
{
    const QDir dir(folder);
    if (!dir.exists() || dir.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System)) {
        startRestore(key, folder);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Restore into a folder that is not empty"),
                                tr("%1 is not empty. Restoring %2 there replaces the files and folders that the cache holds "
                                   "(all or nothing); everything else in the folder stays as it is.")
                                    .arg(QDir::toNativeSeparators(folder), key),
                                QMessageBox::Cancel, m_window);
    QPushButton *go = box->addButton(tr("&Restore anyway"), QMessageBox::AcceptRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_nonEmptyQuestion = box;
    connect(box, &QMessageBox::buttonClicked, this, [this, go, key, folder](QAbstractButton *clicked) {
        if (clicked == go)
            startRestore(key, folder);
    });
    box->open();
}

RestoreJob *CacheActions::startRestore(const QString &key, const QString &folder)
{
    RestoreJob *job = m_session->createRestore(key, folder);
    if (!job)
        return nullptr;
    JobProgressWidget *row = m_panel->track(job, tr("Restore %1 into %2").arg(key, QDir::toNativeSeparators(folder)), [job, key, folder] {
        const RestoreResult &r = job->result();
        if (!r.hit)
            return tr("Nothing restored: %1 no longer exists (refresh the listing).").arg(key);
        return tr("Restored %n file(s) from %1 into %2 in %3.", nullptr, int(r.stats.files))
            .arg(Format::bytes(r.object.size), QDir::toNativeSeparators(folder),
                 Format::duration(job->elapsedMs() / 1000));
    });
    connect(job, &Job::finished, row, [row, job, folder] {
        if (!job->error() && job->result().hit)
            row->addAction(tr("&Open folder"), [folder] { QDesktopServices::openUrl(QUrl::fromLocalFile(folder)); });
    });
    connect(job, &Job::finished, this, [this, job, key] {
        if (job->error().kind() == ErrorKind::Cancelled)
            emit message(tr("Restore of %1 cancelled").arg(key));
        else if (job->error())
            emit message(tr("Restore of %1 failed: %2").arg(key, Format::errorText(job->error())));
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
        if (job->error().kind() == ErrorKind::Cancelled)
            emit message(tr("Download of %1 cancelled").arg(key));
        else
            emit message(job->error() ? tr("Download of %1 failed: %2").arg(key, Format::errorText(job->error())) : tr("Downloaded %1").arg(key));
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
        keys << tr("\u2026 and %n more", nullptr, int(objects.size() - keys.size()));
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Delete cache objects"),
                                tr("Delete %n object(s) (%1) from %2?\nThis cannot be undone; the next CI run rebuilds them.",
                                   nullptr, int(objects.size()))
                                    .arg(Format::bytes(bytes), m_session->describe()),
                                QMessageBox::Cancel, m_window);
    box->setDetailedText(keys.join(QLatin1Char('\n')));
    QPushButton *remove = box->addButton(tr("Delete %n object(s)", nullptr, int(objects.size())), QMessageBox::DestructiveRole);
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
    m_panel->track(job, tr("Delete %n object(s)", nullptr, int(objects.size())), [job] {
        return tr("Deleted %n object(s), freed %1.", nullptr, int(job->result().deleted.size())).arg(Format::bytes(job->result().bytesFreed));
    });
    connect(job, &Job::finished, this, [this, job] {
        m_view->model()->removeObjects(job->result().deleted);
        if (job->error()) {
            // A batch may have been half done: the bucket, not our bookkeeping, is the truth.
            emit message(job->error().kind() == ErrorKind::Cancelled ? tr("Delete cancelled")
                                                                       : tr("Delete failed: %1").arg(Format::errorText(job->error())));
            m_view->refresh();
            return;
        }
        emit message(tr("Deleted %n object(s)", nullptr, int(job->result().deleted.size())));
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
        return tr("Deleted %1 of %n object(s), freed %2.", nullptr, int(job->result().scanned))
                   .arg(Format::count(job->result().deleted), Format::bytes(job->result().bytesFreed))
            + FlushDialog::chunksText(job->result(), job->options());
    });
    connect(job, &Job::finished, this, [this, job] {
        if (job->error()) {
            emit message(job->error().kind() == ErrorKind::Cancelled ? tr("Age flush cancelled")
                                                                       : tr("Age flush failed: %1").arg(Format::errorText(job->error())));
            m_view->refresh();
            return;
        }
        QStringList keys;
        for (const ObjectInfo &o : job->result().plan.deleted())
            keys << o.key;
        m_view->model()->removeObjects(keys);
        emit message(tr("Age flush deleted %n object(s)", nullptr, int(job->result().deleted)));
    });
}

} // namespace s3cache
