#include "bucketview.h"

#include "bucketproxymodel.h"
#include "buckettreemodel.h"
#include "format.h"
#include "messagebanner.h"
#include "session.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include <functional>

namespace s3cache {

BucketView::BucketView(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session), m_model(new BucketTreeModel(this)), m_proxy(new BucketProxyModel(this)),
      m_filter(new QLineEdit(this)), m_ageDays(new QSpinBox(this)), m_refresh(new QToolButton(this)),
      m_banner(new MessageBanner(this)), m_tree(new QTreeView(this)), m_footer(new QLabel(this)),
      m_busy(new QProgressBar(this))
{
    m_proxy->setBucketModel(m_model);

    m_filter->setPlaceholderText(tr("Filter by key (Ctrl+F)"));
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
    header->setSectionResizeMode(BucketTreeModel::NameColumn, QHeaderView::Stretch);
    for (int c = BucketTreeModel::SizeColumn; c < BucketTreeModel::ColumnCount; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);

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
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_footer, 1);
    bottom->addWidget(m_busy);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_banner);
    layout->addWidget(m_tree, 1);
    layout->addLayout(bottom);
    setTabOrder(m_filter, m_ageDays);
    setTabOrder(m_ageDays, m_refresh);
    setTabOrder(m_refresh, m_tree);

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &BucketProxyModel::setFilterText);
    connect(m_ageDays, &QSpinBox::valueChanged, this, [this] { m_model->setAgeThreshold(ageThresholdSeconds()); });
    m_model->setAgeThreshold(ageThresholdSeconds());
    connect(m_refresh, &QToolButton::clicked, this, &BucketView::refresh);
    connect(m_model, &BucketTreeModel::totalsChanged, this, &BucketView::updateFooter);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &BucketView::onRowsInserted);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { emit currentChanged(current.data(BucketTreeModel::PathRole).toString()); });
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, &BucketView::selectionChanged);
    // A current item that is removed or filtered away: tell the details pane.
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { emit currentChanged(QString()); });
    updateFooter();
}

const BucketNode *BucketView::currentNode() const
{
    const QModelIndex current = m_tree->currentIndex();
    return current.isValid() ? m_model->node(m_proxy->mapToSource(current)) : nullptr;
}

QList<const BucketNode *> BucketView::selectedNodes() const
{
    QList<const BucketNode *> nodes;
    for (const QModelIndex &index : m_tree->selectionModel()->selectedRows())
        nodes.append(m_model->node(m_proxy->mapToSource(index)));
    return nodes;
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
    return true;
}

void BucketView::reset()
{
    if (m_listJob) {
        disconnect(m_listJob, nullptr, this, nullptr);
        m_listJob->cancel();
        m_listJob = nullptr;
    }
    m_busy->hide();
    m_banner->clear();
    m_model->clear();
}

void BucketView::refresh()
{
    // Remember what the user had open, to reopen it as the rows come back.
    m_restoreExpanded.clear();
    const std::function<void(const QModelIndex &)> collect = [&](const QModelIndex &parent) {
        for (int row = 0, rows = m_proxy->rowCount(parent); row < rows; ++row) {
            const QModelIndex index = m_proxy->index(row, 0, parent);
            if (m_tree->isExpanded(index)) {
                m_restoreExpanded.insert(index.data(BucketTreeModel::PathRole).toString());
                collect(index);
            }
        }
    };
    collect({});
    m_restoreCurrent = m_tree->currentIndex().data(BucketTreeModel::PathRole).toString();
    reset();
    PagedListJob *job = m_session->createList();
    if (!job)
        return;
    m_listJob = job;
    m_listingIncomplete = false;
    m_model->setNow(QDateTime::currentDateTimeUtc());
    connect(job, &PagedListJob::page, this, &BucketView::onPage);
    connect(job, &Job::finished, this, [this, job] { onListingFinished(job); });
    m_busy->show();
    m_session->start(job);
    updateFooter();
}

void BucketView::onPage(const QList<ObjectInfo> &objects)
{
    m_model->addObjects(objects);
}

void BucketView::onListingFinished(PagedListJob *job)
{
    if (job != m_listJob)
        return;
    m_listJob = nullptr;
    m_busy->hide();
    const Error error = job->error();
    if (error) {
        m_listingIncomplete = true;
        m_banner->showError(tr("Listing %1 failed; the tree shows what was listed before the error.").arg(m_session->describe()),
                            error);
    }
    m_restoreExpanded.clear();
    m_restoreCurrent.clear();
    updateFooter();
    emit listingFinished(error);
}

void BucketView::onRowsInserted(const QModelIndex &parent, int first, int last)
{
    if (m_restoreExpanded.isEmpty() && m_restoreCurrent.isEmpty())
        return;
    for (int row = first; row <= last; ++row) {
        const QModelIndex index = m_proxy->index(row, 0, parent);
        const QString path = index.data(BucketTreeModel::PathRole).toString();
        if (m_restoreExpanded.contains(path))
            m_tree->expand(index);
        if (path == m_restoreCurrent) {
            m_tree->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            m_restoreCurrent.clear();
        }
    }
}

void BucketView::updateFooter()
{
    const BucketNode *root = m_model->summary().root();
    QString text = tr("%1 objects, %2").arg(Format::count(root->objects), Format::bytes(root->bytes));
    if (m_listJob)
        text += tr(" \u2014 listing\u2026");
    else if (m_listingIncomplete)
        text += tr(" \u2014 listing incomplete");
    m_footer->setText(text);
}

} // namespace s3cache
