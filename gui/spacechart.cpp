#include "spacechart.h"

#include "buckettreemodel.h"
#include "format.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace s3cache {

namespace {

// The binary unit that keeps the largest value readable, and its divisor.
std::pair<QString, double> unitFor(qint64 maxBytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double divisor = 1;
    int unit = 0;
    while (maxBytes / divisor >= 1024 && unit < 4) {
        divisor *= 1024;
        ++unit;
    }
    return {QLatin1String(units[unit]), divisor};
}

QString elideMiddle(const QString &text, int maxChars)
{
    if (text.size() <= maxChars)
        return text;
    const int keep = (maxChars - 1) / 2;
    return text.left(keep) + QStringLiteral("\u2026") + text.right(maxChars - 1 - keep);
}

} // namespace

SpaceChart::SpaceChart(BucketTreeModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_mode(new QComboBox(this)), m_summary(new QLabel(this)),
      m_view(new QChartView(this))
{
    m_mode->addItem(tr("Space by repository"));
    m_mode->addItem(tr("Space by age"));
    m_mode->setAccessibleName(tr("Chart"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(fontMetrics().height() * 12);

    auto *top = new QHBoxLayout;
    top->addWidget(m_mode);
    top->addWidget(m_summary, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);

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
    m_shares = BucketSummary::spaceByRepository(root, kTopRepositories);
    m_ages = BucketSummary::ageHistogram(root, m_model->now());
    m_summary->setText(tr("%1 in %2 objects").arg(Format::bytes(root->bytes), Format::count(root->objects)));

    auto *chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->hide();
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto *set = new QBarSet(tr("Size"));
    QStringList categories;
    qint64 maxBytes = 0;
    QAbstractBarSeries *series = nullptr;
    if (mode() == Mode::Repositories) {
        // Largest at the top: horizontal bars are drawn bottom-up.
        for (auto it = m_shares.crbegin(); it != m_shares.crend(); ++it)
            maxBytes = std::max(maxBytes, it->bytes);
        const auto [unit, divisor] = unitFor(maxBytes);
        for (auto it = m_shares.crbegin(); it != m_shares.crend(); ++it) {
            set->append(double(it->bytes) / divisor);
            categories << elideMiddle(it->label, 48);
        }
        series = new QHorizontalBarSeries;
        chart->setTitle(tr("Largest repositories (%1)").arg(unit));
    } else {
        for (const AgeBucket &b : std::as_const(m_ages))
            maxBytes = std::max(maxBytes, b.bytes);
        const auto [unit, divisor] = unitFor(maxBytes);
        for (const AgeBucket &b : std::as_const(m_ages)) {
            set->append(double(b.bytes) / divisor);
            categories << QStringLiteral("%1\n%2 obj.").arg(b.label, Format::count(b.objects));
        }
        series = new QBarSeries;
        chart->setTitle(tr("Space by age of the objects (%1)").arg(unit));
    }
    set->setColor(palette().color(QPalette::Highlight));
    series->append(set);
    series->setLabelsVisible(true);
    series->setLabelsFormat(QStringLiteral("@value"));
    series->setLabelsPrecision(3);
    chart->addSeries(series);
    auto *categoryAxis = new QBarCategoryAxis;
    categoryAxis->append(categories);
    auto *valueAxis = new QValueAxis;
    valueAxis->setLabelFormat(QStringLiteral("%.3g"));
    const bool horizontal = mode() == Mode::Repositories;
    chart->addAxis(categoryAxis, horizontal ? Qt::AlignLeft : Qt::AlignBottom);
    chart->addAxis(valueAxis, horizontal ? Qt::AlignBottom : Qt::AlignLeft);
    series->attachAxis(categoryAxis);
    series->attachAxis(valueAxis);
    double top = 0;
    for (int i = 0; i < set->count(); ++i)
        top = std::max(top, set->at(i));
    valueAxis->setRange(0, top > 0 ? top * 1.1 : 1);
    valueAxis->applyNiceNumbers();

    QChart *old = m_view->chart();
    m_view->setChart(chart);
    delete old;
    emit updated();
}

} // namespace s3cache
