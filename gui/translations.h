#pragma once
// The GUI's translations: every user string goes through tr() (plural forms through %n), the
// build extracts them into s3cache-gui.ts for translators (gui/CMakeLists.txt) and compiles the
// translations in gui/i18n/ into the binary. English is one of them: it holds only the plural
// forms ("1 object", "2 objects") that the %n source strings leave open.

class QCoreApplication;

namespace s3cache {

// Installs the translation for the user's UI languages, falling back to English, and Qt's own
// translations of its standard dialogs. Call once, after the application object exists.
void installTranslations(QCoreApplication *app);

} // namespace s3cache
