#include "flushdialog.h"

#include "format.h"
#include "messagebanner.h"
#include "session.h"

#include "cache/dedupformat.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace s3cache {

namespace {

constexpr qint64 kUnitSeconds[] = {3600, 24 * 3600, 7 * 24 * 3600};

// What the flush does with the multipart uploads killed rebuilds left behind ("" when none).
QString uploadsText(const FlushResult &r, bool preview)
{
    QString text;
    if (!r.staleUploads.isEmpty())
        text += preview ? FlushDialog::tr(" %n unfinished upload(s) would be aborted.", nullptr, int(r.staleUploads.size()))
                        : FlushDialog::tr(" Aborted %1 of %n unfinished upload(s).", nullptr, int(r.staleUploads.size()))
                              .arg(Format::count(r.abortedUploads));
    if (r.uploadsError)
        text += FlushDialog::tr(" Unfinished uploads were left as they are (%1).").arg(r.uploadsError.code());
    return text;
}

} // namespace

QString FlushDialog::chunksText(const FlushResult &r, const FlushOptions &options)
{
    // One %n per sentence: the English plural forms are filled in from "(s)" (i18n/).
    QString text;
    const ChunkGcResult &c = r.chunks;
    if (c.ran) {
        text += tr(" Chunk area %1: %2 in packs, used by %n dedup cache(s).", nullptr, c.manifests)
                    .arg(options.chunkArea, Format::bytes(c.packBytes));
        if (c.swept > 0 || !options.dryRun)
            text += options.dryRun ? tr(" %n unused pack(s) (%1) would be deleted.", nullptr, c.swept).arg(Format::bytes(c.sweptBytes))
                                   : tr(" %n unused pack(s) (%1) deleted.", nullptr, c.swept).arg(Format::bytes(c.sweptBytes));
        if (c.condemned > 0)
            text += options.dryRun
                ? tr(" %n unused pack(s) (%1) would be condemned: a flush after the grace period deletes them.", nullptr, c.condemned)
                      .arg(Format::bytes(c.condemnedBytes))
                : tr(" %n unused pack(s) (%1) condemned: a flush after the grace period deletes them.", nullptr, c.condemned)
                      .arg(Format::bytes(c.condemnedBytes));
        if (c.damaged > 0)
            text += tr(" %n pack(s) marked damaged by a restore that found a bad chunk: rebuilds store their chunks again.",
                       nullptr, c.damaged);
    }
    if (r.chunksError)
        text += tr(" Unused chunks were left as they are, the next flush tries again (%1).").arg(r.chunksError.code());
    return text;
}

