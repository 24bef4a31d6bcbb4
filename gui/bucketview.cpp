#include "bucketview.h"

#include "bucketproxymodel.h"
#include "buckettreemodel.h"
#include "cachetablemodel.h"
#include "format.h"
#include "messagebanner.h"
#include "session.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <functional>

namespace s3cache {

BucketView::BucketView(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session), m_model(new BucketTreeModel(this)), m_proxy(new BucketProxyModel(this)),
      m_filter(new QLineEdit(this)), m_ageDays(new QSpinBox(this)), m_refresh(new QToolButton(this)),
      m_cancel(new QToolButton(this)), m_listingTimer(new QTimer(this)), m_banner(new MessageBanner(this)), m_tree(new QTreeView(this)), m_footer(new QLabel(this)),
      m_busy(new QProgressBar(this))
{
    m_proxy->setBucketModel(m_model);
    m_cacheModel = new CacheTableModel(m_model, this);
    m_cacheProxy = new QSortFilterProxyModel(this);
    m_cacheProxy->setSourceModel(m_cacheModel);
    m_cacheProxy->setSortRole(BucketTreeModel::SortRole);
    m_cacheProxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_cacheProxy->setFilterKeyColumn(CacheTableModel::KeyColumn);
    m_cacheProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table = new QTableView(this);
    m_views = new QTabWidget(this);
    m_summary = new QLabel(this);

    m_filter->setPlaceholderText(tr("Filter by key (Ctrl+F, Esc clears)"));
    m_filter->installEventFilter(this);
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Filter by key"));
    m_ageDays->setRange(1, 3650);
    m_ageDays->setValue(int(defaultFlushAgeSeconds() / (24 * 3600)));
    m_ageDays->setSuffix(tr(" days"));
    m_ageDays->setAccessibleName(tr("Highlight objects older than"));
    m_ageDays->setToolTip(tr("Objects older than this are highlighted; Age flush starts with this age"));
    auto *ageLabel = new QLabel(tr("&Highlight older than"), this);
    ageLabel->setBuddy(m_ageDays);
    m_refresh->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_refresh->setToolTip(tr("List the bucket again (F5)"));
    m_refresh->setAccessibleName(tr("Refresh"));
    m_cancel->setIcon(style()->standardIcon(QStyle::SP_BrowserStop));
    m_cancel->setToolTip(tr("Stop listing; the tree keeps what it shows"));
    m_cancel->setAccessibleName(tr("Stop listing"));
    m_cancel->hide();
    m_listingTimer->setSingleShot(true);
    m_listingTimer->setInterval(30'000);
    connect(m_listingTimer, &QTimer::timeout, this, [this] {
        if (!m_listJob)
            return;
        m_listingTimedOut = true;
        m_listJob->cancel();
    });
    connect(m_cancel, &QToolButton::clicked, this, &BucketView::cancelListing);

    m_tree->setModel(m_proxy);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(BucketTreeModel::NameColumn, Qt::AscendingOrder);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setUniformRowHeights(true);  // keeps 100,000 rows cheap to lay out
    m_tree->setAlternatingRowColors(true);
    m_tree->setAllColumnsShowFocus(true);
    m_tree->setAccessibleName(tr("Bucket contents"));
    QHeaderView *header = m_tree->header();
    header->setStretchLastSection(false);
    // The name takes what the numbers leave, but never less than a whole file name
    // ("archive.tar.zst" four folders deep): a narrow window scrolls sideways instead of
    // eliding every name to "archive.\u2026" (fitNameColumn()).
    header->setSectionResizeMode(BucketTreeModel::NameColumn, QHeaderView::Interactive);
    for (int c = BucketTreeModel::SizeColumn; c < BucketTreeModel::ColumnCount; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_tree->setTextElideMode(Qt::ElideMiddle);
    m_tree->viewport()->installEventFilter(this);
    connect(header, &QHeaderView::sectionResized, this, [this](int logical) {
        if (logical != BucketTreeModel::NameColumn)
            scheduleFit();
    });

    m_table->setModel(m_cacheProxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(CacheTableModel::WrittenColumn, Qt::DescendingOrder);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    // Keys share their beginning (the prefix) and differ at the end (repository, file name):
    // "…acme/webapp/archive.tgz" tells two rows apart where "vela/acme/we…hive.tgz" does not.
    m_table->setTextElideMode(Qt::ElideLeft);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_table->setAccessibleName(tr("Caches"));
    QHeaderView *tableHeader = m_table->horizontalHeader();
    tableHeader->setStretchLastSection(false);
    tableHeader->setSectionResizeMode(CacheTableModel::KeyColumn, QHeaderView::Interactive);
    for (int c = CacheTableModel::BranchColumn; c < CacheTableModel::ColumnCount; ++c)
        tableHeader->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    tableHeader->setSectionResizeMode(CacheTableModel::RepositoryColumn, QHeaderView::Interactive);
    m_table->viewport()->installEventFilter(this);
    connect(tableHeader, &QHeaderView::sectionResized, this, [this](int logical) {
        if (logical != CacheTableModel::KeyColumn)
            scheduleFit();
    });
    connect(m_cacheProxy, &QAbstractItemModel::rowsInserted, this, &BucketView::scheduleFit);
    connect(m_cacheProxy, &QAbstractItemModel::modelReset, this, &BucketView::scheduleFit);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setAccessibleName(tr("Caches summary"));
    auto *cachesPage = new QWidget(this);
    auto *cachesLayout = new QVBoxLayout(cachesPage);
    cachesLayout->setContentsMargins(0, 2, 0, 0);
    cachesLayout->addWidget(m_summary);
    cachesLayout->addWidget(m_table, 1);
    m_views->addTab(cachesPage, tr("Cach&es"));
    m_views->addTab(m_tree, tr("&Tree"));
    m_views->setDocumentMode(true);
    // The views are reached by their mnemonics and View > Caches (Alt+4) / Bucket tree (Alt+1);
    // Tab goes from the filter row straight into the list.
    m_views->tabBar()->setFocusPolicy(Qt::NoFocus);
    m_views->setCurrentIndex(1);

    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('M')) * 8);
    m_busy->setAccessibleName(tr("Listing in progress"));
    m_busy->hide();
    m_footer->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(ageLabel);
    top->addWidget(m_ageDays);
    top->addWidget(m_refresh);
    top->addWidget(m_cancel);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_footer, 1);
    bottom->addWidget(m_busy);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_banner);
    layout->addWidget(m_views, 1);
    layout->addLayout(bottom);
    setTabOrder(m_filter, m_ageDays);
    setTabOrder(m_ageDays, m_refresh);
    setTabOrder(m_refresh, m_cancel);
    setTabOrder(m_cancel, m_views);
    setTabOrder(m_views, m_table);
    setTabOrder(m_table, m_tree);

