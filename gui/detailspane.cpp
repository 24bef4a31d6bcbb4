#include "detailspane.h"

#include "archiveentrymodel.h"
#include "format.h"
#include "messagebanner.h"
#include "session.h"
#include "wraplabel.h"

#include "cache/bucketsummary.h"
#include "cache/rebuildjob.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QScrollArea>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace s3cache {

DetailsPane::DetailsPane(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session), m_title(new QLabel(this)), m_banner(new MessageBanner(this)),
      m_info(new QFormLayout), m_metaBox(new QGroupBox(tr("Cache metadata"), this)), m_meta(new QFormLayout(m_metaBox)),
      m_inspect(new QPushButton(tr("&Inspect contents"), this)), m_cancel(new QPushButton(tr("Cancel"), this)),
      m_inspectStatus(new WrapLabel(this)), m_table(new QTableView(this)), m_entries(new ArchiveEntryModel(this))
{
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // a long key must not widen the pane
    for (QFormLayout *form : {m_info, m_meta})
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    m_inspect->setToolTip(tr("List the files in this archive by streaming it, without extracting (Ctrl+I)"));
    m_cancel->setToolTip(tr("Stop listing the archive"));
    m_cancel->hide();
    m_inspectStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_entries);
    proxy->setSortRole(ArchiveEntryModel::SortRole);
    m_table->setModel(proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ArchiveEntryModel::PathColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // The path keeps at least half the width (the other columns give way, the table scrolls
    // sideways): fitPathColumn().
    m_table->horizontalHeader()->setSectionResizeMode(ArchiveEntryModel::PathColumn, QHeaderView::Interactive);
    connect(m_table->horizontalHeader(), &QHeaderView::sectionResized, this, [this](int logical) {
        if (logical != ArchiveEntryModel::PathColumn)
            QMetaObject::invokeMethod(this, &DetailsPane::fitPathColumn, Qt::QueuedConnection);
    });
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setAccessibleName(tr("Archive entries"));

    auto *inspectRow = new QHBoxLayout;
    inspectRow->addWidget(m_inspect);
    inspectRow->addWidget(m_cancel);
    inspectRow->addWidget(m_inspectStatus, 1);
    // The fields scroll when the pane is short (a large font, QT_SCALE_FACTOR=1.5) instead of
    // being squeezed over each other; the entries table takes the rest.
    auto *fields = new QWidget;
    m_fields = fields;
    auto *fieldsLayout = new QVBoxLayout(fields);
    fieldsLayout->setContentsMargins(0, 0, 0, 0);
    fieldsLayout->addWidget(m_title);
    fieldsLayout->addWidget(m_banner);
    fieldsLayout->addLayout(m_info);
    fieldsLayout->addWidget(m_metaBox);
    fieldsLayout->addStretch(1);
    auto *fieldsScroll = new QScrollArea(this);
    fieldsScroll->setWidget(fields);
    fieldsScroll->setWidgetResizable(true);
    fieldsScroll->setFrameShape(QFrame::NoFrame);
    fieldsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_fieldsScroll = fieldsScroll;
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(fieldsScroll);
    layout->addLayout(inspectRow);
    layout->addWidget(m_table, 1);
    m_table->setMinimumHeight(m_table->verticalHeader()->defaultSectionSize() * 5);

    connect(this, &DetailsPane::metadataShown, this, &DetailsPane::updateFieldsHeight, Qt::QueuedConnection);
    connect(proxy, &QAbstractItemModel::modelReset, this,
            [this] { QMetaObject::invokeMethod(this, &DetailsPane::fitPathColumn, Qt::QueuedConnection); });
    connect(proxy, &QAbstractItemModel::layoutChanged, this,
            [this] { QMetaObject::invokeMethod(this, &DetailsPane::fitPathColumn, Qt::QueuedConnection); });
    connect(proxy, &QAbstractItemModel::rowsInserted, this,
            [this] { QMetaObject::invokeMethod(this, &DetailsPane::fitPathColumn, Qt::QueuedConnection); });
    connect(m_inspect, &QPushButton::clicked, this, &DetailsPane::inspect);
    connect(m_cancel, &QPushButton::clicked, this, &DetailsPane::cancelInspect);
    showNode(nullptr, {});
}

void DetailsPane::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    updateFieldsHeight();
    QMetaObject::invokeMethod(this, &DetailsPane::fitPathColumn, Qt::QueuedConnection);
}

