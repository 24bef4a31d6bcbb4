#pragma once
// JobPanel: the long operations of the session (restore, download, delete, age-flush) with
// their progress, Cancel, and outcome; finished ones stay until dismissed.

#include <QWidget>

#include <functional>

class QVBoxLayout;

namespace s3cache {

class Job;
class JobProgressWidget;

class JobPanel : public QWidget
{
    Q_OBJECT
public:
    explicit JobPanel(QWidget *parent = nullptr);

    // Shows the job (connect before the job starts); `summary` is called when it succeeded.
    JobProgressWidget *track(Job *job, const QString &title, std::function<QString()> summary = {});
    QList<JobProgressWidget *> rows() const;
    // Jobs shown that have not finished yet.
    int runningCount() const;
    void dismissFinished();

signals:
    void jobTracked();
    // The last row went (dismissed): nothing to show.
    void emptied();

private:
    QVBoxLayout *m_rows;
    QWidget *m_scroll;
};

} // namespace s3cache