    connect(m_filter, &QLineEdit::textChanged, this, &BucketView::onFilterChanged);
    connect(m_ageDays, &QSpinBox::valueChanged, this, [this] {
        m_model->setAgeThreshold(ageThresholdSeconds());
        updateFooter();
    });
    m_model->setAgeThreshold(ageThresholdSeconds());
    connect(m_refresh, &QToolButton::clicked, this, &BucketView::refresh);
    connect(m_model, &BucketTreeModel::totalsChanged, this, &BucketView::updateFooter);
    // A page that brings new matches while a filter is set: show them.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (!m_proxy->filterText().isEmpty() && !m_expandQueued) {
            m_expandQueued = true;
            QTimer::singleShot(0, this, [this] {
                m_expandQueued = false;
                if (!m_proxy->filterText().isEmpty())
                    m_tree->expandAll();
            });
        }
    });
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { emit currentChanged(current.data(BucketTreeModel::PathRole).toString()); });
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, &BucketView::selectionChanged);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        if (showsCaches())
            emit currentChanged(current.data(BucketTreeModel::PathRole).toString());
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (showsCaches())
            emit selectionChanged();
    });
    connect(m_views, &QTabWidget::currentChanged, this, [this] {
        emit currentChanged(activeView()->currentIndex().data(BucketTreeModel::PathRole).toString());
        emit selectionChanged();
        fitNameColumn();
    });
    // A current item that is removed or filtered away: tell the details pane.
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { emit currentChanged(QString()); });
    updateFooter();
}

bool BucketView::showsCaches() const
{
    return m_views->currentIndex() == 0;
}

void BucketView::showCaches(bool caches)
{
    m_views->setCurrentIndex(caches ? 0 : 1);
}

QAbstractItemView *BucketView::activeView() const
{
    return showsCaches() ? static_cast<QAbstractItemView *>(m_table) : m_tree;
}

