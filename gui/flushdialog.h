#pragma once
// FlushDialog: flush with a preview. Pick a prefix, an age (counted from the write or from the
// last use) and optionally a size budget, see the dry run's decision table (every cache: size,
// written, last used, delete or keep and why: flushplan.h, as the CLI prints it), then run
// exactly that flush (same prefix, policy and reference time) with progress and a summary. Any
// edit after the preview requires a new preview.
// Shown non-modally; the flush itself is handed to the owner (flushStarted) so that it keeps
// running and is reported even when the dialog is closed.

#include "cache/flushjob.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QDoubleSpinBox;
class QSpinBox;
class QTreeWidget;

namespace s3cache {

class MessageBanner;
class Session;

class FlushDialog : public QDialog
{
    Q_OBJECT
public:
    FlushDialog(Session *session, const QString &prefix, int ageDays, QWidget *parent = nullptr);
    ~FlushDialog() override;

    // The options the fields describe (prefix normalised to end with '/'); `now` is unset.
    // The chunk area collected is the prefix's own, "<prefix>.chunks/" (see options()).
    FlushOptions options() const;
    // What a flush did (or would do) to the dedup chunk area, as a sentence starting with a
    // space; "" when the prefix has no chunk area. Also the job list's outcome line.
    static QString chunksText(const FlushResult &result, const FlushOptions &options);

    QLineEdit *prefixEdit() const { return m_prefix; }
    QSpinBox *ageSpin() const { return m_age; }
    QComboBox *unitCombo() const { return m_unit; }
    QComboBox *ageFromCombo() const { return m_ageFrom; }
    QCheckBox *budgetCheck() const { return m_budgetOn; }
    QDoubleSpinBox *budgetSpin() const { return m_budget; }  // GiB
    QPushButton *previewButton() const { return m_previewButton; }
    QPushButton *runButton() const { return m_runButton; }
    QTreeWidget *previewList() const { return m_list; }
    MessageBanner *banner() const { return m_banner; }
    QString resultText() const;

    static constexpr int kMaxListed = 5000;

signals:
    void previewFinished();
    void flushStarted(s3cache::FlushJob *job);
    void flushFinished();

private:
    void preview();
    void run();
    void invalidatePreview();
    void setBusy(bool busy);

    Session *m_session;
    QLineEdit *m_prefix;
    QLabel *m_scope;
    QSpinBox *m_age;
    QComboBox *m_unit;
    QComboBox *m_ageFrom;
    QCheckBox *m_budgetOn;
    QDoubleSpinBox *m_budget;
    MessageBanner *m_banner;
    QLabel *m_result;
    QTreeWidget *m_list;
    QPushButton *m_previewButton;
    QPushButton *m_runButton;
    QPointer<FlushJob> m_job;
    std::optional<FlushOptions> m_previewed;  // what the last preview ran with
};

} // namespace s3cache
