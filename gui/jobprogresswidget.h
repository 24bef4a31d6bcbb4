#pragma once
// JobProgressWidget: one long operation in the job panel: title, progress bar, bytes done,
// rate and time left (or objects done), a Cancel button, the warnings the job reported (they
// stay after it finished), and once finished its outcome (a summary, or the error with the
// server's code, message and hint) and a Dismiss button.

#include "cache/job.h"
#include "cache/transferestimator.h"

#include <QFrame>
#include <QPointer>

#include <functional>

class QHBoxLayout;
class QProgressBar;
class QPushButton;

namespace s3cache {

class WrapLabel;

class JobProgressWidget : public QFrame
{
    Q_OBJECT
public:
    // `summary` describes a successful outcome; it is called once, when the job finished.
    JobProgressWidget(Job *job, const QString &title, std::function<QString()> summary, QWidget *parent = nullptr);

    bool isFinished() const { return m_finished; }
    bool failed() const { return m_failed; }
    QString title() const;
    QString statusText() const;
    // The job's warnings shown so far, one per line.
    QString warningsText() const;
    QPushButton *button() const { return m_button; }
    // A button beside Dismiss for what to do with the outcome ("Open folder").
    QPushButton *addAction(const QString &text, const std::function<void()> &action);
    QList<QPushButton *> actionButtons() const { return m_actions; }

signals:
    void dismissed();

private:
    void onProgress(const JobProgress &progress);
    void onFinished();
    void onWarning(const QString &message);

    QPointer<Job> m_job;
    std::function<QString()> m_summary;
    WrapLabel *m_title;
    QProgressBar *m_bar;
    WrapLabel *m_status;
    WrapLabel *m_warnings;
    QStringList m_warningLines;
    QPushButton *m_button;
    QList<QPushButton *> m_actions;
    QHBoxLayout *m_buttons = nullptr;
    TransferEstimator m_estimator;
    bool m_finished = false;
    bool m_failed = false;
};

} // namespace s3cache