const BucketNode *BucketView::currentNode() const
{
    if (showsCaches()) {
        const QModelIndex current = m_table->currentIndex();
        return current.isValid() ? m_cacheModel->node(m_cacheProxy->mapToSource(current)) : nullptr;
    }
    const QModelIndex current = m_tree->currentIndex();
    return current.isValid() ? m_model->node(m_proxy->mapToSource(current)) : nullptr;
}

QList<const BucketNode *> BucketView::selectedNodes() const
{
    QList<const BucketNode *> nodes;
    if (showsCaches()) {
        for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
            if (const BucketNode *n = m_cacheModel->node(m_cacheProxy->mapToSource(index)))
                nodes.append(n);
        return nodes;
    }
    for (const QModelIndex &index : m_tree->selectionModel()->selectedRows())
        nodes.append(m_model->node(m_proxy->mapToSource(index)));
    return nodes;
}

QString BucketView::cachesSummary() const
{
    qint64 caches = 0, bytes = 0, oldBytes = 0, shown = 0, shownBytes = 0;
    const qint64 threshold = ageThresholdSeconds();
    for (int row = 0, rows = m_cacheModel->rowCount(); row < rows; ++row) {
        const BucketNode *n = m_cacheModel->node(m_cacheModel->index(row, 0));
        ++caches;
        bytes += n->bytes;
        if (BucketSummary::ageSeconds(n->newest, m_model->now()) > threshold)
            oldBytes += n->bytes;
    }
    for (int row = 0, rows = m_cacheProxy->rowCount(); row < rows; ++row) {
        const BucketNode *n = m_cacheModel->node(m_cacheProxy->mapToSource(m_cacheProxy->index(row, 0)));
        ++shown;
        shownBytes += n->bytes;
    }
    const QString age = Format::age(threshold);
    if (!m_proxy->filterText().isEmpty())
        return tr("%1 of %n cache(s) match, %2 of %3; %4 older than %5", nullptr, int(caches))
            .arg(Format::count(shown), Format::bytes(shownBytes), Format::bytes(bytes), Format::bytes(oldBytes), age);
    return tr("%n cache(s), %1; %2 older than %3", nullptr, int(caches)).arg(Format::bytes(bytes), Format::bytes(oldBytes), age);
}

void BucketView::scheduleFit()
{
    if (m_fitQueued)
        return;
    m_fitQueued = true;
    QTimer::singleShot(0, this, [this] {
        m_fitQueued = false;
        fitNameColumn();
    });
}

void BucketView::fitNameColumn()
{
    // sizeHintForColumn() is public in QAbstractItemView only.
    const QAbstractItemView *tree = m_tree;
    const QAbstractItemView *table = m_table;
    // At least a file name four folders deep, more when the open rows need it (up to 60 % of
    // the width); never less than what the numbers leave.
    const int nameMin = m_tree->indentation() * 5 + m_tree->iconSize().width() + 16
                        + fontMetrics().horizontalAdvance(QStringLiteral("archive.tar.zst"));
    QHeaderView *header = m_tree->header();
    int others = 0;
    for (int c = BucketTreeModel::SizeColumn; c < BucketTreeModel::ColumnCount; ++c)
        others += header->isSectionHidden(c) ? 0 : header->sectionSize(c);
    const int treeWidth = m_tree->viewport()->width();
    const int nameWanted = std::max(nameMin, std::min(tree->sizeHintForColumn(BucketTreeModel::NameColumn), treeWidth * 3 / 5));
    header->resizeSection(BucketTreeModel::NameColumn, std::max(nameWanted, treeWidth - others));

    // The table: the repository in full (it is short, and the key says it again), the key at
    // least a short one's width; the other columns are as wide as their contents. What is left
    // goes to the key. Where even that does not fit (1024 px with the details beside), the key
    // is elided in the middle and the table scrolls sideways rather than making both the key
    // and the repository unreadable.
    QHeaderView *tableHeader = m_table->horizontalHeader();
    tableHeader->setSectionHidden(CacheTableModel::BranchColumn, !m_cacheModel->hasBranches());
    others = 0;
    for (int c = CacheTableModel::BranchColumn; c < CacheTableModel::ColumnCount; ++c)
        others += tableHeader->isSectionHidden(c) ? 0 : tableHeader->sectionSize(c);
    const int available = m_table->viewport()->width();
    const int keyMin = fontMetrics().horizontalAdvance(QStringLiteral("ci-cache/acme/archive.tar.zst"));
    const int repoMin = fontMetrics().averageCharWidth() * 14;
    const int repo = std::max(repoMin, table->sizeHintForColumn(CacheTableModel::RepositoryColumn));
    tableHeader->resizeSection(CacheTableModel::RepositoryColumn, repo);
    tableHeader->resizeSection(CacheTableModel::KeyColumn, std::max(keyMin, available - others - repo));
}