void DetailsPane::fitPathColumn()
{
    QHeaderView *header = m_table->horizontalHeader();
    int others = 0;
    for (int c = 0; c < header->count(); ++c)
        others += c == ArchiveEntryModel::PathColumn || header->isSectionHidden(c) ? 0 : header->sectionSize(c);
    const int width = m_table->viewport()->width();
    header->resizeSection(ArchiveEntryModel::PathColumn, std::max(width / 2, width - others));
}

void DetailsPane::updateFieldsHeight()
{
    if (!m_fields)
        return;
    m_fields->layout()->activate();
    const int wanted = m_fields->sizeHint().height();
    const int limit = m_table->isHidden() ? height() : height() / 2;
    m_fieldsScroll->setMaximumHeight(wanted);
    m_fieldsScroll->setMinimumHeight(std::min(wanted, std::max(limit, fontMetrics().height() * 4)));
}

QString DetailsPane::field(const QString &label) const
{
    for (QFormLayout *form : {m_info, m_meta}) {
        for (int row = 0; row < form->rowCount(); ++row) {
            auto *l = qobject_cast<QLabel *>(form->itemAt(row, QFormLayout::LabelRole) ? form->itemAt(row, QFormLayout::LabelRole)->widget() : nullptr);
            auto *v = qobject_cast<QLabel *>(form->itemAt(row, QFormLayout::FieldRole) ? form->itemAt(row, QFormLayout::FieldRole)->widget() : nullptr);
            if (l && v && l->text() == label + QLatin1Char(':'))
                return v->text();
        }
    }
    return {};
}

void DetailsPane::addField(QFormLayout *form, const QString &label, const QString &value)
{
    auto *v = new QLabel(value);
    v->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    // Fingerprints and keys are long single words: clip them (selection copies the whole value).
    v->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    v->setToolTip(value);
    form->addRow(label + QLatin1Char(':'), v);
}

void DetailsPane::clearFields()
{
    while (m_info->rowCount() > 0)
        m_info->removeRow(0);
    while (m_meta->rowCount() > 0)
        m_meta->removeRow(0);
}

void DetailsPane::stopJobs()
{
    for (Job *job : {static_cast<Job *>(m_headJob.data()), static_cast<Job *>(m_inspectJob.data())}) {
        if (job) {
            disconnect(job, nullptr, this, nullptr);
            job->cancel();
        }
    }
    m_headJob = nullptr;
    m_inspectJob = nullptr;
    m_cancel->hide();
    m_inspect->setEnabled(true);
}

void DetailsPane::showNode(const BucketNode *node, const QDateTime &now)
{
    stopJobs();
    QMetaObject::invokeMethod(this, &DetailsPane::updateFieldsHeight, Qt::QueuedConnection);
    clearFields();
    m_banner->clear();
    m_entries->setEntries({});
    m_inspectStatus->clear();
    m_key.clear();
    m_metaBox->hide();
    m_table->hide();
    m_inspect->hide();
    if (!node || !node->parent) {
        m_title->setText(tr("Select an object or a folder"));
        return;
    }
    const QString age = Format::age(BucketSummary::ageSeconds(node->oldest, now));
    if (!node->isObject) {
        m_title->setText(node->path);
        m_title->setToolTip(node->path);
        addField(m_info, tr("Objects"), Format::count(node->objects));
        addField(m_info, tr("Total size"), Format::bytes(node->bytes));
        addField(m_info, tr("Newest"), Format::dateTime(node->newest));
        addField(m_info, tr("Oldest"), tr("%1 (written %2)").arg(Format::dateTime(node->oldest), Format::ago(BucketSummary::ageSeconds(node->oldest, now))));
        addField(m_info, tr("Last used"), node->lastUsed.isValid() ? Format::dateTime(node->lastUsed) : tr("never"));
        return;
    }
    m_key = node->path;
    m_title->setText(node->path);
    m_title->setToolTip(node->path);
    addField(m_info, tr("Size"), QStringLiteral("%1 (%2 bytes)").arg(Format::bytes(node->bytes), Format::count(node->bytes)));
    addField(m_info, tr("Last modified"), tr("%1 (%2)").arg(Format::dateTime(node->newest), Format::ago(BucketSummary::ageSeconds(node->newest, now))));
    addField(m_info, tr("Last used"), node->lastUsed.isValid()
                                          ? tr("%1 (%2)").arg(Format::dateTime(node->lastUsed),
                                                              Format::ago(BucketSummary::ageSeconds(node->lastUsed, now)))
                                          : tr("never (no restore recorded)"));
    m_metaBox->show();
    m_inspect->show();
    m_table->show();
    addField(m_meta, tr("Status"), tr("reading\u2026"));

    HeadJob *job = m_session->createHead(m_key);
    if (!job)
        return;
    m_headJob = job;
    connect(job, &Job::finished, this, [this, job] {
        m_headJob = nullptr;
        while (m_meta->rowCount() > 0)
            m_meta->removeRow(0);
        if (job->error()) {
            m_banner->showError(tr("Cannot read the metadata of %1").arg(job->key()), job->error());
            return;
        }
        showMetadata(job->result());
    });
    m_session->start(job);
}

