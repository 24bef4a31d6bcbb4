#pragma once
// SpaceChart: where the space goes, as a bar chart of the largest repositories or of object
// ages. The numbers come from BucketSummary; the chart is redrawn at most a few times a second
// while a listing streams in.

#include "cache/bucketsummary.h"

#include <QTimer>
#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QLabel;

namespace s3cache {

class BucketTreeModel;

class SpaceChart : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Repositories, Ages };

    explicit SpaceChart(BucketTreeModel *model, QWidget *parent = nullptr);

    void setMode(Mode mode);
    Mode mode() const;
    // The numbers currently drawn.
    const QList<SpaceShare> &shares() const { return m_shares; }
    const QList<AgeBucket> &ages() const { return m_ages; }

    static constexpr int kTopRepositories = 12;

signals:
    void updated();

private:
    void scheduleUpdate();
    void rebuild();

    BucketTreeModel *m_model;
    QComboBox *m_mode;
    QLabel *m_summary;
    QChartView *m_view;
    QTimer m_timer;
    QList<SpaceShare> m_shares;
    QList<AgeBucket> m_ages;
};

} // namespace s3cache
