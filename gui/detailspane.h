#pragma once
// DetailsPane: what is known about the current item. For a folder: its totals. For a cache
// object: size, dates, and the s3cache metadata a rebuild wrote (format, fingerprint, file
// count, writer), read with one HEAD request; on demand (Inspect) its archive entries, listed
// by streaming the object through the archive reader without extracting anything.

#include "s3/s3types.h"

#include <QPointer>
#include <QWidget>

class QFormLayout;
class QGroupBox;
class QLabel;
class QPushButton;
class QTableView;

namespace s3cache {

class ArchiveEntryModel;
class HeadJob;
class InspectJob;
class MessageBanner;
class Session;
class WrapLabel;
struct BucketNode;

class DetailsPane : public QWidget
{
    Q_OBJECT
public:
    explicit DetailsPane(Session *session, QWidget *parent = nullptr);

    // Shows a node of the bucket tree (nullptr: nothing selected); ages are relative to `now`.
    void showNode(const BucketNode *node, const QDateTime &now);
    QString currentKey() const { return m_key; }

    // Lists the current object's archive entries (cancels a listing of another object).
    void inspect();
    void cancelInspect();

    ArchiveEntryModel *entries() const { return m_entries; }
    MessageBanner *banner() const { return m_banner; }
    QPushButton *inspectButton() const { return m_inspect; }
    // The value shown for a field label ("Format", "Fingerprint", ...); for tests.
    QString field(const QString &label) const;

signals:
    void metadataShown(const QString &key);
    void inspectFinished(const QString &key);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    // The fields get their whole height, up to half the pane; beyond that they scroll.
    void updateFieldsHeight();
    void fitPathColumn();
    QWidget *m_fields = nullptr;
    QWidget *m_fieldsScroll = nullptr;

    void clearFields();
    void addField(QFormLayout *form, const QString &label, const QString &value);
    void showMetadata(const ObjectInfo &info);
    void stopJobs();

    Session *m_session;
    QLabel *m_title;
    MessageBanner *m_banner;
    QFormLayout *m_info;
    QGroupBox *m_metaBox;
    QFormLayout *m_meta;
    QPushButton *m_inspect;
    QPushButton *m_cancel;
    WrapLabel *m_inspectStatus;
    QTableView *m_table;
    ArchiveEntryModel *m_entries;
    QString m_key;
    QPointer<HeadJob> m_headJob;
    QPointer<InspectJob> m_inspectJob;
};

} // namespace s3cache
