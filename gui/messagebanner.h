#pragma once
// MessageBanner: an inline message at the top of a pane (error, warning or information), so a
// failure shows where the user is looking instead of in a modal box. The text is selectable:
// users copy the server's request id from it.

#include "util/error.h"

#include <QFrame>

class QToolButton;

namespace s3cache {

class WrapLabel;

class MessageBanner : public QFrame
{
    Q_OBJECT
public:
    enum class Type { Information, Warning, Error };

    explicit MessageBanner(QWidget *parent = nullptr);

    void showMessage(Type type, const QString &text);
    // The server's code, HTTP status and message, with `context` ("Listing failed") first.
    void showError(const QString &context, const Error &error);
    void clear();

    Type type() const { return m_type; }
    QString text() const;  // plain text, for tests and accessibility

private:
    WrapLabel *m_label;
    QToolButton *m_close;
    Type m_type = Type::Information;
};

} // namespace s3cache
