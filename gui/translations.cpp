#include "translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace s3cache {

void installTranslations(QCoreApplication *app)
{
    auto *own = new QTranslator(app);
    // QTranslator::load(QLocale) tries every UI language in turn; English is the fallback for
    // a language with no translation yet.
    if (own->load(QLocale(), QStringLiteral("s3cache-gui"), QStringLiteral("_"), QStringLiteral(":/i18n"))
        || own->load(QStringLiteral("s3cache-gui_en"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(own);
    auto *qt = new QTranslator(app);
    if (qt->load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
}

} // namespace s3cache