qint64 BucketView::ageThresholdSeconds() const
{
    return qint64(m_ageDays->value()) * 24 * 3600;
}

void BucketView::setAgeThresholdDays(int days)
{
    m_ageDays->setValue(days);
}

void BucketView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

bool BucketView::select(const QString &path)
{
    const BucketNode *node = m_model->summary().find(path);
    if (!node || !node->parent)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->indexOf(node));
    if (!index.isValid())
        return false;
    m_tree->scrollTo(index);
    m_tree->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    if (node->isObject) {
        const QModelIndex row = m_cacheProxy->mapFromSource(m_cacheModel->indexOf(node));
        if (row.isValid()) {
            m_table->scrollTo(row);
            m_table->selectionModel()->setCurrentIndex(row, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        }
    }
    return true;
}

void BucketView::reset()
{
    if (m_listJob) {
        disconnect(m_listJob, nullptr, this, nullptr);
        m_listJob->cancel();
        m_listJob = nullptr;
    }
    m_listingTimer->stop();
    m_busy->hide();
    m_cancel->hide();
    m_refresh->show();
    m_banner->clear();
    m_listingIncomplete = false;
    m_model->clear();
    updateFooter();
}

void BucketView::setListingTimeoutMs(int ms)
{
    m_listingTimer->setInterval(ms);
}

int BucketView::listingTimeoutMs() const
{
    return m_listingTimer->interval();
}

void BucketView::cancelListing()
{
    if (m_listJob)
        m_listJob->cancel();
}

void BucketView::refresh()
{
    if (m_listJob) {
        disconnect(m_listJob, nullptr, this, nullptr);
        m_listJob->cancel();
        m_listJob = nullptr;
    }
    PagedListJob *job = m_session->createList();
    if (!job)
        return;
    m_listJob = job;
    m_listingTimedOut = false;
    m_seen.clear();
    connect(job, &PagedListJob::page, this, &BucketView::onPage);
    connect(job, &Job::finished, this, [this, job] { onListingFinished(job); });
    m_busy->show();
    m_cancel->show();
    m_listingTimer->start();
    m_session->start(job);
    updateFooter();
}

void BucketView::onPage(const QList<ObjectInfo> &objects)
{
    if (!m_listJob)
        return;
    m_listingTimer->start();  // the server answers: wait for the next page afresh
    for (const ObjectInfo &o : objects)
        m_seen.insert(o.key);
    m_model->addObjects(objects);
}

void BucketView::onListingFinished(PagedListJob *job)
{
    if (job != m_listJob)
        return;
    m_listJob = nullptr;
    m_listingTimer->stop();
    m_busy->hide();
    m_cancel->hide();
    Error error = job->error();
    if (m_listingTimedOut && error.kind() == ErrorKind::Cancelled) {
        const int seconds = std::max(1, m_listingTimer->interval() / 1000);
        error = Error(ErrorKind::Transient, QStringLiteral("Timeout"),
                      tr("the server sent nothing for %n second(s)", nullptr, seconds));
    }
    const qint64 shown = m_model->summary().root()->objects;
    if (error.kind() == ErrorKind::Cancelled) {
        m_listingIncomplete = true;
        m_banner->showMessage(MessageBanner::Type::Information,
                              tr("Listing cancelled; the tree shows %n object(s) as listed before.", nullptr, int(shown)));
    } else if (error) {
        m_listingIncomplete = true;
        m_banner->showError(shown > 0 ? tr("Listing %1 failed; the tree shows the %n object(s) listed before the error.", nullptr,
                                           int(shown)).arg(m_session->describe())
                                      : tr("Listing %1 failed.").arg(m_session->describe()),
                            error);
    } else {
        m_listingIncomplete = false;
        m_banner->clear();
        // The listing saw every object: the ones it did not see are gone from the bucket.
        QStringList gone;
        const std::function<void(const BucketNode *)> collect = [&](const BucketNode *node) {
            for (const auto &child : node->children) {
                if (child->isObject) {
                    if (!m_seen.contains(child->path))
                        gone << child->path;
                } else {
                    collect(child.get());
                }
            }
        };
        collect(m_model->summary().root());
        if (!gone.isEmpty())
            m_model->removeObjects(gone);
        m_model->setNow(QDateTime::currentDateTimeUtc());
    }
    m_seen.clear();
    updateFooter();
    emit listingFinished(error);
}