void DetailsPane::showMetadata(const ObjectInfo &info)
{
    const QMap<QString, QString> &meta = info.metadata;
    const auto value = [&](const QString &name) {
        const QString v = meta.value(name);
        return v.isEmpty() ? tr("(not set)") : v;
    };
    addField(m_meta, tr("Format"), value(Metadata::format));
    addField(m_meta, tr("Fingerprint"), value(Metadata::fingerprint));
    const QString files = meta.value(Metadata::files);
    addField(m_meta, tr("Files"), files.isEmpty() ? tr("(not set)") : Format::count(files.toLongLong()));
    const QString bytes = meta.value(Metadata::bytes);
    addField(m_meta, tr("Content size"), bytes.isEmpty() ? tr("(not set)") : Format::bytes(bytes.toLongLong()));
    addField(m_meta, tr("Written by"), meta.contains(Metadata::version) ? QStringLiteral("s3cache ") + meta.value(Metadata::version)
                                                                       : tr("unknown (not written by s3cache)"));
    addField(m_meta, tr("Platform"), meta.contains(Metadata::platform)
                                         ? meta.value(Metadata::platform)
                                         : tr("not recorded (restores on any platform)"));
    addField(m_meta, tr("ETag"), QString::fromLatin1(info.etag));
    for (auto it = meta.cbegin(); it != meta.cend(); ++it) {
        if (it.key() != Metadata::format && it.key() != Metadata::fingerprint && it.key() != Metadata::files
            && it.key() != Metadata::bytes && it.key() != Metadata::version && it.key() != Metadata::platform)
            addField(m_meta, it.key(), it.value());
    }
    emit metadataShown(info.key);
}

void DetailsPane::inspect()
{
    if (m_key.isEmpty() || m_inspectJob)
        return;
    InspectJob *job = m_session->createInspect(m_key);
    if (!job)
        return;
    m_inspectJob = job;
    m_banner->clear();
    m_entries->setEntries({});
    m_inspectStatus->setText(tr("Reading the archive\u2026"));
    m_cancel->show();
    m_inspect->setEnabled(false);
    connect(job, &Job::progress, this, [this](const JobProgress &p) {
        m_inspectStatus->setText(tr("Reading the archive: %1 of %2, %n entry(s)", nullptr, int(p.itemsDone))
                                     .arg(Format::bytes(p.bytesDone), Format::bytes(p.bytesTotal)));
    });
    connect(job, &Job::finished, this, [this, job] {
        m_inspectJob = nullptr;
        m_cancel->hide();
        m_inspect->setEnabled(true);
        if (job->error()) {
            m_inspectStatus->clear();
            if (job->error().kind() != ErrorKind::Cancelled)
                m_banner->showError(tr("Cannot list the archive %1").arg(job->result().object.key.isEmpty() ? m_key : job->result().object.key),
                                    job->error());
            else
                m_inspectStatus->setText(tr("Cancelled"));
            emit inspectFinished(m_key);
            return;
        }
        const InspectResult &r = job->result();
        qint64 unpacked = 0;
        for (const ArchiveEntryInfo &e : r.entries)
            unpacked += e.type == TreeEntry::File ? e.size : 0;
        m_entries->setEntries(r.entries);
        m_inspectStatus->setText(tr("%n entry(s)%1, %2 unpacked (%3)", nullptr, int(r.entries.size()))
                                     .arg(r.truncated ? tr(" (first ones only)") : QString(), Format::bytes(unpacked), r.stats.format));
        emit inspectFinished(m_key);
    });
    m_session->start(job);
}

void DetailsPane::cancelInspect()
{
    if (m_inspectJob)
        m_inspectJob->cancel();
}

} // namespace s3cache
