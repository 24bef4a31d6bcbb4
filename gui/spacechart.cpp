#include "spacechart.h"

#include "buckettreemodel.h"
#include "format.h"

#include "cache/cachekey.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace s3cache {

namespace {

enum Column { LabelColumn, SizeColumn, ObjectsColumn, BarColumn };
constexpr int kShareRole = Qt::UserRole + 1;  // the row's share of the largest row, 0..1

// The bar of a row: its length is the row's bytes against the largest row's, never shorter
// than a few pixels, so that a small repository is still seen to be there.
class BarDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::paint(painter, option, index);
        const double share = index.data(kShareRole).toDouble();
        const QRect area = option.rect.adjusted(2, 3, -2, -3);
        const int width = share > 0 ? std::max(3, int(area.width() * share)) : 0;
        painter->fillRect(QRect(area.left(), area.top(), width, area.height()), option.palette.color(QPalette::Highlight));
    }
};

} // namespace

SpaceChart::SpaceChart(BucketTreeModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_mode(new QComboBox(this)), m_summary(new QLabel(this)),
      m_table(new QTreeWidget(this))
{
    m_mode->addItem(tr("Space by repository"));
    m_mode->addItem(tr("Space by age"));
    m_mode->setAccessibleName(tr("Chart"));
    auto *modeLabel = new QLabel(tr("S&how:"), this);
    modeLabel->setBuddy(m_mode);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_table->setColumnCount(4);
    m_table->setRootIsDecorated(false);
    m_table->setUniformRowHeights(true);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setFocusPolicy(Qt::TabFocus);
    m_table->setItemDelegateForColumn(BarColumn, new BarDelegate(m_table));
    m_table->setAccessibleName(tr("Space table"));
    m_table->setTextElideMode(Qt::ElideMiddle);
    QHeaderView *header = m_table->header();
    header->setStretchLastSection(true);
    header->setSectionResizeMode(LabelColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(SizeColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ObjectsColumn, QHeaderView::ResizeToContents);
    header->setMinimumSectionSize(fontMetrics().averageCharWidth() * 6);

    auto *top = new QHBoxLayout;
    top->addWidget(modeLabel);
    top->addWidget(m_mode);
    top->addWidget(m_summary, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);

    // Coalesce the updates of a streaming listing: one redraw per interval at most.
    m_timer.setSingleShot(true);
    m_timer.setInterval(300);
    connect(&m_timer, &QTimer::timeout, this, &SpaceChart::rebuild);
    connect(m_model, &BucketTreeModel::totalsChanged, this, &SpaceChart::scheduleUpdate);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &SpaceChart::rebuild);
    rebuild();
}

void SpaceChart::setMode(Mode mode)
{
    m_mode->setCurrentIndex(mode == Mode::Repositories ? 0 : 1);
}

SpaceChart::Mode SpaceChart::mode() const
{
    return m_mode->currentIndex() == 0 ? Mode::Repositories : Mode::Ages;
}

void SpaceChart::scheduleUpdate()
{
    if (!m_timer.isActive())
        m_timer.start();
}

void SpaceChart::rebuild()
{
    m_timer.stop();
    const BucketNode *root = m_model->summary().root();
    m_shares = spaceByKeyRepository(root, kTopRepositories);
    m_ages = BucketSummary::ageHistogram(root, m_model->now());
    m_summary->setText(tr("%1 in %n object(s)", nullptr, int(root->objects)).arg(Format::bytes(root->bytes)));

    struct Row
    {
        QString label;
        qint64 bytes;
        qint64 objects;
    };
    QList<Row> rows;
    if (mode() == Mode::Repositories) {
        m_table->setHeaderLabels({tr("Repository"), tr("Size"), tr("Objects"), tr("Share")});
        for (const SpaceShare &s : std::as_const(m_shares))
            rows.append({s.label, s.bytes, s.objects});  // translated by the core
    } else {
        m_table->setHeaderLabels({tr("Age"), tr("Size"), tr("Objects"), tr("Share")});
        for (const AgeBucket &b : std::as_const(m_ages))
            rows.append({b.label, b.bytes, b.objects});
    }
    qint64 maxBytes = 0;
    for (const Row &r : std::as_const(rows))
        maxBytes = std::max(maxBytes, r.bytes);
    m_table->clear();
    QList<QTreeWidgetItem *> items;
    for (const Row &r : std::as_const(rows)) {
        auto *item = new QTreeWidgetItem({r.label, Format::bytes(r.bytes), Format::count(r.objects), QString()});
        item->setToolTip(LabelColumn, r.label);
        item->setTextAlignment(SizeColumn, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(ObjectsColumn, Qt::AlignRight | Qt::AlignVCenter);
        const double share = maxBytes > 0 ? double(r.bytes) / double(maxBytes) : 0;
        item->setData(BarColumn, kShareRole, share);
        const double ofAll = root->bytes > 0 ? 100.0 * double(r.bytes) / double(root->bytes) : 0;
        item->setData(BarColumn, Qt::AccessibleTextRole, tr("%1 % of the bucket").arg(ofAll, 0, 'f', 1));
        item->setToolTip(BarColumn, tr("%1 % of the bucket").arg(ofAll, 0, 'f', 1));
        items << item;
    }
    m_table->addTopLevelItems(items);
    emit updated();
}

} // namespace s3cache