void BucketView::onFilterChanged(const QString &text)
{
    // The table: a current row the filter hides is not current any more.
    const QString tableCurrent = m_table->currentIndex().data(BucketTreeModel::PathRole).toString();
    m_cacheProxy->setFilterFixedString(text);
    if (!tableCurrent.isEmpty()) {
        const BucketNode *n = m_model->summary().find(tableCurrent);
        const QModelIndex row = n ? m_cacheProxy->mapFromSource(m_cacheModel->indexOf(n)) : QModelIndex();
        if (!row.isValid() || row.data(BucketTreeModel::PathRole).toString() != tableCurrent) {
            m_table->selectionModel()->clear();
            if (showsCaches()) {
                emit currentChanged(QString());
                emit selectionChanged();
            }
        } else if (m_table->currentIndex().row() != row.row()) {
            m_table->selectionModel()->setCurrentIndex(row, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        }
    }
    const QString current = m_tree->currentIndex().data(BucketTreeModel::PathRole).toString();
    m_proxy->setFilterText(text);
    if (!text.isEmpty())
        m_tree->expandAll();  // show the matches, not folders to open one by one
    // A current or selected row the filter hid is no longer current: nothing acts on a
    // cache the user cannot see.
    const BucketNode *node = current.isEmpty() ? nullptr : m_model->summary().find(current);
    const QModelIndex index = node ? m_proxy->mapFromSource(m_model->indexOf(node)) : QModelIndex();
    if (!current.isEmpty() && !index.isValid()) {
        m_tree->selectionModel()->clear();
        if (!showsCaches()) {
            emit currentChanged(QString());
            emit selectionChanged();
        }
    } else if (index.isValid()) {
        m_tree->scrollTo(index);
        if (m_tree->currentIndex() != index)
            m_tree->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
    }
    updateFooter();
}

bool BucketView::eventFilter(QObject *watched, QEvent *event)
{
    if ((watched == m_tree->viewport() || watched == m_table->viewport()) && event->type() == QEvent::Resize)
        scheduleFit();
    if (watched == m_filter && (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)) {
        const auto *key = static_cast<QKeyEvent *>(event);
        // Esc clears the filter (and goes back to the tree once it is empty).
        if (key->key() == Qt::Key_Escape && key->modifiers() == Qt::NoModifier) {
            if (event->type() == QEvent::ShortcutOverride) {
                if (!m_filter->text().isEmpty())
                    event->accept();
                return false;
            }
            if (m_filter->text().isEmpty())
                activeView()->setFocus(Qt::ShortcutFocusReason);
            else
                m_filter->clear();
            return true;
        }
        // The window's Ctrl shortcuts (Ctrl+E edits the profile, Ctrl+N, Ctrl+O, Ctrl+R, Ctrl+I)
        // win over the line edit's Emacs-style bindings, which nobody expects in a filter field.
        if (event->type() == QEvent::ShortcutOverride && key->modifiers() == Qt::ControlModifier
            && (key->key() == Qt::Key_E || key->key() == Qt::Key_N || key->key() == Qt::Key_O || key->key() == Qt::Key_R
                || key->key() == Qt::Key_I || key->key() == Qt::Key_S)) {
            event->ignore();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void BucketView::updateFooter()
{
    const BucketNode *root = m_model->summary().root();
    QString text;
    if (!m_proxy->filterText().isEmpty()) {
        const BucketProxyModel::Totals match = m_proxy->matchingTotals();
        text = tr("%1 of %n object(s) match, %2 of %3", nullptr, int(root->objects))
                   .arg(Format::count(match.objects), Format::bytes(match.bytes), Format::bytes(root->bytes));
    } else {
        text = tr("%n object(s), %1", nullptr, int(root->objects)).arg(Format::bytes(root->bytes));
    }
    if (m_listJob)
        text += tr(" \u2014 listing\u2026");
    else if (m_listingIncomplete)
        text += tr(" \u2014 listing incomplete");
    m_footer->setText(text);
    m_summary->setText(cachesSummary());
}

} // namespace s3cache
