#pragma once
// WrapLabel: a word-wrapping QLabel whose minimum height is the height its text needs at its
// current width. Qt's layouts otherwise size a wrapping label for one line when space is
// short, which cuts error messages off in banners, dialogs and the job panel.

#include <QLabel>

namespace s3cache {

class WrapLabel : public QLabel
{
    Q_OBJECT
public:
    explicit WrapLabel(QWidget *parent = nullptr);
    QSize minimumSizeHint() const override;
    // Layouts ignore a window's minimum size when any item trades height for width; this one
    // states its height as a minimum instead.
    bool hasHeightForWidth() const override { return false; }

protected:
    void resizeEvent(QResizeEvent *event) override;
};

} // namespace s3cache
