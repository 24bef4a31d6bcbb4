#include "messagebanner.h"

#include "format.h"
#include "wraplabel.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QStyle>
#include <QTextDocumentFragment>
#include <QToolButton>

namespace s3cache {

MessageBanner::MessageBanner(QWidget *parent)
    : QFrame(parent), m_label(new WrapLabel(this)), m_close(new QToolButton(this))
{
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_label->setTextFormat(Qt::RichText);
    m_label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_close->setAutoRaise(true);
    m_close->setToolTip(tr("Dismiss"));
    m_close->setAccessibleName(tr("Dismiss message"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_close, 0, Qt::AlignTop);
    connect(m_close, &QToolButton::clicked, this, &MessageBanner::clear);
    hide();
}

void MessageBanner::showMessage(Type type, const QString &text)
{
    m_type = type;
    // Soft tints that keep the palette's text colour readable in light and dark themes.
    QColor tint;
    switch (type) {
    case Type::Information: tint = QColor(52, 152, 219); break;
    case Type::Warning: tint = QColor(243, 156, 18); break;
    case Type::Error: tint = QColor(231, 76, 60); break;
    }
    QPalette pal = palette();
    const QColor base = QApplication::palette(this).color(QPalette::Window);
    tint.setAlphaF(0.25f);
    const float a = float(tint.alphaF());
    pal.setColor(QPalette::Window, QColor::fromRgbF(base.redF() * (1 - a) + tint.redF() * a,
                                                    base.greenF() * (1 - a) + tint.greenF() * a,
                                                    base.blueF() * (1 - a) + tint.blueF() * a));
    setPalette(pal);
    m_label->setText(text);
    setAccessibleDescription(this->text());
    show();
}

void MessageBanner::showError(const QString &context, const Error &error)
{
    showMessage(Type::Error, QStringLiteral("%1<br>%2").arg(context.toHtmlEscaped(), Format::errorHtml(error)));
}

void MessageBanner::clear()
{
    m_label->clear();
    hide();
}

QString MessageBanner::text() const
{
    return QTextDocumentFragment::fromHtml(m_label->text()).toPlainText();
}

} // namespace s3cache