FlushDialog::FlushDialog(Session *session, const QString &prefix, int ageDays, QWidget *parent)
    : QDialog(parent), m_session(session), m_prefix(new QLineEdit(prefix, this)), m_scope(new QLabel(this)),
      m_age(new QSpinBox(this)), m_unit(new QComboBox(this)), m_ageFrom(new QComboBox(this)),
      m_budgetOn(new QCheckBox(tr("Keep at most"), this)), m_budget(new QDoubleSpinBox(this)), m_banner(new MessageBanner(this)), m_result(new QLabel(this)),
      m_list(new QTreeWidget(this)), m_previewButton(new QPushButton(tr("&Preview"), this)),
      m_runButton(new QPushButton(tr("&Delete"), this))
{
    setWindowTitle(tr("Age flush \u2014 %1").arg(session->describe()));
    m_prefix->setPlaceholderText(tr("empty: the whole bucket"));
    m_prefix->setClearButtonEnabled(true);
    m_scope->setWordWrap(true);
    m_age->setRange(1, 100'000);
    m_age->setValue(ageDays);
    m_unit->addItems({tr("hours"), tr("days"), tr("weeks")});
    m_unit->setCurrentIndex(1);
    m_unit->setAccessibleName(tr("Age unit"));
    m_ageFrom->addItems({tr("since written"), tr("since last used")});
    m_ageFrom->setAccessibleName(tr("Age counts from"));
    m_ageFrom->setToolTip(tr("Since last used: a cache restored recently stays however long ago it was written; one "
                             "never restored counts from its write."));
    m_budget->setDecimals(3);
    m_budget->setRange(0.001, 1'000'000);
    m_budget->setValue(10);
    m_budget->setSuffix(tr(" GiB"));
    m_budget->setEnabled(false);
    m_budget->setAccessibleName(tr("Size budget"));
    m_budgetOn->setToolTip(tr("After the age, delete the least recently used caches until the prefix holds at most "
                              "this."));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_list->setHeaderLabels({tr("Key"), tr("Size"), tr("Written"), tr("Last used"), tr("Decision")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->header()->setStretchLastSection(false);
    m_list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int column = 1; column < m_list->columnCount(); ++column)
        m_list->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_list->setTextElideMode(Qt::ElideMiddle);  // keys differ at their ends: org/repo/.../archive
    m_list->setAccessibleName(tr("What the flush would delete and keep"));
    m_list->setSortingEnabled(true);
    m_runButton->setEnabled(false);
    m_previewButton->setDefault(true);

    auto *ageRow = new QHBoxLayout;
    ageRow->addWidget(m_age);
    ageRow->addWidget(m_unit);
    ageRow->addWidget(m_ageFrom);
    ageRow->addStretch(1);
    auto *budgetRow = new QHBoxLayout;
    budgetRow->addWidget(m_budgetOn);
    budgetRow->addWidget(m_budget);
    budgetRow->addStretch(1);
    auto *ageLabel = new QLabel(tr("Older &than:"), this);
    ageLabel->setBuddy(m_age);
    auto *form = new QFormLayout;
    form->addRow(tr("P&refix:"), m_prefix);
    form->addRow(QString(), m_scope);
    form->addRow(ageLabel, ageRow);
    form->addRow(tr("Budget:"), budgetRow);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_previewButton, QDialogButtonBox::ActionRole);
    buttons->addButton(m_runButton, QDialogButtonBox::DestructiveRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_banner);
    layout->addWidget(m_result);
    layout->addWidget(m_list, 1);
    layout->addWidget(buttons);
    resize(fontMetrics().averageCharWidth() * 150, fontMetrics().height() * 30);

    connect(m_prefix, &QLineEdit::textChanged, this, &FlushDialog::invalidatePreview);
    connect(m_age, &QSpinBox::valueChanged, this, &FlushDialog::invalidatePreview);
    connect(m_unit, &QComboBox::currentIndexChanged, this, &FlushDialog::invalidatePreview);
    connect(m_ageFrom, &QComboBox::currentIndexChanged, this, &FlushDialog::invalidatePreview);
    connect(m_budgetOn, &QCheckBox::toggled, m_budget, &QWidget::setEnabled);
    connect(m_budgetOn, &QCheckBox::toggled, this, &FlushDialog::invalidatePreview);
    connect(m_budget, &QDoubleSpinBox::valueChanged, this, &FlushDialog::invalidatePreview);
    connect(m_previewButton, &QPushButton::clicked, this, &FlushDialog::preview);
    connect(m_runButton, &QPushButton::clicked, this, &FlushDialog::run);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    invalidatePreview();
}

FlushDialog::~FlushDialog()
{
    // A preview is of no use to anyone once the dialog is gone; a running flush is owned by
    // whoever received flushStarted().
    if (m_job && m_job->property("preview").toBool())
        m_job->cancel();
}

FlushOptions FlushDialog::options() const
{
    FlushOptions o;
    o.prefix = m_prefix->text().trimmed();
    if (!o.prefix.isEmpty() && !o.prefix.endsWith(QLatin1Char('/')))
        o.prefix += QLatin1Char('/');
    o.maxAgeSeconds = qint64(m_age->value()) * kUnitSeconds[m_unit->currentIndex()];
    o.ageFrom = m_ageFrom->currentIndex() == 1 ? AgeFrom::Used : AgeFrom::Written;
    if (m_budgetOn->isChecked())
        o.maxBytes = qint64(m_budget->value() * double(qint64(1) << 30));
    // The dedup chunk area of the caches under the prefix, as `s3cache flush` collects that of
    // its `prefix` (Dedup::chunkArea): "<prefix>.chunks/" (".chunks/" for the whole bucket). The
    // GUI does not know the `prefix` the CI configuration uses, so only an area right under the
    // flushed prefix is collected; the job finds out whether it exists (none: nothing happens,
    // FlushResult::chunks.ran is false). That is safe for any prefix, the area's own included:
    // the collection marks from every manifest under the area's parent, not only the flushed
    // ones. An area further up (a flush of one repository, "ci/acme/webapp/", under "ci/.chunks/")
    // is collected by a flush of its root ("ci/") or by the CLI's.
    o.chunkArea = o.prefix + Dedup::areaFolder;
    return o;
}

QString FlushDialog::resultText() const
{
    return m_result->text();
}

void FlushDialog::invalidatePreview()
{
    const FlushOptions o = options();
    m_scope->setText(o.prefix.isEmpty() ? tr("Every object in the bucket is considered.")
                                        : tr("Only keys starting with \"%1\" are considered.").arg(o.prefix));
    if (!m_previewed)
        return;
    m_previewed.reset();
    m_runButton->setEnabled(false);
    m_runButton->setText(tr("&Delete"));
    m_list->clear();
    m_result->setText(tr("The settings changed: preview again."));
}

void FlushDialog::setBusy(bool busy)
{
    m_previewButton->setEnabled(!busy);
    m_prefix->setEnabled(!busy);
    m_age->setEnabled(!busy);
    m_unit->setEnabled(!busy);
    m_ageFrom->setEnabled(!busy);
    m_budgetOn->setEnabled(!busy);
    m_budget->setEnabled(!busy && m_budgetOn->isChecked());
    if (busy)
        m_runButton->setEnabled(false);
}

void FlushDialog::preview()
{
    if (m_job)
        return;
    FlushOptions o = options();
    o.dryRun = true;
    o.now = QDateTime::currentDateTimeUtc();
    FlushJob *job = m_session->createFlush(o);
    if (!job)
        return;
    m_job = job;
    job->setProperty("preview", true);
    m_previewed.reset();
    m_banner->clear();
    m_list->clear();
    m_result->setText(tr("Listing\u2026"));
    setBusy(true);
    connect(job, &Job::progress, this, [this](const JobProgress &p) {
        m_result->setText(tr("Listing\u2026 %n object(s) scanned", nullptr, int(p.itemsDone)));
    });
    connect(job, &Job::finished, this, [this, job, o] {
        m_job = nullptr;
        setBusy(false);
        if (job->error()) {
            m_result->clear();
            m_banner->showError(tr("The preview failed; nothing was deleted."), job->error());
            emit previewFinished();
            return;
        }
        const FlushResult &r = job->result();
        const int doomed = r.plan.deletedCount();
        m_list->setSortingEnabled(false);
        m_list->setUpdatesEnabled(false);
        for (qsizetype i = 0; i < r.plan.decisions.size() && i < kMaxListed; ++i) {
            const FlushDecision &d = r.plan.decisions.at(i);
            const QString decision = (d.deleted() ? tr("Delete: %1") : tr("Keep: %1")).arg(describeDecision(d, r.policy));
            auto *item = new QTreeWidgetItem(m_list, {d.cache.key, Format::bytes(d.cache.size), Format::dateTime(d.cache.lastModified),
                                                      d.cache.lastUsed.isValid() ? Format::dateTime(d.cache.lastUsed) : tr("never"),
                                                      decision});
            item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        }
        m_list->setUpdatesEnabled(true);
        m_list->setSortingEnabled(true);
        m_list->sortByColumn(4, Qt::AscendingOrder);  // "Delete" rows first
        QString text = tr("%1 of %n cache(s) would be deleted (%2), %3 kept.", nullptr, int(r.plan.decisions.size()))
                           .arg(Format::count(doomed), Format::bytes(r.plan.deletedBytes), Format::bytes(r.plan.keptBytes));
        if (r.plan.decisions.size() > kMaxListed)
            text += tr(" The first %1 are listed.").arg(Format::count(kMaxListed));
        m_result->setText(text + uploadsText(r, true) + chunksText(r, job->options()));
        if (doomed > 0 || !r.orphanMarkers.isEmpty()) {
            m_previewed = o;
            m_runButton->setText(tr("&Delete %n cache(s) (%1)", nullptr, int(doomed)).arg(Format::bytes(r.plan.deletedBytes)));
            m_runButton->setEnabled(true);
        }
        emit previewFinished();
    });
    m_session->start(job);
}

void FlushDialog::run()
{
    if (!m_previewed || m_job)
        return;
    FlushOptions o = *m_previewed;
    o.dryRun = false;  // the preview's reference time: what was previewed is what goes
    FlushJob *job = m_session->createFlush(o);
    if (!job)
        return;
    m_job = job;
    m_previewed.reset();
    m_banner->clear();
    setBusy(true);
    m_result->setText(tr("Deleting\u2026"));
    connect(job, &Job::progress, this, [this](const JobProgress &p) {
        if (p.phase == JobPhase::Delete)
            m_result->setText(tr("Deleting\u2026 %1 of %n object(s)", nullptr, int(p.itemsTotal)).arg(Format::count(p.itemsDone)));
    });
    connect(job, &Job::finished, this, [this, job] {
        m_job = nullptr;
        setBusy(false);
        m_runButton->setText(tr("&Delete"));
        m_list->clear();
        const FlushResult &r = job->result();
        if (job->error())
            m_banner->showError(job->error().kind() == ErrorKind::Cancelled
                                    ? tr("The flush was cancelled after deleting %n object(s) (%1).", nullptr, int(r.deleted)).arg(Format::bytes(r.bytesFreed))
                                    : tr("The flush stopped after deleting %n object(s) (%1).", nullptr, int(r.deleted)).arg(Format::bytes(r.bytesFreed)),
                                job->error());
        else
            m_result->setText(tr("Deleted %n object(s), freed %1.", nullptr, int(r.deleted)).arg(Format::bytes(r.bytesFreed))
                              + uploadsText(r, false) + chunksText(r, job->options()));
        emit flushFinished();
    });
    emit flushStarted(job);
    m_session->start(job);
}

} // namespace s3cache
