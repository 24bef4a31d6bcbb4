#pragma once
// SpaceChart: where the space goes, by repository (org/repo from the key, its branch folders
// counted with it: cachekey.h) or by object age. A table with a bar in each row: every label
// is readable at any window size, every row has a visible bar (at least a few pixels, the
// exact size beside it) and the table is its own text alternative for screen readers. The
// numbers come from BucketSummary; it is redrawn at most a few times a second while a listing
// streams in.

#include "cache/bucketsummary.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QTreeWidget;

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
    QTreeWidget *table() const { return m_table; }

    static constexpr int kTopRepositories = 12;
    // Redraws now (the view redraws by itself, a moment after the listing changed).
    void refresh() { rebuild(); }

signals:
    void updated();

private:
    void scheduleUpdate();
    void rebuild();

    BucketTreeModel *m_model;
    QComboBox *m_mode;
    QLabel *m_summary;
    QTreeWidget *m_table;
    QTimer m_timer;
    QList<SpaceShare> m_shares;
    QList<AgeBucket> m_ages;
};

} // namespace s3cache
