#include "jobprogresswidget.h"

#include "format.h"
#include "wraplabel.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QProgressBar>
#include <QPushButton>
#include <QTextDocumentFragment>

namespace s3cache {

JobProgressWidget::JobProgressWidget(Job *job, const QString &title, std::function<QString()> summary, QWidget *parent)
    : QFrame(parent), m_job(job), m_summary(std::move(summary)), m_title(new WrapLabel(this)),
      m_bar(new QProgressBar(this)), m_status(new WrapLabel(this)), m_warnings(new WrapLabel(this)),
      m_button(new QPushButton(tr("Cancel"), this))
{
    setFrameShape(QFrame::StyledPanel);
    m_title->setText(title);
    m_title->setTextFormat(Qt::PlainText);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_status->setText(tr("Starting\u2026"));
    m_warnings->setTextFormat(Qt::PlainText);
    m_warnings->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_warnings->setStyleSheet(QStringLiteral("color:#b9770e"));
    m_warnings->hide();
    m_bar->setRange(0, 0);
    m_bar->setAccessibleName(title);
    m_button->setAccessibleName(tr("Cancel %1").arg(title));

    // Compact: the title, the bar and the button on one line, the progress or outcome below.
    m_bar->setFixedWidth(fontMetrics().averageCharWidth() * 24);
    m_bar->setMaximumHeight(fontMetrics().height());
    m_bar->setTextVisible(false);
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(6, 3, 6, 3);
    layout->setVerticalSpacing(1);
    m_buttons = new QHBoxLayout;
    m_buttons->setContentsMargins(0, 0, 0, 0);
    m_buttons->addWidget(m_button);
    layout->addWidget(m_title, 0, 0);
    layout->addWidget(m_bar, 0, 1, Qt::AlignVCenter);
    layout->addLayout(m_buttons, 0, 2, Qt::AlignVCenter);
    layout->addWidget(m_status, 1, 0, 1, 3);
    layout->addWidget(m_warnings, 2, 0, 1, 3);
    layout->setColumnStretch(0, 1);

    connect(job, &Job::progress, this, &JobProgressWidget::onProgress);
    connect(job, &Job::finished, this, &JobProgressWidget::onFinished);
    connect(job, &Job::warning, this, &JobProgressWidget::onWarning);
    connect(m_button, &QPushButton::clicked, this, [this] {
        if (m_finished) {
            emit dismissed();
        } else if (m_job) {
            m_job->cancel();
            m_button->setEnabled(false);
            m_status->setText(tr("Cancelling\u2026"));
        }
    });
}

QPushButton *JobProgressWidget::addAction(const QString &text, const std::function<void()> &action)
{
    auto *button = new QPushButton(text, this);
    button->setAccessibleName(QStringLiteral("%1: %2").arg(m_title->text(), QString(text).remove(QLatin1Char('&'))));
    connect(button, &QPushButton::clicked, this, action);
    m_buttons->insertWidget(m_buttons->count() - 1, button);
    m_actions << button;
    return button;
}

QString JobProgressWidget::title() const
{
    return m_title->text();
}

QString JobProgressWidget::statusText() const
{
    return QTextDocumentFragment::fromHtml(m_status->text()).toPlainText();
}

QString JobProgressWidget::warningsText() const
{
    return m_warningLines.join(QLatin1Char('\n'));
}

void JobProgressWidget::onWarning(const QString &message)
{
    m_warningLines << tr("Warning: %1").arg(message);
    m_warnings->setText(warningsText());
    m_warnings->show();
}

void JobProgressWidget::onProgress(const JobProgress &p)
{
    if (m_finished || (m_job && m_job->cancellation()->isCancelled()))
        return;
    m_estimator.addSample(p.elapsedMs, p.bytesDone);
    QStringList parts;
    if (p.bytesTotal > 0) {
        m_bar->setRange(0, 1000);
        m_bar->setValue(int(std::min<qint64>(1000, p.bytesDone * 1000 / p.bytesTotal)));
        parts << tr("%1 of %2").arg(Format::bytes(p.bytesDone), Format::bytes(p.bytesTotal));
    } else if (p.itemsTotal > 0) {
        m_bar->setRange(0, int(std::min<qint64>(p.itemsTotal, INT_MAX)));
        m_bar->setValue(int(std::min<qint64>(p.itemsDone, INT_MAX)));
    } else if (p.bytesDone > 0) {
        parts << Format::bytes(p.bytesDone);
    }
    if (p.itemsTotal > 0)
        parts << tr("%1 of %n object(s)", nullptr, int(p.itemsTotal)).arg(Format::count(p.itemsDone));
    else if (p.itemsDone > 0)
        parts << tr("%n item(s)", nullptr, int(p.itemsDone));
    if (const double rate = m_estimator.bytesPerSecond(); rate > 0) {
        parts << Format::rate(rate);
        if (const qint64 left = m_estimator.secondsLeft(p.bytesTotal); left >= 0)
            parts << tr("%1 left").arg(Format::duration(left));
    }
    parts << tr("%1 elapsed").arg(Format::duration(p.elapsedMs / 1000));
    m_status->setText(parts.join(QStringLiteral(" \u00b7 ")));
}

void JobProgressWidget::onFinished()
{
    m_finished = true;
    const Error error = m_job ? m_job->error() : Error();
    m_button->setText(tr("Dismiss"));
    m_button->setEnabled(true);
    m_button->setAccessibleName(tr("Dismiss %1").arg(m_title->text()));
    m_bar->setRange(0, 1);
    m_bar->hide();  // the outcome line says it
    if (error.kind() == ErrorKind::Cancelled) {
        m_bar->setValue(0);
        m_status->setText(tr("Cancelled; nothing was changed by the unfinished part."));
    } else if (error) {
        m_failed = true;
        m_bar->setValue(0);
        m_status->setText(QStringLiteral("<span style=\"color:#c0392b\">%1</span>").arg(Format::errorHtml(error)));
    } else {
        m_bar->setValue(1);
        m_status->setText((m_summary ? m_summary() : tr("Done")).toHtmlEscaped());
    }
    m_job = nullptr;
}

} // namespace s3cache
