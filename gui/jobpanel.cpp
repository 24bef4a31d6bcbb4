#include "jobpanel.h"

#include "jobprogresswidget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <algorithm>

namespace s3cache {

JobPanel::JobPanel(QWidget *parent) : QWidget(parent), m_rows(new QVBoxLayout), m_scroll(nullptr)
{
    auto *content = new QWidget;
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->addLayout(m_rows);
    contentLayout->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumHeight(fontMetrics().height() * 5);  // room for one job at least
    m_scroll = scroll;
    auto *clear = new QPushButton(tr("Dismiss &finished"), this);
    auto *empty = new QLabel(tr("Restores, downloads, deletes and flushes show here."), this);
    empty->setEnabled(false);
    auto *header = new QHBoxLayout;
    header->addWidget(empty, 1);
    header->addWidget(clear);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(header);
    layout->addWidget(scroll, 1);
    connect(clear, &QPushButton::clicked, this, &JobPanel::dismissFinished);
}

JobProgressWidget *JobPanel::track(Job *job, const QString &title, std::function<QString()> summary)
{
    auto *row = new JobProgressWidget(job, title, std::move(summary), this);
    m_rows->insertWidget(0, row);  // newest first
    // Never shorter than one whole job, outcome line included (a failure's message is the
    // longest): the panel must not need scrolling to show the only job.
    const int oneJob = row->sizeHint().height() + fontMetrics().height() * 3;
    m_scroll->setMinimumHeight(std::max(m_scroll->minimumHeight(), std::min(oneJob, fontMetrics().height() * 14)));
    connect(row, &JobProgressWidget::dismissed, this, [this, row] {
        m_rows->removeWidget(row);
        row->deleteLater();
        if (m_rows->count() == 0)
            emit emptied();
    });
    emit jobTracked();
    return row;
}

QList<JobProgressWidget *> JobPanel::rows() const
{
    QList<JobProgressWidget *> rows;
    for (int i = 0; i < m_rows->count(); ++i) {
        if (auto *row = qobject_cast<JobProgressWidget *>(m_rows->itemAt(i)->widget()))
            rows << row;
    }
    return rows;
}

int JobPanel::runningCount() const
{
    int running = 0;
    for (const JobProgressWidget *row : rows())
        running += row->isFinished() ? 0 : 1;
    return running;
}

void JobPanel::dismissFinished()
{
    for (JobProgressWidget *row : rows()) {
        if (row->isFinished()) {
            m_rows->removeWidget(row);
            row->deleteLater();
        }
    }
    if (m_rows->count() == 0)
        emit emptied();
}

} // namespace s3cache
